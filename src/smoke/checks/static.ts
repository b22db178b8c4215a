import { randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, lstatSync, readdirSync, realpathSync } from 'node:fs';
import { join, sep } from 'node:path';
import { localFiles } from '../../runtime/units.js';
import { durationMs } from '../../spec/primitives.js';
import type { CheckResult, SmokeContext } from '../context.js';
import { timed } from '../context.js';

const seconds = (d: string) => Math.floor(durationMs(d) / 1000);

/** Entries looked at before giving up on finding a file (a huge folder is not walked whole). */
const MAX_ENTRIES = 5000;
const MAX_DEPTH = 8;
/** Larger files are probed with HEAD, so a smoke run never downloads a video. */
const MAX_GET_BYTES = 1 << 20;

export type StaticProbe = { urlPath: string; file: string; size: number } | { reason: string };

/**
 * A regular file the proxy serves under a static location: the first found breadth-first (names sorted) under
 * root + prefix (nginx `root`: the prefix is appended), readable, with a name a URL carries as is. Symbolic links
 * are never followed, and a prefix folder that resolves outside the root is refused, so nothing outside the root
 * is ever read or requested.
 */
export function findStaticFile(root: string, prefix: string): StaticProbe {
  const dir = join(root, prefix);
  if (!existsSync(root)) return { reason: `the static root ${root} does not exist on this machine` };
  if (!existsSync(dir)) return { reason: `${dir} does not exist (static.root has nginx root meaning: the prefix ${prefix} is appended to it)` };
  const realRoot = realpathSync(root);
  const realDir = realpathSync(dir);
  if (realDir !== realRoot && !realDir.startsWith(realRoot + sep)) return { reason: `${dir} leads outside the static root (a symbolic link): not probed` };
  let queue: { path: string; url: string }[] = [{ path: dir, url: prefix }];
  let seen = 0;
  for (let depth = 0; depth < MAX_DEPTH && queue.length; depth++) {
    const next: typeof queue = [];
    for (const d of queue) {
      let entries;
      try { entries = readdirSync(d.path, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)); } catch { continue; }
      for (const e of entries) {
        if (++seen > MAX_ENTRIES) return { reason: `no readable regular file among the first ${MAX_ENTRIES} entries under ${dir}` };
        // Dirent types come from lstat: a symbolic link is neither a file nor a directory here, so it is never followed.
        if (!/^[A-Za-z0-9._~-]+$/.test(e.name)) continue;
        const path = join(d.path, e.name);
        if (e.isDirectory()) next.push({ path, url: `${d.url}${e.name}/` });
        else if (e.isFile()) {
          try { accessSync(path, constants.R_OK); } catch { continue; }
          return { urlPath: `${d.url}${e.name}`, file: path, size: lstatSync(path).size };
        }
      }
    }
    queue = next;
  }
  return { reason: `no readable regular file under ${dir} (symbolic links are not followed)` };
}

/**
 * Static files come from the proxy's disk with their caching headers and the backends see nothing; a missing file
 * is a 404 that no browser or CDN may keep (no long-lived Cache-Control, no future Expires).
 */
export async function staticChecks(ctx: SmokeContext): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  const local = localFiles(ctx.model, ctx.state.stateDir);
  for (const st of ctx.model.proxy?.settings.static ?? []) {
    // The folder the proxy reads: the user's own when it exists here, else the one `up` made (with a probe file).
    const root = local(st.root);
    const maxAge = `max-age=${seconds(st.expires)}`;
    out.push(await timed('proxy', 'static', `static ${st.prefix}`, async () => {
      if (ctx.state.runtime === 'docker' && !root.startsWith(ctx.state.stateDir))
        return { status: 'not-run', reason: `the Docker runtime mounts only the stack's state dir into containers: ${root} is not visible to the proxy there` };
      const probe = findStaticFile(root, st.prefix);
      if ('reason' in probe) return { status: 'not-run', reason: probe.reason };
      const method = probe.size <= MAX_GET_BYTES ? 'GET' : 'HEAD';
      const before = await totalBackend(ctx);
      const req = ctx.request({ method, host: 'localhost', path: probe.urlPath, headers: {} });
      const res = await ctx.send(req);
      const after = await totalBackend(ctx);
      const cc = String(res.headers['cache-control'] ?? '');
      const length = method === 'GET' ? res.bytes : Number(res.headers['content-length']);
      const ok = res.status === 200 && length === probe.size && cc.includes(maxAge) && (!st.immutable || cc.includes('immutable')) && after === before;
      return { status: ok ? 'pass' : 'fail', expected: `${method} ${probe.urlPath}: 200 with the file's ${probe.size} bytes, Cache-Control with ${maxAge}${st.immutable ? ' and immutable' : ''}, backends saw nothing`,
        observed: `${method} ${probe.urlPath}: ${res.status || res.error}, ${length} bytes, Cache-Control: ${cc || 'absent'}, backends saw ${after - before}`, reproduce: ctx.curl(req) };
    }));
    out.push(await timed('proxy', 'static', `static ${st.prefix}: a missing file -> 404, not cacheable`, async () => {
      const name = `edgegen-smoke-missing-${randomBytes(4).toString('hex')}.txt`;
      if (existsSync(join(root, st.prefix, name))) return { status: 'not-run', reason: `${name} exists under the static root` };
      const req = ctx.request({ method: 'GET', host: 'localhost', path: `${st.prefix}${name}`, headers: {} });
      const res = await ctx.send(req);
      const cc = String(res.headers['cache-control'] ?? '');
      const age = /max-age=(\d+)/.exec(cc);
      const expires = res.headers.expires ? Date.parse(String(res.headers.expires)) : NaN;
      const longLived = cc.includes('immutable') || (age !== null && Number(age[1]) >= 60) || expires > Date.now() + 60_000;
      return { status: res.status === 404 && !longLived ? 'pass' : 'fail', expected: '404 without a long-lived Cache-Control (no immutable, no max-age of a minute or more, no Expires in the future)',
        observed: `${res.status || res.error}, Cache-Control: ${cc || 'absent'}${res.headers.expires ? `, Expires: ${res.headers.expires}` : ''}`, reproduce: ctx.curl(req) };
    }));
  }
  return out;
}

export async function totalBackend(ctx: SmokeContext): Promise<number> {
  let n = 0;
  for (const u of ctx.units('service')) n += (await ctx.echo(u, 'stats')).requests;
  return n;
}

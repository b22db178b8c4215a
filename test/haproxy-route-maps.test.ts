import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, createServer, request, type Server } from 'node:http';
import { connect, createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { compileSpec, loadSpec } from '../src/compile.js';
import { keyableRegex, MAP_THRESHOLD } from '../src/emit/haproxy/routing.js';
import { findBinary } from '../src/engines/binaries.js';
import { localPlan } from '../src/model/plan.js';
import { chooseRoute } from '../src/model/routing.js';
import { REQUIRE_ENGINES } from './helpers/fixtures.js';

/**
 * Above MAP_THRESHOLD routes HAProxy routes through map files (one tree lookup per request) instead of one ACL rule
 * per route. Live: a large random route set (exact, prefix, regex; methods; exact hosts) on real HAProxy in front
 * of one echo backend per route, and random requests: every answer is the model's route.
 */

const ROUTES = 90;
const REQUESTS = 600;
const ROUTE_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
/** Requests also use methods no route can name: only routes without methods take them. */
const METHODS = [...ROUTE_METHODS, 'TRACE', 'PROPFIND'];
const SEGMENTS = ['a', 'b', 'ab', 'v1', 'v2', 'x'];

/** A small deterministic generator (the seed is printed; EDGEGEN_MAPS_SEED replays). */
function rng(seed: number) {
  let s = seed >>> 0;
  const next = () => { s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0; return s / 2 ** 32; };
  return { next, pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)], chance: (p: number) => next() < p };
}

const seed = Number(process.env.EDGEGEN_MAPS_SEED ?? Date.now() % 100_000);
const r = rng(seed);
const path = (depth: number) => `/${Array.from({ length: depth }, () => r.pick(SEGMENTS)).join('/')}`;

function routeSet(): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const seen = new Set<string>();
  while (out.length < ROUTES) {
    const kind = r.pick(['prefix', 'prefix', 'exact', 'regex'] as const);
    const p = kind === 'regex' ? `^${path(1 + Math.floor(r.next() * 2))}/${r.pick(['[0-9]+$', '.*$', '(a|b)/x', '[a-z]+/?$', '[^/]+$'])}` : `${path(1 + Math.floor(r.next() * 3))}${kind === 'prefix' && r.chance(0.3) ? '/' : ''}`;
    const methods = r.chance(0.35) ? [...new Set([r.pick(ROUTE_METHODS), r.pick(ROUTE_METHODS)])] : [];
    const hosts = r.chance(0.2) ? [r.pick(['a.test', 'b.test'])] : [];
    const key = JSON.stringify([kind, p, [...methods].sort(), hosts]);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ name: `r${out.length}`, match: { path: p, pathType: kind, methods, hosts }, service: `s${out.length}` });
  }
  return out;
}

/** Drop routes validation refuses (e.g. one matching exactly what another does) until the spec is valid. */
function validSpec(routes: Record<string, unknown>[]): string {
  for (;;) {
    const text = stringify({ version: 1, name: 'maps', loadBalancer: { mode: 'http', ports: { http: 80 } },
      services: routes.map((x) => ({ name: x.service, instances: [{ address: '127.0.0.1:1' }] })), routes });
    const { diagnostics } = loadSpec(text, 'maps.yaml');
    const bad = new Set(diagnostics.filter((d) => d.severity === 'error').map((d) => Number(/^routes\[(\d+)\]/.exec(d.path ?? '')?.[1])).filter((n) => !Number.isNaN(n)));
    if (!diagnostics.some((d) => d.severity === 'error')) return text;
    if (!bad.size) throw new Error(`unexpected errors: ${diagnostics.map((d) => d.message).join('; ')}`);
    routes = routes.filter((_, i) => !bad.has(i));
  }
}

const portFree = (port: number) => new Promise<boolean>((done) => {
  const s = createTcpServer();
  s.once('error', () => done(false));
  s.listen(port, '127.0.0.1', () => s.close(() => done(true)));
});

const canConnect = (port: number) => new Promise<boolean>((done) => {
  const s = connect(port, '127.0.0.1');
  s.once('connect', () => { s.destroy(); done(true); });
  s.once('error', () => done(false));
});

describe('regexes in map keys', () => {
  it('only a regex anchored once, without top-level alternation, can follow the "METHOD:" key prefix', () => {
    expect(keyableRegex('^/a/(b|c)/[^/]+$')).toBe('/a/(b|c)/[^/]+$');
    expect(keyableRegex('^/a\\|b$')).toBe('/a\\|b$');
    // "^/a$|^/b": the second branch's "^" would anchor at the method; "^/a|/b": the second branch is unanchored.
    for (const re of ['^/a$|^/b', '^/a|/b', '^/a[|]x|y']) expect(keyableRegex(re)).toBeUndefined();
  });
});

describe(`HAProxy map-file routing (> ${MAP_THRESHOLD} routes) decides as the model (live)`, () => {
  const root = mkdtempSync(join(tmpdir(), 'edgegen-maps-'));
  const echoes: Server[] = [];
  const ports: number[] = [];
  let haproxy: string | undefined;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    haproxy = await findBinary('haproxy');
    for (let i = 0; i < ROUTES; i++) {
      const server = createServer((req, res) => { req.resume(); res.writeHead(200, { 'x-echo': String(i), 'content-length': '0' }); res.end(); });
      await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()));
      echoes.push(server);
      ports.push((server.address() as { port: number }).port);
    }
  });

  afterAll(async () => {
    if (child && child.exitCode === null) { child.kill('SIGKILL'); await new Promise((d) => child!.once('exit', d)); }
    await Promise.all(echoes.map((s) => new Promise<void>((done) => { s.closeAllConnections(); s.close(() => done()); })));
    rmSync(root, { recursive: true, force: true });
  });

  it(`${ROUTES} random routes, ${REQUESTS} random requests (seed printed)`, async (ctx) => {
    if (!haproxy) {
      if (REQUIRE_ENGINES) throw new Error('haproxy is not installed (EDGEGEN_REQUIRE_ENGINES=1)');
      console.warn('skipped: haproxy is not installed (bash scripts/setup.sh installs it)');
      return ctx.skip();
    }
    console.log(`haproxy route maps: seed ${seed} (replay with EDGEGEN_MAPS_SEED=${seed})`);
    const text = validSpec(routeSet());
    let base = 65500 + Math.floor(Math.random() * 10) * 3; // outside the runtime's and the ephemeral port ranges
    while (!(await Promise.all([0, 1, 2].map((k) => portFree(base + k)))).every(Boolean)) base = base + 3 > 65530 ? 65500 : base + 3;
    const built = compileSpec(text, 'maps.yaml', { lint: false, env: {}, plan: (m) => ({ ...localPlan(m, { basePort: base, stateRoot: root }),
      service: (name: string) => ({ host: '127.0.0.1', port: ports[Number(name.slice(1))] }) }) });
    expect(built.ok).toBe(true);
    const model = built.model!;
    expect(model.routes.length).toBeGreaterThan(MAP_THRESHOLD);
    // The config names its map files in the load balancer's state directory (where the process runtime puts them).
    for (const f of built.files) {
      const to = f.path.startsWith('haproxy/maps/') ? join(root, 'loadBalancer-1', f.path.slice('haproxy/'.length)) : join(root, f.path);
      mkdirSync(dirname(to), { recursive: true });
      writeFileSync(to, f.content);
    }
    const cfg = built.files.find((f) => f.path === 'haproxy/haproxy.cfg')!.content;
    expect(cfg).toContain('map_beg(');
    child = spawn(haproxy!, ['-db', '-f', join(root, 'haproxy/haproxy.cfg')], { cwd: join(root, 'haproxy'), stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    child.stderr!.on('data', (b: Buffer) => { log = (log + b.toString()).slice(-3000); });
    const port = base;
    for (let t = 0; !(await canConnect(port)); t++) {
      if (t > 200 || child.exitCode !== null) throw new Error(`haproxy did not start:\n${log}`);
      await new Promise((d) => setTimeout(d, 25));
    }
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    const paths = [...new Set(model.routes.flatMap((x) => x.pathType === 'regex' ? [] : [x.path, `${x.path}x`, `${x.path}/1`, x.path.replace(/\/$/, '')]))];
    const disagreements: string[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const req = { method: r.pick(METHODS), host: r.pick(['a.test', 'b.test', 'other.test']), path: r.chance(0.6) ? r.pick(paths) : `${path(1 + Math.floor(r.next() * 3))}${r.pick(['', '/', '/7', '/a/x'])}` };
      const want = chooseRoute(model.routes, req)?.name ?? 'none';
      const got = await new Promise<string>((done, fail) => {
        const q = request({ host: '127.0.0.1', port, method: req.method, path: req.path, headers: { host: req.host }, agent }, (res) => {
          res.resume();
          res.on('end', () => done(res.headers['x-echo'] !== undefined ? `r${model.routes.find((x) => x.service.name === `s${res.headers['x-echo']}`)!.name.slice(1)}` : res.statusCode === 404 ? 'none' : `HTTP ${res.statusCode}`));
        });
        q.on('error', fail);
        q.end();
      });
      if (got !== want) disagreements.push(`${req.method} ${req.host} ${req.path}: model ${want}, haproxy ${got}`);
    }
    agent.destroy();
    console.log(`haproxy route maps: ${model.routes.length} routes, ${REQUESTS} requests, ${disagreements.length} disagreements`);
    expect(disagreements, `seed ${seed}\n${text}`).toEqual([]);
  });
});

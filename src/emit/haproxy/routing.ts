import type { Model, Route } from '../../model/types.js';
import { assertSafe, EmitError } from '../text.js';
import { fmtExpr, ident, patterns, quote, type HapWord } from './quote.js';
import type { LayerFile } from '../files.js';

/** Above this many routes HAProxy routes through map files: one tree lookup instead of one ACL test per route. */
export const MAP_THRESHOLD = 64;

const w = (...parts: (string | HapWord)[]) => parts.join(' ') as HapWord;

function routeConditions(r: Route): HapWord[] {
  const c: HapWord[] = [];
  const fetch = r.pathType === 'exact' ? 'path' : r.pathType === 'regex' ? 'path_reg' : 'path_beg';
  c.push(w(`{ ${fetch}`, patterns([r.path], 'route path'), '}'));
  if (r.hosts.length) {
    const exact = r.hosts.filter((h) => !h.startsWith('*.'));
    const wild = r.hosts.filter((h) => h.startsWith('*.')).map((h) => h.slice(1));
    const parts: string[] = [];
    if (exact.length) parts.push(`{ var(txn.host) -m str ${patterns(exact.map((h) => h.toLowerCase()), 'route host')} }`);
    if (wild.length) parts.push(`{ var(txn.host) -m end ${patterns(wild.map((h) => h.toLowerCase()), 'route host')} }`);
    c.push(w(parts.join(' || ')));
  }
  if (r.methods.length) c.push(w('{ method', patterns(r.methods), '}'));
  for (const [name, values] of Object.entries(r.headers)) c.push(w(`{ req.hdr(${ident(name)}) -i -m str`, patterns(values, 'header match'), '}'));
  return c;
}

function aclRule(r: Route): HapWord[] {
  const conds = routeConditions(r);
  const set = `http-request set-var(txn.route) str(${ident(r.id)}) if !{ var(txn.route) -m found }`;
  if (!conds.some((c) => c.includes('||'))) return [w(set, ...conds)];
  // "||" binds looser than AND: one rule per host alternative.
  const [path, hosts, ...rest] = conds;
  return hosts.split(' || ').map((alt) => w(set, path, alt, ...rest));
}

const constrained = (r: Route) => r.hosts.length > 0 || r.methods.length > 0 || Object.keys(r.headers).length > 0;

/** A map file line: key and value are single tokens (validated paths and generated ids never hold spaces or '#'). */
function mapLine(key: string, value: string): string {
  assertSafe(key, 'map key');
  if (/[\s#\\]/.test(key)) throw new EmitError(`"${key}" cannot be a map key`);
  return `${key} ${value}`;
}

export interface Routing { lines: HapWord[]; files: LayerFile[] }

/**
 * Name the request's route in txn.route, in the model's one total order, then pick its backend.
 * Small route sets: one ACL rule per route. Large ones: constrained routes (hosts, methods, headers) as ACL rules
 * first, then path-only routes from map files (exact: map_str, regex: map_reg in order, prefix: map_beg, a
 * longest-prefix tree) — used only when every constrained route precedes every path-only one in the order.
 */
export function routingRules(model: Model): Routing {
  const lines: HapWord[] = [w('http-request set-var(txn.host) req.hdr(host),field(1,:),lower')];
  const files: LayerFile[] = [];
  const routes = model.routes;
  const firstPlain = routes.findIndex((r) => !constrained(r));
  const mapsFit = firstPlain >= 0 && routes.slice(firstPlain).every((r) => !constrained(r));
  const useMaps = routes.length > MAP_THRESHOLD && mapsFit;
  if (useMaps) {
    lines.push(w(`# ${routes.length} routes (> ${MAP_THRESHOLD}): path-only routes are looked up in map files, one tree lookup per request.`));
    for (const r of routes.slice(0, firstPlain)) lines.push(...aclRule(r));
    const plain = routes.slice(firstPlain);
    const kinds: [Route['pathType'], string, string][] = [['exact', 'map_str', 'routes-exact.map'], ['regex', 'map_reg', 'routes-regex.map'], ['prefix', 'map_beg', 'routes-prefix.map']];
    for (const [kind, conv, file] of kinds) {
      const rs = plain.filter((r) => r.pathType === kind);
      if (!rs.length) continue;
      files.push({ path: `maps/${file}`, content: `# ${kind} paths -> route id, in precedence order\n${rs.map((r) => mapLine(r.path, r.id)).join('\n')}\n` });
      lines.push(w(`http-request set-var(txn.route) path,${conv}(${quote(`maps/${file}`)}) if !{ var(txn.route) -m found }`));
    }
    files.push({ path: 'maps/route-backends.map', content: `# route id -> backend\n${routes.map((r) => mapLine(r.id, r.service.id)).join('\n')}\n` });
  } else {
    if (routes.length > MAP_THRESHOLD) lines.push(w(`# ${routes.length} routes, but host/method/header routes interleave with path-only ones in the precedence order: one ACL rule per route keeps that order exact.`));
    for (const r of routes) lines.push(...aclRule(r));
  }
  lines.push(w(`http-request return status 404 content-type application/json string ${quote('{"message":"no route matched"}')} unless { var(txn.route) -m found }`));
  for (const r of routes) {
    if (r.pathType === 'regex' || !(r.stripPrefix || r.rewrite)) continue;
    const base = r.path.replace(/\/$/, '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const to = (r.rewrite ?? '/').replace(/\/$/, '');
    lines.push(w('http-request replace-path', quote(`^${base}/?(.*)`), quote(`${to}/\\1`), `if { var(txn.route) -m str ${ident(r.id)} }`));
  }
  if (useMaps) lines.push(w(`use_backend ${fmtExpr(`%[var(txn.route),map_str(maps/route-backends.map)]`)} if { var(txn.route) -m found }`));
  else for (const r of routes) lines.push(w(`use_backend ${ident(r.service.id)} if { var(txn.route) -m str ${ident(r.id)} }`));
  return { lines, files };
}

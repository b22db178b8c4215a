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

/** Routes the maps cannot hold: host and header conditions stay ACL rules. Methods are part of the map key. */
const constrained = (r: Route) => r.hosts.length > 0 || Object.keys(r.headers).length > 0;

/** The methods a spec can name; a route without methods is keyed under each of them. */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/** A map file line: key and value are single tokens (validated paths and generated ids never hold spaces or '#'). */
function mapLine(key: string, value: string): string {
  assertSafe(key, 'map key');
  if (/[\s#]/.test(key) || (/\\/.test(key) && !key.startsWith('^'))) throw new EmitError(`"${key}" cannot be a map key`);
  return `${key} ${value}`;
}

export interface Routing { lines: HapWord[]; files: LayerFile[] }

/**
 * Name the request's route in txn.route, in the model's one total order, then pick its backend.
 * Small route sets: one ACL rule per route. Large ones: host and header routes as ACL rules first, then every
 * other route from map files keyed "METHOD:path" (exact: map_str, regex: map_reg in order, prefix: map_beg, a
 * longest-prefix tree) — used only when every host/header route precedes the others in the order.
 */
export function routingRules(model: Model, mapDir: string): Routing {
  const lines: HapWord[] = [w('http-request set-var(txn.host) req.hdr(host),field(1,:),lower')];
  const files: LayerFile[] = [];
  const routes = model.routes;
  const firstPlain = routes.findIndex((r) => !constrained(r));
  const mapsFit = firstPlain >= 0 && routes.slice(firstPlain).every((r) => !constrained(r));
  const useMaps = routes.length > MAP_THRESHOLD && mapsFit;
  if (useMaps) {
    lines.push(w(`# ${routes.length} routes (> ${MAP_THRESHOLD}): routes without host or header conditions are looked up in map files, one tree lookup per request.`));
    for (const r of routes.slice(0, firstPlain)) lines.push(...aclRule(r));
    const plain = routes.slice(firstPlain);
    // Keys are "METHOD:path" (no method holds ":"), so a method condition costs nothing extra.
    lines.push(w(`http-request set-var-fmt(txn.route_key) ${fmtExpr('%[method]:%[path]')}`));
    const kinds: [Route['pathType'], string, string][] = [['exact', 'map_str', 'routes-exact.map'], ['regex', 'map_reg', 'routes-regex.map'], ['prefix', 'map_beg', 'routes-prefix.map']];
    for (const [kind, conv, file] of kinds) {
      const rs = plain.filter((r) => r.pathType === kind);
      if (!rs.length) continue;
      const seen = new Set<string>();
      const entries: string[] = [];
      for (const r of rs) {
        const keys = kind === 'regex'
          ? [`^(?:${r.methods.length ? r.methods.join('|') : '[A-Z]+'}):${r.path.slice(1)}`]
          : (r.methods.length ? r.methods : METHODS).map((m) => `${m}:${r.path}`);
        // The first route in precedence order keeps a key that a later one repeats.
        for (const k of keys) if (!seen.has(k)) { seen.add(k); entries.push(mapLine(k, r.id)); }
      }
      files.push({ path: `maps/${file}`, content: `# ${kind} paths (METHOD:path) -> route id, in precedence order\n${entries.join('\n')}\n` });
      lines.push(w(`http-request set-var(txn.route) var(txn.route_key),${conv}(${quote(`${mapDir}/${file}`)}) if !{ var(txn.route) -m found }`));
    }
    files.push({ path: 'maps/route-backends.map', content: `# route id -> backend\n${routes.map((r) => mapLine(r.id, r.service.id)).join('\n')}\n` });
  } else {
    if (routes.length > MAP_THRESHOLD) lines.push(w(`# ${routes.length} routes, but host/header routes interleave with the others in the precedence order: one ACL rule per route keeps that order exact.`));
    for (const r of routes) lines.push(...aclRule(r));
  }
  lines.push(w(`http-request return status 404 content-type application/json string ${quote('{"message":"no route matched"}')} unless { var(txn.route) -m found }`));
  for (const r of routes) {
    if (r.pathType === 'regex' || !(r.stripPrefix || r.rewrite)) continue;
    const base = r.path.replace(/\/$/, '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const to = (r.rewrite ?? '/').replace(/\/$/, '');
    lines.push(w('http-request replace-path', quote(`^${base}/?(.*)`), quote(`${to}/\\1`), `if { var(txn.route) -m str ${ident(r.id)} }`));
  }
  if (useMaps) lines.push(w(`use_backend ${fmtExpr(`%[var(txn.route),map_str(${mapDir}/route-backends.map)]`)} if { var(txn.route) -m found }`));
  else for (const r of routes) lines.push(w(`use_backend ${ident(r.service.id)} if { var(txn.route) -m str ${ident(r.id)} }`));
  return { lines, files };
}

import { literalPrefix } from '../model/regex.js';
import { hostMatches, routeRegex } from '../model/routing.js';
import type { Route } from '../model/types.js';

/**
 * Set relations between route matches, for shadowing and overlap. "a covers b": every request b matches, a matches
 * too. Which route takes a request is the model's decision (src/model/routing.ts: the first in route.order whose
 * conditions hold); the rules only ask whether an earlier route covers or overlaps a later one.
 */

/** A path match in a comparable form: regexes that are plain anchored literals become exact or prefix matches. */
type PathMatch = { kind: 'exact'; path: string } | { kind: 'prefix'; path: string } | { kind: 'regex'; source: string; literalPrefix: string };

const LITERAL = /^(?:[A-Za-z0-9_~\/:,=!@&-]|\\[.\/\-])*$/;
const unescape = (s: string) => s.replace(/\\(.)/g, '$1');

const matches = new WeakMap<Route, PathMatch>();

/** A route's path match, computed once per route (the route rules ask for it many times). */
export function pathMatch(r: Route): PathMatch {
  let m = matches.get(r);
  if (!m) matches.set(r, (m = computePathMatch(r)));
  return m;
}

function computePathMatch(r: Route): PathMatch {
  if (r.pathType === 'exact') return { kind: 'exact', path: r.path };
  if (r.pathType === 'prefix') return { kind: 'prefix', path: r.path };
  const body = r.path.slice(1);
  const exact = body.endsWith('$') && !body.endsWith('\\$') ? body.slice(0, -1) : undefined;
  if (exact !== undefined && LITERAL.test(exact)) return { kind: 'exact', path: unescape(exact) };
  const open = body.endsWith('.*') ? body.slice(0, -2) : body;
  if (exact === undefined && LITERAL.test(open)) return { kind: 'prefix', path: unescape(open) };
  return { kind: 'regex', source: r.path, literalPrefix: literalPrefix(r.path) };
}

const regexes = new Map<string, RegExp>();
function regexOf(source: string): RegExp {
  let re = regexes.get(source);
  if (!re) regexes.set(source, (re = new RegExp(source)));
  return re;
}

export function pathCovers(a: PathMatch, b: PathMatch): boolean {
  if (a.kind === 'prefix') {
    if (b.kind === 'regex') return b.literalPrefix.startsWith(a.path);
    return b.path.startsWith(a.path);
  }
  if (a.kind === 'exact') return b.kind === 'exact' && a.path === b.path;
  if (b.kind === 'exact') return regexOf(a.source).test(b.path);
  return b.kind === 'regex' && a.source === b.source;
}

export function samePath(a: PathMatch, b: PathMatch): boolean {
  return pathCovers(a, b) && pathCovers(b, a);
}

/** Host pattern a matches every host pattern b does (a wildcard b stands for names ending in its suffix). */
const hostCovers = (a: string, b: string) => a.toLowerCase() === b.toLowerCase() || (a.startsWith('*.') && hostMatches(a, b.startsWith('*.') ? b.slice(1) : b));

/** No hosts means every host. */
export function hostsCover(a: string[], b: string[]): boolean {
  if (a.length === 0) return true;
  return b.length > 0 && b.every((hb) => a.some((ha) => hostCovers(ha, hb)));
}

/** Hosts both routes match, when both name hosts (a host-specific route beside a host-less one is the intended override). */
export function sharedHosts(a: string[], b: string[]): string[] {
  if (a.length === 0 && b.length === 0) return ['any host'];
  return b.filter((hb) => a.some((ha) => hostCovers(ha, hb) || hostCovers(hb, ha)));
}

/** No methods means every method. */
export function methodsCover(a: string[], b: string[]): boolean {
  if (a.length === 0) return true;
  return b.length > 0 && b.every((m) => a.includes(m));
}

/** Methods both routes match, when both list methods or neither does. */
export function sharedMethods(a: string[], b: string[]): string[] {
  if (a.length === 0 && b.length === 0) return ['any method'];
  return a.filter((m) => b.includes(m));
}

/** Every header condition of a is implied by one of b. */
export function headersCover(a: Record<string, string[]>, b: Record<string, string[]>): boolean {
  const bl = Object.fromEntries(Object.entries(b).map(([k, v]) => [k.toLowerCase(), v]));
  return Object.entries(a).every(([k, values]) => bl[k.toLowerCase()]?.every((v) => values.includes(v)) ?? false);
}

export function routeCovers(a: Route, b: Route): boolean {
  return hostsCover(a.hosts, b.hosts) && methodsCover(a.methods, b.methods) && headersCover(a.headers, b.headers) && pathCovers(pathMatch(a), pathMatch(b));
}

export function describePath(r: Route): string {
  return `${r.pathType} ${r.path}`;
}

/** A comparable key: two routes have the same path match exactly when their keys are equal. */
export function pathKey(m: PathMatch): string {
  return m.kind === 'regex' ? `regex:${m.source}` : `${m.kind}:${m.path}`;
}

/**
 * Routes whose path match may cover each route's, found through indexes instead of comparing every pair
 * (a 10,000-route spec has 50 million pairs): prefixes by each prefix of the covered path, exact and regex
 * routes by key, regexes against exact paths. Callers still check routeCovers on the candidates.
 */
export function coverCandidates(routes: Route[]): Map<Route, Route[]> {
  const add = <K, V>(map: Map<K, V[]>, key: K, value: V) => {
    const list = map.get(key);
    if (list) list.push(value);
    else map.set(key, [value]);
  };
  const lengthsOf = (keys: Iterable<string>) => [...new Set([...keys].map((k) => k.length))].sort((x, y) => x - y);
  // Prefix routes by path; exact and regex routes by key; regex routes also by their literal prefix (an anchored
  // regex matches only paths that start with it).
  const prefixes = new Map<string, Route[]>();
  const byKey = new Map<string, Route[]>();
  const regexes = new Map<string, { route: Route; re: RegExp }[]>();
  for (const r of routes) {
    const m = pathMatch(r);
    if (m.kind === 'prefix') add(prefixes, m.path, r);
    else add(byKey, pathKey(m), r);
    if (m.kind === 'regex') add(regexes, m.literalPrefix, { route: r, re: routeRegex(r) });
  }
  // Only the lengths some prefix (or literal prefix) has can match.
  const prefixLengths = lengthsOf(prefixes.keys());
  const headLengths = lengthsOf(regexes.keys());
  const out = new Map<Route, Route[]>();
  for (const b of routes) {
    const mb = pathMatch(b);
    const found: Route[] = [];
    const text = mb.kind === 'regex' ? mb.literalPrefix : mb.path;
    for (const n of prefixLengths) {
      if (n > text.length) break;
      for (const a of prefixes.get(text.slice(0, n)) ?? []) found.push(a);
    }
    if (mb.kind !== 'prefix') found.push(...byKey.get(pathKey(mb))!);
    if (mb.kind === 'exact') {
      for (const n of headLengths) {
        if (n > mb.path.length) break;
        for (const { route, re } of regexes.get(mb.path.slice(0, n)) ?? []) if (re.test(mb.path)) found.push(route);
      }
    }
    out.set(b, found.length ? [...new Set(found)].filter((a) => a !== b).sort((x, y) => x.order - y.order) : found);
  }
  return out;
}

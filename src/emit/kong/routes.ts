import type { Route } from '../../model/types.js';
import { EmitError } from '../text.js';

/**
 * Kong routes that choose as the model does (model/routing.ts chooseRoute: the first route in the model's order
 * whose host, path, method and header conditions all hold). Kong's default router (traditional_compatible) ranks
 * routes by its own packed priority (how many kinds of condition a route has, then hosts, headers, regex, path
 * length), which disagrees with that order. Under router_flavor `expressions` every route carries an ATC
 * `expression` with all its conditions and a `priority`; Kong tries matchers from the highest priority down and
 * takes the first whose expression holds. Priority n - order (unique, 1..n) is the model's order exactly.
 */
export const KONG_ROUTER_FLAVOR = 'expressions';

/** An ATC string literal (the expression language's raw string, or a quoted one when the text holds `"#`). */
export function atcString(s: string): string {
  if (!s.includes('"#')) return `r#"${s}"#`;
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** `http.headers.<name>`: Kong's field for a request header, lower case with "-" as "_". */
function headerField(name: string): string {
  if (!/^[A-Za-z0-9-]+$/.test(name)) throw new EmitError(`header name ${JSON.stringify(name)} cannot name a Kong router field`);
  return `http.headers.${name.toLowerCase().replace(/-/g, '_')}`;
}

const anyOf = (terms: string[]) => `(${terms.join(' || ')})`;

/**
 * The route's conditions as one expression, each part parenthesized (the ATC parser ranks "||" above "&&").
 * - path: exact `==`, prefix `^=`, regex `~` (the spec anchors regexes at "^/"; Kong reads them with the Rust regex
 *   crate). The one `http.path` predicate is also what strip_path removes: Kong strips the text it matched.
 * - hosts: compared in lower case, a wildcard "*.example.com" as a suffix ".example.com" (model: hostMatches).
 * - methods: any of them; headers: for each name, any request value equal to one of the values, case-insensitively.
 */
export function routeExpression(r: Route): string {
  const parts: string[] = [];
  const op = r.pathType === 'exact' ? '==' : r.pathType === 'prefix' ? '^=' : '~';
  parts.push(`(http.path ${op} ${atcString(r.path)})`);
  if (r.hosts.length)
    parts.push(anyOf(r.hosts.map((h) => (h.startsWith('*.')
      ? `lower(http.host) =^ ${atcString(h.slice(1).toLowerCase())}`
      : `lower(http.host) == ${atcString(h.toLowerCase())}`))));
  if (r.methods.length) parts.push(anyOf(r.methods.map((m) => `http.method == ${atcString(m)}`)));
  for (const [name, values] of Object.entries(r.headers))
    parts.push(anyOf(values.map((v) => `any(lower(${headerField(name)})) == ${atcString(v.toLowerCase())}`)));
  return parts.join(' && ');
}

/** A static-files prefix the gateway forwards to the proxy: GET and HEAD under it. */
export function staticExpression(prefix: string): string {
  return `(http.path ^= ${atcString(prefix)}) && (http.method == "GET" || http.method == "HEAD")`;
}

/**
 * Priorities for n model routes and the static prefixes: model routes get n - order; static prefixes rank above
 * every route (longest first), as the proxy serves those files whatever route the gateway picked.
 */
export function routePriority(r: Route, n: number): number {
  return n - r.order;
}

export function staticPriorities(prefixes: readonly string[], n: number): number[] {
  const byLength = prefixes.map((p, i) => ({ p, i })).sort((a, b) => b.p.length - a.p.length || a.i - b.i);
  const out = new Array<number>(prefixes.length);
  byLength.forEach(({ i }, k) => { out[i] = n + prefixes.length - k; });
  return out;
}

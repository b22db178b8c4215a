import type { Route } from '../../model/types.js';
import { EmitError } from '../text.js';
import { kongRegex } from './regex.js';

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

function regexFor(r: Route): string {
  try {
    return kongRegex(r.path);
  } catch (e) {
    if (e instanceof EmitError) throw new EmitError(`route "${r.name}" cannot go to Kong: ${e.message}`);
    throw e;
  }
}

/**
 * The route's conditions as one expression, each part parenthesized (the ATC parser ranks "||" above "&&").
 * - path: exact `==`, prefix `^=`, regex `~` (the spec anchors regexes at "^/"; Kong reads them with the Rust regex
 *   crate, so they are written with JavaScript's meaning, regex.ts). The one `http.path` predicate is also what
 *   strip_path removes: Kong strips the text it matched.
 * - hosts: compared in lower case, a wildcard "*.example.com" as a suffix ".example.com" (model: hostMatches).
 * - methods: any of them; headers: for each name, any request value equal to one of the values, case-insensitively.
 */
export function routeExpression(r: Route): string {
  const parts: string[] = [];
  const op = r.pathType === 'exact' ? '==' : r.pathType === 'prefix' ? '^=' : '~';
  parts.push(`(http.path ${op} ${atcString(r.pathType === 'regex' ? regexFor(r) : r.path)})`);
  if (r.hosts.length)
    parts.push(anyOf(r.hosts.map((h) => (h.startsWith('*.')
      ? `lower(http.host) =^ ${atcString(h.slice(1).toLowerCase())}`
      : `lower(http.host) == ${atcString(h.toLowerCase())}`))));
  if (r.methods.length) parts.push(anyOf(r.methods.map((m) => `http.method == ${atcString(m)}`)));
  for (const [name, values] of Object.entries(r.headers))
    parts.push(anyOf(values.map((v) => `any(lower(${headerField(name)})) == ${atcString(v.toLowerCase())}`)));
  return parts.join(' && ');
}

type Entity = Record<string, unknown>;

/** The Kong route of a model route (n routes in all); `stripPath` when Kong itself removes the matched path prefix. */
export function kongRouteEntity(r: Route, n: number, stripPath: boolean): Entity {
  return {
    name: r.name,
    protocols: ['http', 'https'],
    expression: routeExpression(r),
    priority: n - r.order,
    strip_path: stripPath,
    preserve_host: true,
    https_redirect_status_code: 426,
    request_buffering: true,
    response_buffering: true,
  };
}

/**
 * Routes for the proxy's static prefixes (GET and HEAD, forwarded untouched and unauthenticated). They rank above
 * every model route, longest prefix first, as their traditional routes mostly did (two match fields beat a path
 * alone): a request for a static file never picks up a route's auth or limits on its way to the proxy.
 */
export function staticRouteEntities(prefixes: readonly string[], n: number): Entity[] {
  const rank = prefixes.map((p, i) => ({ p, i })).sort((a, b) => b.p.length - a.p.length || a.i - b.i);
  const priority = new Array<number>(prefixes.length);
  rank.forEach(({ i }, k) => { priority[i] = n + prefixes.length - k; });
  return prefixes.map((p, i) => ({
    name: `static-${i + 1}`,
    protocols: ['http', 'https'],
    expression: `(http.path ^= ${atcString(p)}) && (http.method == ${atcString('GET')} || http.method == ${atcString('HEAD')})`,
    priority: priority[i],
    strip_path: false,
    preserve_host: true,
  }));
}

import fc from 'fast-check';
import { stringify } from 'yaml';

/**
 * Random route sets and requests for the routing differential test (issue 18). Paths, regexes and hosts come from
 * small overlapping vocabularies so that routes collide: prefixes with and without their trailing slash, exact paths
 * under prefixes, regexes over the same paths, host-specific and wildcard routes next to host-less ones.
 * Requests are picks (indexes) into the candidates a route set makes, so a failing case shrinks to few routes and
 * few requests.
 */

export const MAX_ROUTES = 6;
/** Large sets: above HAProxy's map threshold (64 routes), where it looks routes up in map files instead of ACL rules. */
export const LARGE_ROUTES = { min: 65, max: 80 };
export const HEADER = 'X-Tenant';

/** Prefix and exact paths: nested, with and without trailing slash, one upper-case. */
export const PATHS = ['/', '/a', '/a/', '/a/b', '/a/b/', '/ab', '/v1/accounts', '/v1/accounts/', '/v1/accounts/42', '/api/', '/api/x.json', '/A/'];

/** Regexes (portable: anchored, no lookarounds) with paths they match and paths near them they do not. */
export const REGEXES: { re: string; hits: string[]; misses: string[] }[] = [
  { re: '^/v1/accounts/[0-9]+$', hits: ['/v1/accounts/42'], misses: ['/v1/accounts/x', '/v1/accounts/42/x'] },
  { re: '^/a/b/.*$', hits: ['/a/b/c', '/a/b/'], misses: ['/a/bc'] },
  { re: '^/a', hits: ['/a', '/ab', '/a/x'], misses: ['/b'] },
  { re: '^/a/[a-z]+$', hits: ['/a/b', '/a/bc'], misses: ['/a/b/c', '/a/42'] },
  { re: '^/(a|api)/', hits: ['/a/x', '/api/x'], misses: ['/ap/x'] },
  { re: '^/api/.*\\.json$', hits: ['/api/x.json', '/api/d/y.json'], misses: ['/api/x.jsonp'] },
  { re: '^/v[0-9]+/', hits: ['/v1/accounts', '/v2/x'], misses: ['/v/x'] },
  { re: '^/a/b$', hits: ['/a/b'], misses: ['/a/b/'] },
  { re: '^/.*/42$', hits: ['/v1/accounts/42', '/a/42'], misses: ['/42'] },
  { re: '^/A/', hits: ['/A/x'], misses: ['/a/x'] },
];

export const ROUTE_HOSTS = ['api.example.com', 'www.example.com', '*.example.com'];
/** Request hosts: each route host, names the wildcard covers and one it does not, and an unknown host. */
export const REQUEST_HOSTS = ['unknown.test', 'api.example.com', 'www.example.com', 'x.example.com', 'example.com'];
export const ROUTE_METHODS = ['GET', 'POST', 'DELETE', 'PUT'];
export const REQUEST_METHODS = ['GET', 'POST', 'DELETE'];
/** Header on a request: absent, or one of these values (case differs in the last). */
export const HEADER_VALUES = [undefined, 'blue', 'green', 'BLUE'];

export interface GenRoute {
  pathType: 'exact' | 'prefix' | 'regex';
  /** Index into PATHS (exact, prefix) or REGEXES (regex). */
  path: number;
  hosts: string[];
  methods: string[];
  /** Values of the X-Tenant header the route needs (none: no header condition). */
  header: string[];
  transform: 'none' | 'strip' | 'rewrite';
}

export interface RequestPick { path: number; method: number; host: number; header: number }

export interface RouteCase { routes: GenRoute[]; picks: RequestPick[] }

export interface TestRequest { method: string; host: string; path: string; headers: Record<string, string> }

export function routePath(r: GenRoute): string {
  return r.pathType === 'regex' ? REGEXES[r.path % REGEXES.length].re : PATHS[r.path % PATHS.length];
}

/** Two routes with the same path, hosts, methods and headers are refused by the spec: one of them is dropped. */
function matchKey(r: GenRoute): string {
  return JSON.stringify([r.pathType, routePath(r), [...r.hosts].sort(), [...r.methods].sort(), r.header.length ? [...r.header] : []]);
}

const genRoute: fc.Arbitrary<GenRoute> = fc
  .record({
    pathType: fc.constantFrom<GenRoute['pathType']>('prefix', 'exact', 'regex'),
    path: fc.nat({ max: Math.max(PATHS.length, REGEXES.length) - 1 }),
    hosts: fc.oneof({ weight: 3, arbitrary: fc.constant<string[]>([]) }, { weight: 2, arbitrary: fc.subarray(ROUTE_HOSTS, { minLength: 1, maxLength: 2 }) }),
    methods: fc.oneof({ weight: 3, arbitrary: fc.constant<string[]>([]) }, { weight: 2, arbitrary: fc.subarray(ROUTE_METHODS, { minLength: 1, maxLength: 2 }) }),
    header: fc.oneof({ weight: 3, arbitrary: fc.constant<string[]>([]) }, { weight: 1, arbitrary: fc.constantFrom<string[]>(['blue'], ['green'], ['blue', 'green']) }),
    transform: fc.oneof({ weight: 3, arbitrary: fc.constant<GenRoute['transform']>('none') }, { weight: 1, arbitrary: fc.constantFrom<GenRoute['transform']>('strip', 'rewrite') }),
  })
  // The spec allows rewrite on prefix and exact paths only.
  .map((r) => (r.pathType === 'regex' && r.transform === 'rewrite' ? { ...r, transform: 'strip' as const } : r));

/** Routes HAProxy can put in map files (no header, no wildcard host), so a large set takes its map mode. */
const mappableRoute: fc.Arbitrary<GenRoute> = fc.record({
  pathType: fc.constantFrom<GenRoute['pathType']>('prefix', 'exact', 'regex'),
  path: fc.nat({ max: Math.max(PATHS.length, REGEXES.length) - 1 }),
  hosts: fc.oneof({ weight: 3, arbitrary: fc.constant<string[]>([]) }, { weight: 1, arbitrary: fc.subarray(ROUTE_HOSTS.filter((h) => !h.startsWith('*')), { minLength: 1 }) }),
  methods: fc.oneof(fc.constant<string[]>([]), fc.subarray(ROUTE_METHODS, { minLength: 1, maxLength: 2 })),
  header: fc.constant<string[]>([]),
  transform: fc.constant<GenRoute['transform']>('none'),
});

export function routeCase(requests: number): fc.Arbitrary<RouteCase> {
  return fc.record({
    // One set in 40 is large (HAProxy map mode, NGINX with many routes per slot).
    routes: fc.oneof(
      { weight: 39, arbitrary: fc.uniqueArray(genRoute, { minLength: 1, maxLength: MAX_ROUTES, selector: matchKey }) },
      { weight: 1, arbitrary: fc.uniqueArray(mappableRoute, { minLength: LARGE_ROUTES.min, maxLength: LARGE_ROUTES.max, selector: matchKey }) },
    ),
    // size 'max': lengths spread over 1..requests (about half on average) instead of fast-check's small default.
    picks: fc.array(fc.record({ path: fc.nat(), method: fc.nat(), host: fc.nat(), header: fc.nat() }), { minLength: 1, maxLength: requests, size: 'max' }),
  });
}

/** Paths worth asking for with these routes: each path, with and without its trailing slash, extensions under it, regex hits and misses. */
export function candidatePaths(routes: GenRoute[]): string[] {
  const out = new Set<string>(['/', '/zzz']);
  for (const r of routes) {
    if (r.pathType === 'regex') {
      const x = REGEXES[r.path % REGEXES.length];
      for (const p of [...x.hits, ...x.misses]) out.add(p);
      continue;
    }
    const p = routePath(r);
    const bare = p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
    const slash = p.endsWith('/') ? p : `${p}/`;
    for (const v of [p, bare, slash, `${p}x`, `${slash}x`, `${slash}42`, `${slash}x.json`]) out.add(v);
  }
  return [...out].sort();
}

export function requestsOf(c: RouteCase): TestRequest[] {
  const paths = candidatePaths(c.routes);
  return c.picks.map((p) => {
    const value = HEADER_VALUES[p.header % HEADER_VALUES.length];
    return {
      method: REQUEST_METHODS[p.method % REQUEST_METHODS.length],
      host: REQUEST_HOSTS[p.host % REQUEST_HOSTS.length],
      path: paths[p.path % paths.length],
      headers: value === undefined ? {} : { [HEADER]: value } as Record<string, string>,
    };
  });
}

export const routeName = (i: number) => `r${i}`;
export const serviceName = (i: number) => `s${i}`;

/** The layer line of the spec each engine gets: only that layer in front of the services. */
export type SpecLayer = 'proxy' | 'gateway-nginx' | 'loadBalancer' | 'gateway-kong';

const LAYER_SPEC: Record<SpecLayer, Record<string, unknown>> = {
  proxy: { proxy: { ports: { http: 8080 } } },
  'gateway-nginx': { gateway: { engine: 'nginx', ports: { http: 8000 } } },
  loadBalancer: { loadBalancer: { mode: 'http', ports: { http: 80 } } },
  'gateway-kong': { gateway: { ports: { http: 8000 } } },
};

/** The spec of a route set for one layer: route i goes to service i, whose one instance is echo backend i. */
export function specObject(routes: GenRoute[], layer: SpecLayer): Record<string, unknown> {
  return {
    version: 1,
    name: 'routing-diff',
    ...LAYER_SPEC[layer],
    services: routes.map((_, i) => ({ name: serviceName(i), instances: [{ address: `127.0.0.1:${3000 + i}` }] })),
    routes: routes.map((r, i) => ({
      name: routeName(i),
      match: {
        path: routePath(r),
        pathType: r.pathType,
        ...(r.hosts.length ? { hosts: r.hosts } : {}),
        ...(r.methods.length ? { methods: r.methods } : {}),
        ...(r.header.length ? { headers: { [HEADER]: r.header } } : {}),
      },
      service: serviceName(i),
      ...(r.transform === 'strip' ? { stripPrefix: true } : {}),
      ...(r.transform === 'rewrite' ? { rewrite: '/z' } : {}),
    })),
  };
}

/** A hand-written route list (YAML, services s0..s<n-1>) as the spec of one layer. */
export function specWithRoutes(layer: SpecLayer, services: number, routesYaml: string): string {
  const head = stringify({ version: 1, name: 'routing-mechanism', ...LAYER_SPEC[layer],
    services: Array.from({ length: services }, (_, i) => ({ name: serviceName(i), instances: [{ address: `127.0.0.1:${3000 + i}` }] })) });
  return `${head}routes:\n${routesYaml}`;
}

export function specText(routes: GenRoute[], layer: SpecLayer): string {
  return stringify(specObject(routes, layer), { flowCollectionPadding: false, lineWidth: 0, aliasDuplicateObjects: false });
}

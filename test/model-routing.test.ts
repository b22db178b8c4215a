import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadSpec } from '../src/compile.js';
import { chooseRoute, hostMatches, serverPlans, serverSlots, type PathSlot, type RouteRequest } from '../src/model/routing.js';
import type { Model, Route } from '../src/model/types.js';

/** The model's decision (chooseRoute) and the decision lists nginx is compiled from (serverPlans), on the same routes. */

interface RouteIn { path: string; pathType: 'exact' | 'prefix' | 'regex'; hosts?: string[]; methods?: string[]; headers?: Record<string, string[]> }

function modelOf(routes: RouteIn[]): Model {
  const model = tryModel(routes);
  expect(model).toBeDefined();
  return model!;
}

/** The model, or undefined when validation refuses the set (e.g. two routes that match exactly the same requests). */
function tryModel(routes: RouteIn[]): Model | undefined {
  const spec = {
    version: 1, name: 'routing', proxy: { ports: { http: 8080 } },
    services: [{ name: 'svc', instances: [{ address: 'svc-1:3000' }] }],
    routes: routes.map((m, i) => ({ name: `r${i}`, match: m, service: 'svc' })),
  };
  const { model, diagnostics } = loadSpec(stringify(spec), 'routing.yaml');
  return diagnostics.some((d) => d.severity === 'error') ? undefined : model;
}

const name = (r: Route | undefined) => r?.name ?? '404';

/**
 * nginx's own selection over the compiled plan: the server by host (exact name, then the longest wildcard, then the
 * default), the location by path (exact, else the longest prefix), then the slot's candidates in order. Also what
 * nginx would add: a 301 for "/a" when a prefix location "/a/" proxies and no exact location takes "/a".
 */
const plans = new WeakMap<Model, ReturnType<typeof serverPlans>>();

function nginxOver(model: Model, req: RouteRequest): string {
  if (!plans.has(model)) plans.set(model, serverPlans(model.routes));
  const { byDefault, servers } = plans.get(model)!;
  const host = req.host?.toLowerCase();
  let server = servers.find((s) => s.host !== undefined && !s.host.startsWith('*.') && s.host === host);
  if (!server && host) {
    const wild = servers.filter((s) => s.host?.startsWith('*.') && hostMatches(s.host, host)).sort((a, b) => b.host!.length - a.host!.length);
    server = wild[0];
  }
  server ??= servers.find((s) => s.host === undefined)!;
  const slots = serverSlots(server, byDefault);
  let slot: PathSlot | undefined = slots.find((s) => s.kind === 'exact' && s.path === req.path);
  if (!slot) {
    const redirect = slots.find((s) => s.path === `${req.path}/` && s.candidates.length > 0);
    if (redirect) return '301';
    slot = slots.filter((s) => s.kind === 'prefix' && req.path.startsWith(s.path)).sort((a, b) => b.path.length - a.path.length)[0];
  }
  if (!slot) return 'no location';
  for (const c of slot.candidates) {
    const r = c.route;
    if (c.testPath && !new RegExp(r.path).test(req.path)) continue;
    if (r.methods.length && !r.methods.includes(req.method)) continue;
    if (!Object.entries(r.headers).every(([h, vs]) => vs.some((v) => v.toLowerCase() === req.headers?.[h.toLowerCase()]?.toLowerCase()))) continue;
    return r.name;
  }
  return '404';
}

describe('the model decides: first route in the total order whose every condition holds', () => {
  it('a regex route with methods lets other methods fall through to the prefix route (issue 18)', () => {
    const model = modelOf([
      { path: '^/v1/accounts/[0-9]+$', pathType: 'regex', methods: ['GET'] },
      { path: '/v1/accounts/', pathType: 'prefix' },
    ]);
    expect(name(chooseRoute(model.routes, { method: 'GET', path: '/v1/accounts/42' }))).toBe('r0');
    expect(name(chooseRoute(model.routes, { method: 'POST', path: '/v1/accounts/42' }))).toBe('r1');
    expect(nginxOver(model, { method: 'POST', path: '/v1/accounts/42' })).toBe('r1');
  });

  it('a prefix "/a/" does not take "/a", and nginx gets no room for its 301', () => {
    const model = modelOf([{ path: '/a/', pathType: 'prefix' }, { path: '/', pathType: 'prefix', methods: ['GET'] }]);
    expect(name(chooseRoute(model.routes, { method: 'GET', path: '/a' }))).toBe('r1');
    expect(name(chooseRoute(model.routes, { method: 'POST', path: '/a' }))).toBe('404');
    expect(nginxOver(model, { method: 'GET', path: '/a' })).toBe('r1');
    expect(nginxOver(model, { method: 'POST', path: '/a' })).toBe('404');
  });

  it('an exact "/a/" leaves "/a" to the other routes (nginx would 301 it)', () => {
    const model = modelOf([{ path: '/a/', pathType: 'exact', methods: ['PUT'] }]);
    expect(nginxOver(model, { method: 'DELETE', path: '/a' })).toBe('404');
  });

  it('a host-specific prefix beats a host-less regex; other hosts get the regex', () => {
    const model = modelOf([{ path: '^/api/.*$', pathType: 'regex' }, { path: '/api', pathType: 'prefix', hosts: ['shop.example.com'] }]);
    expect(model.routes.map((r) => r.name)).toEqual(['r1', 'r0']);
    for (const host of ['shop.example.com', 'SHOP.example.com']) expect(nginxOver(model, { method: 'GET', host, path: '/api/x' })).toBe('r1');
    expect(nginxOver(model, { method: 'GET', host: 'other.example.com', path: '/api/x' })).toBe('r0');
  });

  it('wildcard hosts cover deeper names but not the bare domain; header values compare case-insensitively', () => {
    const model = modelOf([
      { path: '/', pathType: 'prefix', hosts: ['*.example.com'], headers: { 'X-Tenant': ['Blue'] } },
      { path: '/', pathType: 'prefix', hosts: ['*.example.com'] },
      { path: '/', pathType: 'prefix' },
    ]);
    const req = (host: string, tenant?: string): RouteRequest => ({ method: 'GET', host, path: '/x', headers: tenant ? { 'x-tenant': tenant } : {} });
    expect(name(chooseRoute(model.routes, req('a.b.example.com', 'blue')))).toBe('r0');
    expect(name(chooseRoute(model.routes, req('a.example.com')))).toBe('r1');
    expect(name(chooseRoute(model.routes, req('example.com', 'blue')))).toBe('r2');
    for (const [h, t] of [['a.b.example.com', 'blue'], ['a.example.com', undefined], ['example.com', 'blue']] as const)
      expect(nginxOver(model, req(h, t))).toBe(name(chooseRoute(model.routes, req(h, t))));
  });
});

const PATHS = ['/', '/a', '/a/', '/a/1', '/a/b', '/a/b/', '/a/b/c', '/ab', '/b', '/b/x', '/x/1'];
const routeIn: fc.Arbitrary<RouteIn> = fc.record({
  kind: fc.constantFrom('exact', 'prefix', 'regex'),
  path: fc.constantFrom('/', '/a', '/a/', '/a/b', '/a/b/', '/ab', '/b', '/b/'),
  regex: fc.constantFrom('^/a/[0-9]+$', '^/a/.*$', '^/(a|b)/x', '^/a', '^/b/x$', '^/[ab]/'),
  hosts: fc.constantFrom([], [], ['h1.test'], ['*.test'], ['x.h1.test', 'h2.test']),
  methods: fc.constantFrom([], [], ['GET'], ['POST', 'DELETE']),
  header: fc.boolean(),
}).map(({ kind, path, regex, hosts, methods, header }) => ({
  pathType: kind as RouteIn['pathType'], path: kind === 'regex' ? regex : kind === 'exact' && path === '/' ? '/a' : path, hosts, methods,
  ...(header ? { headers: { 'X-V': ['1'] } } : {}),
}));

describe('property: the compiled nginx plan decides as the model, on random route sets', () => {
  it('every request of every set (1,000 sets)', () => {
    let requests = 0;
    let sets = 0;
    fc.assert(fc.property(fc.array(routeIn, { minLength: 1, maxLength: 7 }), (routes) => {
      const model = tryModel(routes);
      fc.pre(model !== undefined);
      sets++;
      for (const path of PATHS) for (const method of ['GET', 'POST', 'DELETE']) for (const host of [undefined, 'h1.test', 'x.h1.test', 'y.test', 'other.org'])
        for (const v of [undefined, '1']) {
          const req: RouteRequest = { method, host, path, headers: v ? { 'x-v': v } : {} };
          requests++;
          const want = name(chooseRoute(model.routes, req));
          const got = nginxOver(model, req);
          if (got !== want) throw new Error(`${method} ${host ?? '-'} ${path} x-v=${v ?? '-'}: model ${want}, nginx plan ${got}\n${stringify(routes)}`);
        }
    }), { numRuns: 1000, seed: 18 });
    expect(sets).toBe(1000);
    expect(requests).toBe(1000 * PATHS.length * 3 * 5 * 2);
  });
});

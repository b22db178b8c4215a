// Kong's route choice equals the model's (issue 18). Kong cannot run here, so kong.yaml is evaluated with Kong 3.9's
// own ranking rule (test/helpers/kong-router.ts: ATC matchers by priority, ties by route id; traditional_compatible
// priorities from transform.lua get_priority). Not a live Kong.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { compileSpec } from '../src/compile.js';
import { KONG_ROUTER_FLAVOR } from '../src/emit/kong/routes.js';
import { chooseRoute, type RouteRequest } from '../src/model/routing.js';
import type { Model, Route } from '../src/model/types.js';
import { kongRoute, kongRouter, kongUpstream } from './helpers/kong-router.js';

type SpecRoute = {
  name: string; service?: string; stripPrefix?: boolean; rewrite?: string;
  match: { path: string; pathType?: 'exact' | 'prefix' | 'regex'; hosts?: string[]; methods?: string[]; headers?: Record<string, string[]> };
};

function specText(routes: SpecRoute[], extra: Record<string, unknown> = {}): string {
  return stringify({
    version: 1, name: 'kong-routing',
    gateway: { instances: 1, ports: { http: 8000 } },
    services: [{ name: 'svc', instances: [{ address: 'svc-1:3000' }] }],
    routes: routes.map((r) => ({ service: 'svc', ...r })),
    ...extra,
  });
}

function build(routes: SpecRoute[], extra: Record<string, unknown> = {}): { model: Model; kongYaml: string; kongEnv: string } {
  const text = specText(routes, extra);
  const r = compileSpec(text, 'kong-routing.yaml', { lint: false, env: {} });
  if (!r.ok) throw new Error(`spec does not build:\n${text}\n${JSON.stringify(r.diagnostics, null, 1)}`);
  const file = (p: string) => r.files.find((f) => f.path === p)!.content;
  return { model: r.model!, kongYaml: file('kong/kong.yaml'), kongEnv: file('kong/kong.env') };
}

/**
 * The Kong routes edgegen emitted before issue 18 (commit ed2a53a, src/emit/kong/emit.ts), for a spec without a proxy:
 * traditional fields, exact paths as anchored regexes, regex_priority from the model's order for exact and regex
 * paths, strip_path and a service path for stripPrefix and rewrite, default router flavor.
 */
function oldKongYaml(model: Model): string {
  const n = model.routes.length;
  const path = (r: Route) => (r.pathType === 'prefix' ? r.path
    : r.pathType === 'exact' ? `~${r.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$` : `~${r.path.slice(1)}`);
  // gateway-only specs: Kong stripped prefix and exact paths itself, a rewrite route got a service with that path
  const services: Record<string, unknown>[] = [{ name: 'svc', host: 'svc-upstream', routes: [] }];
  for (const r of model.routes) {
    const rewrites = (r.stripPrefix || r.rewrite) && r.pathType !== 'regex';
    const route = {
      name: r.name, protocols: ['http', 'https'], paths: [path(r)], strip_path: Boolean(rewrites), preserve_host: true,
      regex_priority: r.pathType === 'prefix' ? 0 : n - r.order,
      ...(r.hosts.length ? { hosts: r.hosts } : {}),
      ...(r.methods.length ? { methods: r.methods } : {}),
      ...(Object.keys(r.headers).length ? { headers: Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k.toLowerCase(), v])) } : {}),
    };
    if (rewrites && r.rewrite) services.push({ name: `svc--${r.name}`, host: 'svc-upstream', path: r.rewrite, routes: [route] });
    else (services[0]!.routes as unknown[]).push(route);
  }
  return stringify({ _format_version: '3.0', services });
}

const model = (r: RouteRequest) => (m: Model) => chooseRoute(m.routes, r)?.name;

describe("Kong's route choice is the model's", () => {
  it('kong.env selects the expressions router flavor and every route carries an expression and a unique priority', () => {
    const { kongYaml, kongEnv } = build([
      { name: 'a', match: { path: '/a/' } },
      { name: 'b', match: { path: '^/a/b/.*$', pathType: 'regex' } },
    ]);
    expect(kongEnv).toContain(`KONG_ROUTER_FLAVOR=${KONG_ROUTER_FLAVOR}\n`);
    expect(KONG_ROUTER_FLAVOR).toBe('expressions');
    expect(kongYaml).toContain('expression: "(http.path ~ r#\\"^/a/b/.*$\\"#)"');
    expect(kongYaml).toMatch(/priority: 2\n/);
    expect(kongYaml).toMatch(/priority: 1\n/);
    expect(kongYaml).not.toMatch(/regex_priority|paths:/);
  });

  it("issue 18's example: regex ^/a/b/.*$ against prefix /a/b/ with methods [POST]", () => {
    const { model: m, kongYaml } = build([
      { name: 'regex', match: { path: '^/a/b/.*$', pathType: 'regex' } },
      { name: 'prefix', match: { path: '/a/b/', methods: ['POST'] } },
    ]);
    const req = { method: 'POST', path: '/a/b/c' };
    expect(model(req)(m)).toBe('regex');
    // Before: Kong's default router ranks two match fields (methods + paths) above one, whatever the model says.
    expect(kongRoute(oldKongYaml(m), req, 'traditional_compatible')).toBe('prefix');
    expect(kongRoute(kongYaml, req)).toBe('regex');
    for (const r of [{ method: 'POST', path: '/a/b/' }, { method: 'GET', path: '/a/b/c' }, { method: 'POST', path: '/a/b' }])
      expect(kongRoute(kongYaml, r)).toBe(model(r)(m));
  });

  it("issue 18's example: ^/v1/accounts/[0-9]+$ for GET against the prefix /v1/accounts/", () => {
    const { model: m, kongYaml } = build([
      { name: 'account', match: { path: '^/v1/accounts/[0-9]+$', pathType: 'regex', methods: ['GET'] } },
      { name: 'accounts', match: { path: '/v1/accounts/' } },
    ]);
    for (const req of [{ method: 'GET', path: '/v1/accounts/42' }, { method: 'POST', path: '/v1/accounts/42' }, { method: 'GET', path: '/v1/accounts/x' }])
      expect(kongRoute(kongYaml, req)).toBe(model(req)(m));
    expect(kongRoute(kongYaml, { method: 'POST', path: '/v1/accounts/42' })).toBe('accounts');
    // The old emission disagreed here too: a host-less, method-less prefix route with a header beats the regex.
    const { model: m2 } = build([
      { name: 'account', match: { path: '^/v1/accounts/[0-9]+$', pathType: 'regex', methods: ['GET'] } },
      { name: 'accounts', match: { path: '/v1/accounts/', methods: ['GET'], headers: { 'X-Tenant': ['a'] } } },
    ]);
    const req = { method: 'GET', path: '/v1/accounts/42', headers: { 'X-Tenant': 'a' } };
    expect(model(req)(m2)).toBe('account');
    expect(kongRoute(oldKongYaml(m2), req, 'traditional_compatible')).toBe('accounts');
  });

  it('static prefixes rank above every route and keep their GET/HEAD scope', () => {
    const { kongYaml } = build([{ name: 'all', match: { path: '/' } }], {
      proxy: { instances: 1, ports: { http: 9000 }, static: [{ prefix: '/static/', root: '/srv/s' }, { prefix: '/static/img/', root: '/srv/i' }] },
    });
    expect(kongRoute(kongYaml, { method: 'GET', path: '/static/a.css' })).toBe('static-1');
    expect(kongRoute(kongYaml, { method: 'HEAD', path: '/static/img/a.png' })).toBe('static-2');
    expect(kongRoute(kongYaml, { method: 'POST', path: '/static/a.css' })).toBe('all');
  });
});

describe('regexes Kong cannot read as the model does', () => {
  it('stop the build with the route named (look-around, octal escapes)', () => {
    for (const path of ['^/(?=/)a', '^/a\\01']) {
      const r = compileSpec(specText([{ name: 'odd', match: { path, pathType: 'regex' } }]), 'x.yaml', { lint: false, env: {} });
      expect(r.ok).toBe(false);
      expect(r.diagnostics.map((d) => d.message).join('\n')).toMatch(/route "odd" cannot go to Kong: regex .*(look-around|octal)/);
    }
  });

  it('a lone "{" (literal to the model) reaches Kong escaped, and Kong matches what the model matches', () => {
    const { model: m, kongYaml } = build([{ name: 'brace', match: { path: '^/a{b', pathType: 'regex' } }, { name: 'all', match: { path: '/' } }]);
    expect(kongYaml).toContain('r#\\"^/a\\\\{b\\"#');
    for (const path of ['/a{b', '/ab', '/a{{b'])
      expect(kongRoute(kongYaml, { method: 'GET', path })).toBe(model({ method: 'GET', path })(m));
  });
});

// ---- property: random route sets and requests ----

const SEGS = ['a', 'b', 'v1', '42'];
const seg = fc.constantFrom(...SEGS);
const segs = fc.array(seg, { minLength: 0, maxLength: 3 });
const REGEX_TAILS = ['/[0-9]+', '/.*', '/[^/]+', '(/.*)?', '/b', '/(a|b)', '/[a-z]+/c', '/\\d{2}', '(?:/x)?', '\\b', '/[\\w-]+'];
const pathMatch = fc.oneof(
  fc.record({ pathType: fc.constant('exact' as const), path: fc.tuple(segs, fc.boolean()).map(([s, slash]) => `/${s.join('/')}${slash && s.length ? '/' : ''}`) }),
  fc.record({ pathType: fc.constant('prefix' as const), path: fc.tuple(segs, fc.boolean()).map(([s, slash]) => `/${s.join('/')}${slash && s.length ? '/' : ''}`) }),
  fc.record({
    pathType: fc.constant('regex' as const),
    path: fc.tuple(seg, fc.array(fc.constantFrom(...REGEX_TAILS), { maxLength: 2 }), fc.boolean()).map(([h, t, end]) => `^/${h}${t.join('')}${end ? '$' : ''}`),
  }),
);
const HOSTS = ['a.example.com', '*.example.com', 'B.example.com'];
const routeArb = fc.record({
  match: pathMatch,
  hosts: fc.subarray(HOSTS, { maxLength: 2 }),
  methods: fc.subarray(['GET', 'POST', 'PUT']),
  header: fc.option(fc.constantFrom(['a'], ['a', 'B'], ['c d']), { nil: undefined }),
  rewrite: fc.constantFrom('none', 'strip', 'rewrite'),
});
// Two routes with the very same match are a spec error (the second could never match): keep the first.
const unique = <T extends { match: unknown; hosts: unknown; methods: unknown; header: unknown }>(rs: T[]) =>
  rs.filter((r, i) => rs.findIndex((q) => JSON.stringify([q.match, q.hosts, q.methods, q.header]) === JSON.stringify([r.match, r.hosts, r.methods, r.header])) === i);
const routeSet = fc.array(routeArb, { minLength: 2, maxLength: 6 }).map((rs) => unique(rs).map((r, i): SpecRoute => ({
  name: `r${i}`,
  ...(r.rewrite === 'strip' && r.match.pathType !== 'regex' ? { stripPrefix: true } : {}),
  ...(r.rewrite === 'rewrite' && r.match.pathType !== 'regex' ? { rewrite: '/to' } : {}),
  match: {
    ...r.match,
    ...(r.hosts.length ? { hosts: r.hosts } : {}),
    ...(r.methods.length ? { methods: r.methods } : {}),
    ...(r.header ? { headers: { 'X-Tenant': r.header } } : {}),
  },
})));

/** Requests near every route's path, with each method, host and header variant. */
function requests(routes: SpecRoute[]): RouteRequest[] {
  const paths = new Set(['/', '/a', '/a/', '/a/b', '/a/b/c', '/v1/42', '/b/42/c', '/42', '/a/x/c', '/zz']);
  for (const r of routes) {
    // a regex route's path with each variable tail replaced by a sample (and without it)
    const p = r.match.pathType === 'regex' ? r.match.path.replace(/^\^/, '').replace(/\$$/, '').replace(/\(\/\.\*\)\?|\/\.\*|\/\[\^\/\]\+|\/\[0-9\]\+|\/\(a\|b\)|\/\[a-z\]\+\/c|\/\\d\{2\}|\(\?:\/x\)\?|\\b|\/\[\\w-\]\+/g, '/42') : r.match.path;
    for (const q of [p, `${p}/x`, `${p}x`, p.replace(/\/$/, '') || '/']) paths.add(q);
  }
  const out: RouteRequest[] = [];
  for (const path of paths)
    for (const method of ['GET', 'POST', 'PUT'])
      for (const host of [undefined, 'a.example.com', 'x.example.com', 'b.EXAMPLE.com'])
        for (const headers of [undefined, { 'X-Tenant': 'a' }, { 'x-tenant': 'b' }, { 'X-TENANT': 'C D' }])
          out.push({ method, path, ...(host ? { host } : {}), ...(headers ? { headers } : {}) });
  return out;
}

describe('property: random route sets', () => {
  it("Kong's choice (expressions flavor, emitted kong.yaml) equals chooseRoute for every request, on 300 route sets", () => {
    let sets = 0;
    let checked = 0;
    fc.assert(fc.property(routeSet, (routes) => {
      const { model: m, kongYaml } = build(routes);
      const kong = kongRouter(kongYaml);
      for (const req of requests(routes)) {
        const want = chooseRoute(m.routes, req)?.name;
        const got = kong(req as never);
        if (got !== want) throw new Error(`Kong picks ${got ?? 'no route'}, the model ${want ?? 'no route'} for ${JSON.stringify(req)} on this spec:\n${specText(routes)}`);
        checked++;
      }
      sets++;
    }), { numRuns: 300 });
    expect(sets).toBeGreaterThanOrEqual(300);
    console.log(`kong routing property: ${sets} route sets, ${checked} requests, 0 disagreements`);
  });

  it("the old emission under Kong's default ranking disagrees on some of the same route sets", () => {
    let disagree = 0;
    let total = 0;
    fc.assert(fc.property(routeSet, (routes) => {
      const { model: m } = build(routes);
      const old = kongRouter(oldKongYaml(m), 'traditional_compatible');
      for (const req of requests(routes)) {
        total++;
        if (old(req as never) !== chooseRoute(m.routes, req)?.name) disagree++;
      }
    }), { numRuns: 60, seed: 18 });
    console.log(`old kong emission: ${disagree} of ${total} requests routed differently from the model`);
    expect(disagree).toBeGreaterThan(0);
  });
});

describe('property: the path Kong sends upstream is what it was', () => {
  it('the new routes strip and rewrite as the old ones did (Kong strips what its path predicate matched), on 100 route sets', () => {
    let compared = 0;
    fc.assert(fc.property(routeSet, (routes) => {
      const { model: m, kongYaml } = build(routes);
      const old = oldKongYaml(m);
      for (const req of requests(routes)) {
        const now = kongUpstream(kongYaml, req as never);
        expect(now?.name, JSON.stringify(req)).toBe(chooseRoute(m.routes, req)?.name);
        const before = kongUpstream(old, req as never, 'traditional_compatible');
        if (!now || before?.name !== now.name) continue; // the old router chose another route: nothing to compare
        expect(now.path, `${JSON.stringify(req)} on route ${now.name}:\n${specText(routes)}`).toBe(before.path);
        compared++;
      }
    }), { numRuns: 100 });
    expect(compared).toBeGreaterThan(5_000);
    console.log(`kong upstream paths: ${compared} requests routed alike before and after, same upstream path`);
  });
});

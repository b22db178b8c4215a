import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileSpec, loadSpec } from '../src/compile.js';
import { chooseRoute, upstreamPath } from '../src/model/routing.js';
import { REQUIRE_ENGINES } from './helpers/fixtures.js';
import { kongUpstream } from './helpers/kong-router.js';
import { KONG, NO_ROUTE, RoutingLab, type RouteRequest } from './helpers/routing-engines.js';
import { specWithRoutes } from './helpers/routing-gen.js';

/**
 * Issue 18's three mechanisms, each on a fixed spec, live on the NGINX proxy, the NGINX gateway engine and HAProxy
 * (and Kong's router on kong.yaml): the route each request must reach is written out here from the README's order,
 * and must also be the model's choice. "none" is the 404 "no route matched".
 */

const lab = new RoutingLab();
beforeAll(async () => { await lab.open(join(import.meta.dirname, 'helpers', 'kong-router.ts')); });
afterAll(async () => { await lab.close(); });

type Case = [method: string, host: string, path: string, expected: string, headers?: Record<string, string>];

async function check(services: number, routes: string, cases: Case[]) {
  const requests: RouteRequest[] = cases.map(([method, host, path, , headers]) => ({ method, host, path, headers: headers ?? {} }));
  const expected = cases.map((c) => c[3]);
  const r = await lab.run((layer) => specWithRoutes(layer, services, routes), requests);
  const show = (answers: string[] | undefined) => requests.map((q, i) => `${q.method} ${q.host}${q.path}${Object.keys(q.headers).length ? ` ${JSON.stringify(q.headers)}` : ''} -> ${answers?.[i]}`);
  expect(show(r.model), 'the model').toEqual(show(expected));
  const ran = Object.keys(r.answers);
  for (const engine of ran) expect(show(r.answers[engine as keyof typeof r.answers]), `${engine}${r.errors[engine as keyof typeof r.errors] ? `: ${r.errors[engine as keyof typeof r.errors]}` : ''}`).toEqual(show(expected));
  if (REQUIRE_ENGINES) expect(ran).toEqual(expect.arrayContaining(['nginx-proxy', 'nginx-gateway', 'haproxy']));
  return ran;
}

describe('routing mechanisms of issue 18, live on every engine', () => {
  it('engines are present (required in CI)', () => {
    for (const a of lab.availability) if (!a.ok) console.warn(`routing mechanisms: ${a.engine} not run: ${a.reason}`);
    if (REQUIRE_ENGINES) expect(lab.availability.filter((a) => !a.ok && a.engine !== KONG).map((a) => a.reason)).toEqual([]);
    expect(lab.availability.length).toBe(4);
  });

  it('a request failing a regex route\'s method or header falls through to the prefix route (no 404)', async () => {
    await check(3, `
  - { name: account-get, match: { path: "^/v1/accounts/[0-9]+$", pathType: regex, methods: [GET] }, service: s0 }
  - { name: accounts, match: { path: /v1/accounts/ }, service: s1 }
  - { name: blue-orders, match: { path: "^/v1/accounts/[0-9]+/orders$", pathType: regex, headers: { X-Tenant: [blue] } }, service: s2 }
`, [
      ['GET', 'api.example.com', '/v1/accounts/42', 'account-get'],
      ['POST', 'api.example.com', '/v1/accounts/42', 'accounts'],
      ['DELETE', 'api.example.com', '/v1/accounts/42', 'accounts'],
      ['GET', 'api.example.com', '/v1/accounts/x', 'accounts'],
      ['GET', 'api.example.com', '/v1/accounts/42/orders', 'accounts'],
      ['GET', 'api.example.com', '/v1/accounts/42/orders', 'blue-orders', { 'X-Tenant': 'blue' }],
      ['GET', 'api.example.com', '/v1/accounts/42/orders', 'accounts', { 'X-Tenant': 'green' }],
      ['GET', 'api.example.com', '/v1/other', NO_ROUTE],
    ]);
  });

  it('no automatic 301 for "/a" when a prefix "/a/" exists: "/a" goes to the route the model picks, or 404', async () => {
    await check(1, `
  - { name: a-dir, match: { path: /a/ }, service: s0 }
`, [
      ['GET', 'api.example.com', '/a', NO_ROUTE],
      ['POST', 'api.example.com', '/a', NO_ROUTE],
      ['GET', 'api.example.com', '/a/', 'a-dir'],
      ['GET', 'api.example.com', '/a/x', 'a-dir'],
    ]);
    await check(3, `
  - { name: a-dir, match: { path: /a/ }, service: s0 }
  - { name: root, match: { path: / }, service: s1 }
  - { name: b-post, match: { path: /b/, methods: [POST] }, service: s2 }
`, [
      ['GET', 'api.example.com', '/a', 'root'],
      ['GET', 'api.example.com', '/a/', 'a-dir'],
      ['GET', 'api.example.com', '/b', 'root'],
      ['POST', 'api.example.com', '/b', 'root'],
      ['POST', 'api.example.com', '/b/x', 'b-post'],
      ['GET', 'api.example.com', '/b/x', 'root'],
    ]);
  });

  it('no automatic 301 for "/a" when an exact route "/a/" exists', async () => {
    await check(2, `
  - { name: a-exact, match: { path: /a/, pathType: exact }, service: s0 }
  - { name: root-post, match: { path: /, methods: [POST] }, service: s1 }
`, [
      ['GET', 'api.example.com', '/a', NO_ROUTE],
      ['POST', 'api.example.com', '/a', 'root-post'],
      ['GET', 'api.example.com', '/a/', 'a-exact'],
      ['POST', 'api.example.com', '/a/', 'a-exact'],
    ]);
  });

  it('a host-specific prefix route beats a host-less regex route; a wildcard host covers subdomains only', async () => {
    await check(3, `
  - { name: api-any, match: { path: "^/api/.*$", pathType: regex }, service: s0 }
  - { name: api-host, match: { path: /api/, hosts: [api.example.com] }, service: s1 }
  - { name: api-wild, match: { path: /api/, hosts: ["*.example.com"] }, service: s2 }
`, [
      ['GET', 'api.example.com', '/api/x', 'api-host'],
      ['GET', 'API.example.com', '/api/x', 'api-host'],
      ['GET', 'www.example.com', '/api/x', 'api-wild'],
      ['GET', 'example.com', '/api/x', 'api-any'],
      ['GET', 'other.test', '/api/x', 'api-any'],
      ['GET', 'api.example.com', '/api', NO_ROUTE],
    ]);
  });

  it('Kong: a route with more match fields does not beat an earlier route in the model\'s order', async () => {
    const ran = await check(2, `
  - { name: ab-regex, match: { path: "^/a/b/.*$", pathType: regex }, service: s0 }
  - { name: ab-post, match: { path: /a/b/, methods: [POST] }, service: s1 }
`, [
      ['POST', 'api.example.com', '/a/b/c', 'ab-regex'],
      ['GET', 'api.example.com', '/a/b/c', 'ab-regex'],
      ['POST', 'api.example.com', '/a/b', NO_ROUTE],
    ]);
    if (!ran.includes(KONG)) console.warn(`routing mechanisms: Kong not run: ${lab.availability.find((a) => a.engine === KONG)?.reason}`);
  });
});

describe('the path a service receives (stripPrefix, rewrite) is the model\'s upstreamPath on every engine', () => {
  it('the route\'s path itself, with a slash, below it, and a longer name under a prefix without slash', async () => {
    const routes = `
  - { name: to-v2, match: { path: /legacy }, rewrite: /v2/, service: s0 }
  - { name: tools, match: { path: /tools/ }, stripPrefix: true, service: s1 }
  - { name: exact, match: { path: /e/, pathType: exact }, rewrite: /x, service: s2 }
`;
    const paths = ['/legacy', '/legacy/', '/legacy/a/b', '/legacyx', '/tools/', '/tools/a', '/e/'];
    const requests: RouteRequest[] = paths.map((path) => ({ method: 'GET', host: 'api.example.com', path, headers: {} }));
    const r = await lab.run((layer) => specWithRoutes(layer, 3, routes), requests);
    const model = loadSpec(specWithRoutes('proxy', 3, routes), 'upstream.yaml').model!;
    const want = requests.map((q) => `${q.path} -> ${upstreamPath(chooseRoute(model.routes, q)!, q.path)}`);
    expect(want).toEqual(['/legacy -> /v2', '/legacy/ -> /v2/', '/legacy/a/b -> /v2/a/b', '/legacyx -> /v2/x', '/tools/ -> /', '/tools/a -> /a', '/e/ -> /x/']);
    for (const engine of Object.keys(r.seen) as (keyof typeof r.seen)[])
      expect(requests.map((q, i) => `${q.path} -> ${r.seen[engine]![i]}`), engine).toEqual(want);
    if (REQUIRE_ENGINES) expect(Object.keys(r.seen)).toEqual(expect.arrayContaining(['nginx-proxy', 'nginx-gateway', 'haproxy']));
    const kong = compileSpec(specWithRoutes('gateway-kong', 3, routes), 'upstream.yaml', { lint: false, env: {} });
    const yaml = kong.files.find((f) => f.path === 'kong/kong.yaml')!.content;
    expect(requests.map((q) => `${q.path} -> ${kongUpstream(yaml, q)?.path}`), 'kong (its router and strip_path rule on kong.yaml)').toEqual(want);
  });
});

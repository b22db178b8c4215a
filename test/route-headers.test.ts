import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { compileSpec, loadSpec } from '../src/compile.js';
import { findBinary } from '../src/engines/binaries.js';
import { validateKongYaml } from '../src/kong/schema/index.js';
import { mergeTransform } from '../src/model/headers.js';
import { lintModel } from '../src/lint/index.js';
import { REQUIRE_ENGINES } from './helpers/fixtures.js';
import { freeLocalPlan, modelOf, nginxTest, writeGateway } from './helpers/nginx-gateway.js';
import { ROUTE_HEADERS_SPEC } from './helpers/route-headers-spec.js';

type Entity = Record<string, any>;
const kongSpec = (text: string) => text.replace('  engine: nginx\n', '');

/** Each route's plugins by name -> config, and the service's, from kong.yaml data. */
function pluginsOf(entity: Entity | undefined): Record<string, Entity> {
  return Object.fromEntries(((entity?.plugins ?? []) as Entity[]).map((p) => [p.name, p.config]));
}

describe('merging a route transform onto the gateway\'s (model/headers.ts)', () => {
  const gw = { add: { 'X-Edge': 'gw', 'X-Tier': 'free' }, remove: ['X-Debug', 'X-Internal'] };

  it('the route\'s add overrides the same name (any case), removes are unioned, the gateway\'s other adds stay', () => {
    expect(mergeTransform(gw, { add: { 'x-tier': 'gold', 'X-API-Version': '2' }, remove: ['x-debug', 'X-Old'] })).toEqual({
      add: { 'X-Edge': 'gw', 'x-tier': 'gold', 'X-API-Version': '2' }, remove: ['X-Debug', 'X-Internal', 'X-Old'],
    });
  });

  it('a header the route adds stays added even when the gateway removes it; a header the route removes drops the gateway\'s add', () => {
    expect(mergeTransform(gw, { add: { 'X-Internal': 'route' }, remove: ['X-Edge'] })).toEqual({
      add: { 'X-Tier': 'free', 'X-Internal': 'route' }, remove: ['X-Debug', 'X-Internal', 'X-Edge'],
    });
  });

  it('false turns the gateway\'s off, no route transform keeps the gateway\'s object, no gateway transform keeps the route\'s', () => {
    expect(mergeTransform(gw, false)).toBeUndefined();
    expect(mergeTransform(gw, undefined)).toBe(gw);
    const own = { add: { A: '1' }, remove: [] };
    expect(mergeTransform(undefined, own)).toBe(own);
  });
});

describe('the model: one object per distinct merged transform', () => {
  const text = `${ROUTE_HEADERS_SPEC}
  - { name: v2b, match: { path: /b/v2 }, service: app, requestHeaders: { add: { X-API-Version: "2", X-Debug: route-v2 } } }
  - { name: same-as-gateway, match: { path: /same }, service: app, requestHeaders: { add: { X-Edge: gw } } }`;
  const model = modelOf(text, 'route-headers.yaml');
  const route = (n: string) => model.routes.find((r) => r.name === n)!;
  const gw = model.gateway!.settings;

  it('routes with the same merged transform share it; routes without one share the gateway\'s', () => {
    expect(route('v2').requestHeaders).toBe(route('v2b').requestHeaders);
    expect(route('v2').requestHeaders).toEqual({ add: { 'X-Edge': 'gw', 'X-API-Version': '2', 'X-Debug': 'route-v2' }, remove: ['X-Debug'] });
    expect(route('api').requestHeaders).toBe(gw.requestHeaders);
    expect(route('same-as-gateway').requestHeaders).toBe(gw.requestHeaders);
    expect(route('v3').responseHeaders).toBe(gw.responseHeaders);
    expect(route('bare').requestHeaders).toBeUndefined();
    expect(route('bare').responseHeaders).toBeUndefined();
  });
});

describe('NGINX gateway engine output', () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgegen-route-headers-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const model = modelOf(ROUTE_HEADERS_SPEC, 'route-headers.yaml');

  it('two routes adding one header name with different values get different map variables, and no other location sets it', async () => {
    const plan = await freeLocalPlan(model, dir);
    const conf = await writeGateway(model, plan, dir, {});
    const text = readFileSync(conf, 'utf8');
    const maps = [...text.matchAll(/map \$http_x_api_version (\$\S+) \{\s*"" "([^"]*)";/g)].map((m) => [m[1], m[2]]);
    expect(maps.map(([, v]) => v).sort()).toEqual(['2', '3']);
    expect(new Set(maps.map(([n]) => n)).size).toBe(2);
    const location = (head: string) => { const at = text.indexOf(head); return text.slice(at, text.indexOf('\n        }', at)); };
    const varOf = (value: string) => maps.find(([, v]) => v === value)![0];
    expect(location('location "/api/v2" {')).toContain(`proxy_set_header X-API-Version "${varOf('2')}";`);
    expect(location('location "/api/v3" {')).toContain(`proxy_set_header X-API-Version "${varOf('3')}";`);
    for (const other of ['location "/api" {', 'location "/bare" {']) {
      expect(location(other)).not.toMatch(/X-API-Version|X-Route/);
    }
    expect(location('location "/api/v2" {')).toMatch(/add_header X-Route "\$edgegen_response_add\d+" always;/);
    expect(location('location "/bare" {')).not.toMatch(/X-Edge|X-Served-By/);
    const nginx = await findBinary('nginx');
    if (nginx || REQUIRE_ENGINES) {
      const t = await nginxTest(nginx!, conf, plan.stateDir('gateway', 0));
      expect(t.exitCode, t.all).toBe(0);
    }
  });
  it('a route value with quotes, ";", braces, "#" and a backslash reaches nginx as one quoted literal (nginx -t accepts it)', async () => {
    const value = `a "b"; c {d} #e \\f 'g'`;
    const text = ROUTE_HEADERS_SPEC.replace('X-Route: v2', `X-Route: ${JSON.stringify(value)}`);
    const hostile = modelOf(text, 'route-headers.yaml');
    expect(hostile.routes.find((r) => r.name === 'v2')!.responseHeaders!.add['X-Route']).toBe(value);
    const sub = mkdtempSync(join(dir, 'hostile-'));
    const plan = await freeLocalPlan(hostile, sub);
    const conf = await writeGateway(hostile, plan, sub, {});
    expect(readFileSync(conf, 'utf8')).toContain(`"" "a \\"b\\"; c {d} #e \\\\f 'g'";`);
    const nginx = await findBinary('nginx');
    if (nginx || REQUIRE_ENGINES) {
      const t = await nginxTest(nginx!, conf, plan.stateDir('gateway', 0));
      expect(t.exitCode, t.all).toBe(0);
    }
  });
});

describe('Kong output: request-/response-transformer per route', () => {
  it('passes the Kong 3.9 schema; a route-specific transform sits on that route only', () => {
    const r = compileSpec(kongSpec(ROUTE_HEADERS_SPEC), 'route-headers.yaml', { env: {}, lint: false });
    if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
    const yaml = r.files.find((f) => f.path === 'kong/kong.yaml')!.content;
    expect(validateKongYaml(yaml, { routerFlavor: 'expressions' })).toEqual([]);
    const doc = parseYaml(yaml) as Entity;
    const routes = Object.fromEntries((doc.services as Entity[]).flatMap((s) => (s.routes as Entity[]).map((rt) => [rt.name, { route: rt, service: s }])));
    const req = (n: string) => pluginsOf(routes[n].route)['request-transformer'] ?? pluginsOf(routes[n].service)['request-transformer'];
    const res = (n: string) => pluginsOf(routes[n].route)['response-transformer'] ?? pluginsOf(routes[n].service)['response-transformer'];
    expect(req('v2')).toEqual({ remove: { headers: ['X-Debug'] }, add: { headers: ['X-Edge:gw', 'X-API-Version:2', 'X-Debug:route-v2'] } });
    expect(req('v3').add.headers).toEqual(['X-Edge:gw', 'X-API-Version:3']);
    expect(req('api')).toEqual({ remove: { headers: ['X-Debug'] }, add: { headers: ['X-Edge:gw'] } });
    expect(req('bare')).toBeUndefined();
    expect(res('v2').add.headers).toEqual(['X-Served-By:edgegen', 'X-Route:v2']);
    expect(res('api').add.headers).toEqual(['X-Served-By:edgegen']);
    expect(res('bare')).toBeUndefined();
    // The routes differ, so nothing is hoisted to their service (where it would apply to every route of it).
    expect(pluginsOf(routes.v2.service)).toEqual({});
  });

  it('a transform every route of a service shares moves to the service; a route-specific one stays on its route', () => {
    const text = [
      'version: 1', 'name: hoist', 'gateway:', '  ports: { http: 8000 }', '  requestHeaders: { add: { X-Edge: gw } }',
      'services:', '  - { name: app, instances: [{ address: app-1:3000 }] }', '  - { name: other, instances: [{ address: other-1:3000 }] }',
      'routes:',
      '  - { name: a, match: { path: /a }, service: app }',
      '  - { name: b, match: { path: /b }, service: app }',
      '  - { name: c, match: { path: /c }, service: other }',
      '  - { name: d, match: { path: /d }, service: other, requestHeaders: { add: { X-API-Version: "2" } } }',
    ].join('\n');
    const r = compileSpec(text, 'hoist.yaml', { env: {}, lint: false });
    if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
    const yaml = r.files.find((f) => f.path === 'kong/kong.yaml')!.content;
    expect(validateKongYaml(yaml, { routerFlavor: 'expressions' })).toEqual([]);
    const doc = parseYaml(yaml) as Entity;
    const svc = (n: string) => (doc.services as Entity[]).find((s) => s.name === n)!;
    const route = (s: string, n: string) => (svc(s).routes as Entity[]).find((x) => x.name === n)!;
    expect(pluginsOf(svc('app'))['request-transformer'].add.headers).toEqual(['X-Edge:gw']);
    expect(route('app', 'a').plugins).toBeUndefined();
    expect(pluginsOf(svc('other'))).toEqual({});
    expect(pluginsOf(route('other', 'c'))['request-transformer'].add.headers).toEqual(['X-Edge:gw']);
    expect(pluginsOf(route('other', 'd'))['request-transformer'].add.headers).toEqual(['X-Edge:gw', 'X-API-Version:2']);
  });
});

describe('lint: gateway-business-logic counts a route\'s merged transform', () => {
  const findings = (text: string) => {
    const r = loadSpec(text, 'fat.yaml');
    if (!r.model) throw new Error(JSON.stringify(r.diagnostics));
    return lintModel(r.model, r.parsed!).filter((d) => d.code === 'gateway-business-logic').map((d) => `${d.line}:${d.col} ${d.message}`);
  };

  it('fires at each route whose merged transform passes the limit while the gateway\'s alone does not; a version marker stays quiet', () => {
    const v2 = '15:5 the gateway adds or removes 6 headers on route "v2" (request: 4, response: 2, the gateway\'s included); more than 4 is service logic living in the gateway';
    // v3: X-Edge, X-Debug removed and its own X-API-Version (3), X-Served-By (1): at the limit, not over it.
    expect(findings(ROUTE_HEADERS_SPEC)).toEqual([v2]);
    const fat = `${ROUTE_HEADERS_SPEC}\n  - { name: fat, match: { path: /fat }, service: app, requestHeaders: { add: { X-A: "1", X-B: "2" } }, responseHeaders: { add: { X-C: "3" } } }`;
    expect(findings(fat)).toEqual([v2,
      '24:55 the gateway adds or removes 6 headers on route "fat" (request: 4, response: 2, the gateway\'s included); more than 4 is service logic living in the gateway']);
  });
});

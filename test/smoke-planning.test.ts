import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSpec } from '../src/compile.js';
import type { Model } from '../src/model/types.js';
import { processDriver } from '../src/runtime/process.js';
import type { StackState } from '../src/runtime/state.js';
import { cachePlan, cacheSpread } from '../src/smoke/checks/cache.js';
import { routeFor } from '../src/smoke/checks/distribution.js';
import { cheapestRoute } from '../src/smoke/checks/headers.js';
import { findStaticFile } from '../src/smoke/checks/static.js';
import { backendPath, CLIENT, LIMIT_PROBE_CLIENT, SmokeContext } from '../src/smoke/context.js';
import { CHECK_GROUPS } from '../src/smoke/groups.js';
import { fixtureModel, TEST_ENV } from './helpers/fixtures.js';

const STACK19 = 'test/specs/issue19-stack.yaml';

function specModel(file: string, edit: (t: string) => string = (t) => t): Model {
  const r = loadSpec(edit(readFileSync(file, 'utf8')), file);
  if (!r.model) throw new Error(JSON.stringify(r.diagnostics));
  return r.model;
}

/** A context over a stack that is not running: planning only (budgets, routes, addresses). */
async function planning(model: Model, network: 'host' | 'bridge' = 'host', entry = 'http://127.0.0.1:9'): Promise<SmokeContext> {
  const state = { name: model.name, entry: { http: entry }, units: [], stateDir: '/nonexistent', runtime: 'process', network } as unknown as StackState;
  return new SmokeContext(model, state, processDriver(), TEST_ENV).init();
}

const ok = { status: 200, headers: {}, body: '' };

describe('smoke planning (issue 19.5)', () => {
  const model = specModel(STACK19);
  const route = (name: string) => model.routes.find((r) => r.name === name)!;

  it('a stripPrefix or rewrite route is counted at the path the backend really receives', () => {
    expect(backendPath(route('media'), '/media/edgegen-smoke-dist-1?edgegen-smoke=3')).toBe('/edgegen-smoke-dist-1');
    expect(backendPath(route('accounts'), '/api/accounts/x?y=1')).toBe('/api/accounts/x');
    const routing = fixtureModel('routing');
    const legacy = routing.routes.find((r) => r.rewrite)!;
    expect(backendPath(legacy, `${legacy.path.replace(/\/$/, '')}/a/b?q=1`)).toBe(`${legacy.rewrite!.replace(/\/$/, '')}/a/b`);
  });

  it('the distribution route of a service prefers one without cache, limit or rewrite', async () => {
    const ctx = await planning(specModel(STACK19, (t) => t.replace('routes:\n', 'routes:\n  - { name: media-raw, match: { path: /raw }, service: media, cache: false }\n')));
    expect(routeFor(ctx, ctx.model.services.find((s) => s.name === 'media')!)?.name).toBe('media-raw');
  });

  it('limit probes run last, after failover', () => {
    expect(CHECK_GROUPS.at(-1)).toBe('rate-limit');
    expect(CHECK_GROUPS.indexOf('failover')).toBeLessThan(CHECK_GROUPS.indexOf('rate-limit'));
    expect(CHECK_GROUPS.indexOf('distribution')).toBeLessThan(CHECK_GROUPS.indexOf('rate-limit'));
  });

  it('a per-IP budget spent on 127.0.0.1 moves checks to a spare loopback address, never to the limit probe\'s 127.0.0.2', async () => {
    const ctx = await planning(model);
    expect(ctx.aliases).toBe(true);
    const r = route('accounts');
    expect(ctx.clientFor(r, ['alice'], 2)).toBe(CLIENT);
    for (let i = 0; i < 3; i++) ctx.spend(r, 'alice', ok);
    // 4/minute by ip: one left on 127.0.0.1, whoever the consumer is.
    expect(ctx.remaining(r, 'bob')).toBe(1);
    const spare = ctx.clientFor(r, ['bob'], 2)!;
    expect(spare).toMatch(/^127\.0\.0\.\d+$/);
    expect([CLIENT, LIMIT_PROBE_CLIENT]).not.toContain(spare);
    expect(ctx.remaining(r, undefined, spare)).toBe(4);
    // Two streams of 3 do not fit one address of 4: each gets its own.
    const two = ctx.clientsFor(r, ['alice', 'bob'], 3)!;
    expect(new Set(two).size).toBe(2);
    expect(two).not.toContain(LIMIT_PROBE_CLIENT);
  });

  it('a 429 smoke did not plan for (an earlier run spent the window) is sent again from a fresh address; a limit probe is not', async () => {
    // A stand-in entry on loopback that refuses 127.0.0.1 as a per-IP limit would after an earlier run.
    const server = createServer((req, res) => {
      res.writeHead(req.socket.remoteAddress === '127.0.0.1' ? 429 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ client: req.socket.remoteAddress }));
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    try {
      const ctx = await planning(model, 'host', `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
      const r = route('accounts');
      const res = await ctx.send(ctx.request({ method: 'GET', host: 'localhost', path: '/api/accounts/x', headers: {} }));
      expect(res).toMatchObject({ status: 200, from: expect.stringMatching(/^127\.0\.0\.\d+$/), json: { client: res.from } });
      expect([CLIENT, LIMIT_PROBE_CLIENT]).not.toContain(res.from);
      expect(ctx.remaining(r, undefined, CLIENT)).toBe(0);
      const probe = await ctx.send({ ...ctx.request({ method: 'GET', host: 'localhost', path: '/api/accounts/y', headers: {} }), probe: true });
      expect(probe.status).toBe(429);
    } finally {
      server.close();
    }
  });

  it('on a Docker bridge network every client looks the same to the engines: no spare addresses, and the reason', async () => {
    const ctx = await planning(model, 'bridge');
    expect(ctx.aliases).toBe(false);
    expect(ctx.noAliases).toMatch(/bridge network/);
    const r = route('accounts');
    for (let i = 0; i < 4; i++) ctx.spend(r, 'alice', ok);
    expect(ctx.clientFor(r, ['bob'], 1)).toBeUndefined();
  });

  it('a per-consumer budget does not move to another address (the address does not matter to it)', async () => {
    const ctx = await planning(fixtureModel('demo-nginx-gateway'));
    const r = ctx.model.routes.find((x) => x.name === 'catalog')!;
    for (let i = 0; i < 5; i++) ctx.spend(r, 'alice', ok);
    expect(ctx.clientFor(r, ['alice'], 1)).toBeUndefined();
    expect(ctx.clientFor(r, ['bob'], 1)).toBe(CLIENT);
  });

  it('layer-wide checks take an uncached route when every route is limited (the cache checks need the cached ones\' budget)', async () => {
    const ctx = await planning(fixtureModel('demo-nginx-gateway'));
    expect(cheapestRoute(ctx)?.name).toBe('orders');
    // Among equals (both cached here), the one with the most requests left.
    const both = await planning(specModel('fixtures/demo-nginx-gateway.yaml', (t) => t.replace('    cache: false\n', '')));
    const spendOn = (name: string) => ['alice', 'bob'].forEach((c) => both.spend(both.model.routes.find((r) => r.name === name)!, c, ok));
    spendOn('catalog');
    expect(cheapestRoute(both)?.name).toBe('orders');
    spendOn('orders');
    spendOn('orders');
    expect(cheapestRoute(both)?.name).toBe('catalog');
  });

  it('each distinct cache policy is probed, a cache behind authentication with two consumers', async () => {
    const ctx = await planning(model);
    const plan = cachePlan(ctx);
    expect(plan.map((p) => [p.route.name, p.perConsumer, p.reason])).toEqual([['accounts', true, undefined], ['sessions', true, undefined], ['status', false, undefined]]);
    // A third route with the same policy as accounts adds no probe.
    const more = await planning(specModel(STACK19, (t) => t.replace('routes:\n', 'routes:\n  - { name: profiles, match: { path: /api/profiles }, service: accounts }\n')));
    const names = cachePlan(more).map((p) => p.route.name);
    expect(names).toHaveLength(3);
    expect(names).toEqual(expect.arrayContaining(['sessions', 'status']));
  });

  it('a cache behind an NGINX gateway that round-robins its proxies may MISS once per proxy; Kong hashes the path', async () => {
    expect(cacheSpread(await planning(model), 'proxy')).toBe(2);
    expect(cacheSpread(await planning(specModel(STACK19, (t) => t.replace('engine: nginx', 'engine: kong'))), 'proxy')).toBe(1);
    expect(cacheSpread(await planning(fixtureModel('tls-passthrough')), 'proxy')).toBe(1);
  });
});

describe('static probe file under a user\'s own folder (issue 15.1)', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const scratch = () => {
    const d = mkdtempSync(join(tmpdir(), 'edgegen-static-'));
    dirs.push(d);
    return d;
  };

  it('finds the first regular file breadth-first, skipping symbolic links and names a URL would need to encode', () => {
    const outside = scratch();
    writeFileSync(join(outside, 'secret.txt'), 'outside the root');
    mkdirSync(join(outside, 'dir'));
    writeFileSync(join(outside, 'dir', 'a.txt'), 'outside the root');
    const root = scratch();
    mkdirSync(join(root, 'assets', 'css'), { recursive: true });
    symlinkSync(join(outside, 'secret.txt'), join(root, 'assets', 'a-link.txt'));
    symlinkSync(join(outside, 'dir'), join(root, 'assets', 'b-dir'));
    writeFileSync(join(root, 'assets', 'c with space.txt'), 'x');
    writeFileSync(join(root, 'assets', 'css', 'site.css'), 'body{}');
    writeFileSync(join(root, 'assets', 'z.js'), 'let a;');
    expect(findStaticFile(root, '/assets/')).toEqual({ urlPath: '/assets/z.js', file: join(root, 'assets', 'z.js'), size: 6 });
    rmSync(join(root, 'assets', 'z.js'));
    expect(findStaticFile(root, '/assets/')).toMatchObject({ urlPath: '/assets/css/site.css', size: 6 });
  });

  it('gives a reason, never a path outside the root, when nothing fits', () => {
    const outside = scratch();
    writeFileSync(join(outside, 'secret.txt'), 'outside the root');
    const root = scratch();
    expect(findStaticFile(root, '/assets/')).toEqual({ reason: expect.stringMatching(/does not exist \(static.root has nginx root meaning/) });
    symlinkSync(outside, join(root, 'assets'));
    expect(findStaticFile(root, '/assets/')).toEqual({ reason: expect.stringMatching(/leads outside the static root/) });
    rmSync(join(root, 'assets'));
    mkdirSync(join(root, 'assets'));
    symlinkSync(join(outside, 'secret.txt'), join(root, 'assets', 'app.js'));
    expect(findStaticFile(root, '/assets/')).toEqual({ reason: expect.stringMatching(/no readable regular file under .*symbolic links are not followed/) });
  });
});

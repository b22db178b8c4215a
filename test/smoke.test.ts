import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBinary } from '../src/engines/binaries.js';
import { bypassLayer } from '../src/runtime/bypass.js';
import { processDriver } from '../src/runtime/process.js';
import { down, up } from '../src/runtime/stack.js';
import type { StackState } from '../src/runtime/state.js';
import { runSmoke, type CheckResult } from '../src/smoke/index.js';
import { formatJson, formatJunit, formatText, makeReport } from '../src/smoke/report.js';
import { fixtureModel, REQUIRE_ENGINES, TEST_ENV } from './helpers/fixtures.js';
import { mutateHaproxy, mutateNginx } from './helpers/mutate.js';
import { processesMentioning, scratchRoot } from './helpers/stack.js';

const engines = Boolean((await findBinary('nginx')) && (await findBinary('haproxy')));
if (!engines && !REQUIRE_ENGINES) console.warn('smoke tests skipped: nginx or haproxy is not installed (set EDGEGEN_REQUIRE_ENGINES=1 to fail instead)');

const failed = (rs: CheckResult[]) => rs.filter((r) => r.status === 'fail').map((r) => `${r.check}: ${r.name}: expected ${r.expected}, observed ${r.observed}`);

(engines || REQUIRE_ENGINES ? describe : describe.skip)('smoke on the demo with the gateway bypassed (process runtime)', () => {
  const driver = processDriver();
  const root = scratchRoot();
  const model = bypassLayer(fixtureModel('demo'), 'gateway');
  let state: StackState;
  let results: CheckResult[];

  beforeAll(async () => {
    state = await up(fixtureModel('demo'), { driver, root, specFile: 'fixtures/demo.yaml', env: TEST_ENV, bypass: ['gateway'] });
  });
  afterAll(async () => {
    if (state) await down(state, driver);
    expect(processesMentioning(root)).toEqual([]);
  });

  it('passes every check that applies and reports the bypassed gateway as not run', async () => {
    results = await runSmoke(model, state, driver, TEST_ENV);
    expect(failed(results)).toEqual([]);
    const groups = new Set(results.filter((r) => r.status === 'pass').map((r) => r.check));
    for (const g of ['routing', 'headers', 'cache', 'static', 'tls', 'distribution', 'failover']) expect(groups, g).toContain(g);
    // The WebSocket idle check waits past the longest ordinary timeout only when it is short (the demo's are 60 s).
    expect(results.filter((r) => r.check === 'websocket').map((r) => r.status)).toEqual(['pass', 'not-run']);
    const skipped = results.filter((r) => r.status === 'not-run' && r.check !== 'websocket');
    expect(skipped.map((r) => r.layer)).toEqual(['gateway', 'gateway']);
    expect(skipped.every((r) => r.reason === 'the gateway layer was bypassed')).toBe(true);
  }, 120_000);

  it('JUnit output is valid JUnit XML with one testcase per check', () => {
    const xml = formatJunit(makeReport('demo', 'process', ['gateway'], results));
    expect(XMLValidator.validate(xml)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false, isArray: (n) => ['testsuite', 'testcase'].includes(n) }).parse(xml);
    const suites = doc.testsuites.testsuite as { '@_name': string; testcase: { skipped?: unknown; failure?: unknown }[] }[];
    expect(suites.flatMap((s) => s.testcase).length).toBe(results.length);
    expect(Number(doc.testsuites['@_tests'])).toBe(results.length);
    // The bypassed gateway (2) and the WebSocket idle check (the demo's timeouts are 60 s).
    expect(suites.flatMap((s) => s.testcase).filter((t) => t.skipped !== undefined).length).toBe(3);
  });

  it('JSON output has the documented shape, and text ends with the summary', () => {
    const report = JSON.parse(formatJson(makeReport('demo', 'process', ['gateway'], results)));
    expect(Object.keys(report)).toEqual(['stack', 'runtime', 'bypassed', 'summary', 'results']);
    expect(Object.keys(report.summary)).toEqual(['passed', 'failed', 'notRun']);
    for (const r of report.results) {
      expect(r).toMatchObject({ layer: expect.any(String), check: expect.any(String), name: expect.any(String), status: expect.stringMatching(/^(pass|fail|not-run)$/), durationMs: expect.any(Number) });
    }
    expect(formatText(makeReport('demo', 'process', ['gateway'], results)).split('\n').at(-1)).toMatch(/^\d+ passed, 0 failed, 3 not run$/);
  });

  describe('mutations: each break in the generated configs makes its matching check fail', () => {
    const mutations: [string, (c: string) => string, 'cache' | 'routing' | 'headers', RegExp][] = [
      ['remove the cache', (c) => c.replace(/^\s*proxy_cache edgegen_cache;\n/gm, ''), 'cache', /MISS then HIT/],
      ['point a route at the wrong service', (c) => c.replace('proxy_pass http://svc_catalog;', 'proxy_pass http://svc_orders;'), 'routing', /route catalog -> catalog/],
      ['drop a security header', (c) => c.replace(/^\s*add_header X-Frame-Options .*\n/gm, ''), 'headers', /security headers present/],
    ];
    for (const [what, edit, group, name] of mutations) {
      it(what, async () => {
        const restore = await mutateNginx(state, 'proxy', edit);
        try {
          const broken = await runSmoke(model, state, driver, TEST_ENV, [group]);
          expect(broken.filter((r) => r.status === 'fail').map((r) => r.name)).toEqual(expect.arrayContaining([expect.stringMatching(name)]));
        } finally {
          await restore();
        }
        const healed = await runSmoke(model, state, driver, TEST_ENV, [group]);
        expect(failed(healed)).toEqual([]);
      }, 60_000);
    }
  });
});

(engines || REQUIRE_ENGINES ? describe : describe.skip)('edgegen verify on demo-nginx-gateway: the whole chain, every check (process runtime)', () => {
  const driver = processDriver();
  const root = scratchRoot();
  const model = fixtureModel('demo-nginx-gateway');
  let state: StackState;

  beforeAll(async () => {
    state = await up(model, { driver, root, specFile: 'fixtures/demo-nginx-gateway.yaml', env: TEST_ENV });
  }, 60_000);
  afterAll(async () => {
    if (state) await down(state, driver);
    expect(processesMentioning(root)).toEqual([]);
  });

  it('passes every check, none skipped', async () => {
    const results = await runSmoke(model, state, driver, TEST_ENV);
    expect(failed(results)).toEqual([]);
    // The WebSocket idle check waits past the longest ordinary timeout only when it is short (the demo's are 60 s).
    expect(results.filter((r) => r.status === 'not-run').map((r) => `${r.name}: ${r.reason}`))
      .toEqual([expect.stringMatching(/^an idle WebSocket outlives the ordinary read timeouts: the .* is 60s: the check idles past it only when it is at most 9s$/)]);
    const groups = new Set(results.map((r) => r.check));
    for (const g of ['routing', 'auth', 'headers', 'cache', 'static', 'tls', 'rate-limit', 'distribution', 'failover']) expect(groups, g).toContain(g);
    const rl = results.find((r) => r.check === 'rate-limit' && r.name.includes('5/minute'))!;
    expect(rl.observed).toMatch(/^effective limit (5|6|7|8|9|10);/);
  }, 180_000);

  it('mutation: raising the rate limit in the gateway config makes the rate-limit check fail', async () => {
    const restore = await mutateNginx(state, 'gateway', (c) => c.replace(/burst=4 nodelay/g, 'burst=40 nodelay'));
    try {
      const broken = await runSmoke(model, state, driver, TEST_ENV, ['rate-limit']);
      expect(broken.find((r) => r.name.includes('5/minute'))).toMatchObject({ status: 'fail', observed: expect.stringMatching(/none refused/) });
    } finally {
      await restore();
    }
  }, 150_000);

  it('mutation: disabling the load balancer health check makes the failover check fail', async () => {
    const restore = await mutateHaproxy(state, driver, (c) => c.replace(/ check port \d+/g, '').replace(/^\s*option httpchk\n/m, ''));
    try {
      const broken = await runSmoke(model, state, driver, TEST_ENV, ['failover']);
      expect(broken.find((r) => r.name.includes('the load balancer marks it down'))).toMatchObject({ status: 'fail' });
    } finally {
      await restore();
    }
  }, 150_000);
});

(engines || REQUIRE_ENGINES ? describe : describe.skip)('edgegen verify (CLI)', () => {
  it('verify fixtures/demo-nginx-gateway.yaml --runtime process --format junit: every check passes and everything is cleaned up', async () => {
    const { main } = await import('../src/cli/main.js');
    const { writeFileSync, readFileSync } = await import('node:fs');
    const root = scratchRoot();
    const spec = `${root}/demo-nginx-gateway.yaml`;
    writeFileSync(spec, readFileSync(new URL('../fixtures/demo-nginx-gateway.yaml', import.meta.url), 'utf8'));
    const cwd = process.cwd();
    Object.assign(process.env, TEST_ENV);
    const out: string[] = [];
    process.chdir(root);
    try {
      const code = await main(['node', 'edgegen', 'verify', spec, '--runtime', 'process', '--format', 'junit', '--only', 'routing', '--only', 'auth', '--only', 'tls'],
        { out: (s) => out.push(s), err: () => {} });
      expect(code).toBe(0);
    } finally {
      process.chdir(cwd);
    }
    const xml = out.join('\n');
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(xml).toMatch(/<testsuites name="edgegen smoke demo-nginx-gateway" tests="\d+" failures="0" skipped="0">/);
    expect(processesMentioning(root)).toEqual([]);
  }, 120_000);
});

(engines || REQUIRE_ENGINES ? describe : describe.skip)('routing fixture: one precedence order on HAProxy and NGINX (process runtime)', () => {
  it('every route reaches its service, variants by method and header included, and rewrites reach the backend rewritten', async () => {
    const { send } = await import('../src/smoke/http.js');
    const driver = processDriver();
    const root = scratchRoot();
    const model = fixtureModel('routing');
    const state = await up(model, { driver, root, specFile: 'fixtures/routing.yaml', env: {} });
    try {
      const results = await runSmoke(model, state, driver, {}, ['routing']);
      expect(failed(results)).toEqual([]);
      expect(results.filter((r) => r.status === 'pass').length).toBe(model.routes.length + 1);
      const ask = async (path: string, headers: Record<string, string> = {}, method = 'GET') => (await send({ method, url: `${state.entry.http}${path}`, headers: { host: 'localhost', ...headers } })).json;
      expect(await ask('/api/x', { 'X-Beta': 'yes' }, 'POST')).toMatchObject({ service: 'beta' });
      expect(await ask('/api/x', { 'X-Beta': 'yes' }, 'GET')).toMatchObject({ service: 'reads' });
      expect(await ask('/api/x', {}, 'DELETE')).toMatchObject({ service: 'writes' });
      expect(await ask('/legacy/a/b?q=1')).toMatchObject({ service: 'reads', path: '/v2/a/b', query: { q: '1' } });
      expect(await ask('/tools/run')).toMatchObject({ service: 'admin', path: '/run' });
      expect(await ask('/anything', { host: 'admin.example.com' })).toMatchObject({ service: 'admin' });
    } finally {
      await down(state, driver);
    }
    expect(processesMentioning(root)).toEqual([]);
  }, 60_000);
});

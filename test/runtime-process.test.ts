import { createServer } from 'node:net';
import { writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { findBinary } from '../src/engines/binaries.js';
import type { LayerKind } from '../src/model/types.js';
import { processDriver } from '../src/runtime/process.js';
import { down, up } from '../src/runtime/stack.js';
import { send } from '../src/smoke/http.js';
import { fixtureModel, REQUIRE_ENGINES, TEST_ENV } from './helpers/fixtures.js';
import { alive, processesMentioning, scratchRoot } from './helpers/stack.js';

const engines = Boolean((await findBinary('nginx')) && (await findBinary('haproxy')));
if (!engines && !REQUIRE_ENGINES) console.warn('process runtime tests skipped: nginx or haproxy is not installed (set EDGEGEN_REQUIRE_ENGINES=1 to fail instead)');
const maybe = engines || REQUIRE_ENGINES ? describe : describe.skip;

maybe('process runtime: edgegen up / down on local processes', () => {
  const roots: string[] = [];
  afterAll(() => {
    for (const r of roots) expect(processesMentioning(r)).toEqual([]);
  });

  /** Boot a fixture, send one request through the entry, then down: every pid of the stack must be gone. */
  async function bootAndAsk(fixture: string, opts: { bypass?: LayerKind[]; path: string; headers?: Record<string, string>; units: string[] }) {
    const root = scratchRoot();
    roots.push(root);
    const driver = processDriver();
    const state = await up(fixtureModel(fixture), { driver, root, specFile: `fixtures/${fixture}.yaml`, env: TEST_ENV, bypass: opts.bypass });
    let answer: Awaited<ReturnType<typeof send>>;
    try {
      expect(state.bypassed).toEqual(opts.bypass ?? []);
      expect(state.units.map((u) => u.id)).toEqual(expect.arrayContaining(opts.units));
      answer = await send({ url: `${state.entry.https}${opts.path}`, ca: state.caFile, headers: { host: 'localhost', ...opts.headers } });
      expect(state.units.every((u) => alive(u.pid))).toBe(true);
    } finally {
      await down(state, driver);
    }
    expect(processesMentioning(root)).toEqual([]);
    expect(state.units.filter((u) => alive(u.pid)).map((u) => u.id)).toEqual([]);
    return answer;
  }

  it('boots demo-nginx-gateway, answers through every layer, and down leaves nothing running', async () => {
    const res = await bootAndAsk('demo-nginx-gateway', { path: '/api/orders/hello', headers: { apikey: TEST_ENV.DEMO_BOB_KEY },
      units: ['loadBalancer-1', 'gateway-1', 'gateway-2', 'proxy-1', 'proxy-2', 'service-orders-2'] });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ service: 'orders', path: '/api/orders/hello' });
    expect([1, 2]).toContain(res.json?.instance);
  });

  it('boots the demo with the gateway bypassed, answers through the load balancer, and down leaves nothing running', async () => {
    const res = await bootAndAsk('demo', { bypass: ['gateway'], path: '/api/catalog/hello', units: ['loadBalancer-1', 'proxy-1', 'proxy-2', 'service-catalog-1'] });
    expect(res.status).toBe(200);
    expect(res.json?.service).toBe('catalog');
    expect([1, 2]).toContain(res.json?.instance);
  });

  it('stops with a clear error and a non-zero exit when a port is taken, and leaves nothing running', async () => {
    const root = scratchRoot();
    roots.push(root);
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      // The first planned port is the load balancer's http listener.
      await expect(up(fixtureModel('demo'), { driver: processDriver(), root, specFile: 'x', env: TEST_ENV, bypass: ['gateway'], basePort: port }))
        .rejects.toThrow(/port already in use: 127\.0\.0\.1:\d+ \(loadBalancer-1\)/);
    } finally {
      blocker.close();
    }
    expect(processesMentioning(root)).toEqual([]);
  });

  it('reports the engine\'s own last log lines when it exits at start (broken config injected), and cleans up', async () => {
    const root = scratchRoot();
    roots.push(root);
    const model = fixtureModel('demo');
    // nginx 1.22 does not know "http2 on;": a config built for nginx 1.27 breaks it at start.
    const broken = { ...model, targets: { ...model.targets, nginx: '1.27' } };
    await expect(up(broken, { driver: processDriver(), root, specFile: 'x', env: TEST_ENV, bypass: ['gateway'], detectTargets: false }))
      .rejects.toThrow(/proxy-1 \(nginx\) exited while starting; its last log lines:\n.*unknown directive "http2"/);
    expect(processesMentioning(root)).toEqual([]);
  });

  it('CLI: up prints the entry URLs, status shows health, logs shows engine output, down stops exactly what it started', async () => {
    const root = scratchRoot();
    roots.push(root);
    const spec = `${root}/demo.yaml`;
    writeFileSync(spec, (await import('node:fs')).readFileSync(new URL('../fixtures/demo.yaml', import.meta.url), 'utf8'));
    const cwd = process.cwd();
    Object.assign(process.env, TEST_ENV);
    process.chdir(root);
    const io = () => { const out: string[] = []; return { out, io: { out: (s: string) => out.push(s), err: (s: string) => out.push(s) } }; };
    try {
      const a = io();
      expect(await main(['node', 'edgegen', 'up', spec, '--runtime', 'process', '--bypass', 'gateway'], a.io)).toBe(0);
      expect(a.out.join('\n')).toMatch(/stack demo is up \(process runtime\); bypassed: gateway\n\s+http:\/\/127\.0\.0\.1:\d+\n\s+https:\/\/127\.0\.0\.1:\d+/);
      const s = io();
      expect(await main(['node', 'edgegen', 'status'], s.io)).toBe(0);
      expect(s.out.join('\n')).toMatch(/proxy-2\s+healthy\s+pid \d+/);
      const l = io();
      expect(await main(['node', 'edgegen', 'logs', 'service'], l.io)).toBe(0);
      expect(l.out.join('\n')).toContain('echo catalog/1 listening on 127.0.0.1');
      const d = io();
      expect(await main(['node', 'edgegen', 'down'], d.io)).toBe(0);
      expect(d.out.join('\n')).toContain('stack demo is down (7 processes stopped)');
      const again = io();
      expect(await main(['node', 'edgegen', 'status'], again.io)).toBe(2);
    } finally {
      process.chdir(cwd);
    }
    expect(processesMentioning(root)).toEqual([]);
  });

  it('refuses a Kong gateway that cannot run here and names the choices', async () => {
    if (await findBinary('kong')) return;
    const out: string[] = [];
    const code = await main(['node', 'edgegen', 'up', 'fixtures/demo.yaml', '--runtime', 'process'], { out: (s) => out.push(s), err: (s) => out.push(s) });
    expect(code).toBe(1);
    expect(out.join('\n')).toMatch(/needs Kong.*--image gateway=kong:3\.9\.3.*gateway\.engine: nginx.*--bypass gateway/);
  });
});

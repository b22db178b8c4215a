import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSpec } from '../src/compile.js';
import { findBinary } from '../src/engines/binaries.js';
import { groupMembers, portFree, portHolder, sleep } from '../src/runtime/health.js';
import { processDriver } from '../src/runtime/process.js';
import { down, up } from '../src/runtime/stack.js';
import type { StackState } from '../src/runtime/state.js';
import { stopSignal } from '../src/runtime/units.js';
import { send } from '../src/smoke/http.js';
import { REQUIRE_ENGINES } from './helpers/fixtures.js';
import { processesMentioning, scratchRoot } from './helpers/stack.js';

const engines = Boolean((await findBinary('nginx')) && (await findBinary('haproxy')));
const live = engines || REQUIRE_ENGINES ? describe : describe.skip;

/** HAProxy -> one NGINX proxy -> one echo instance. */
const SMALL = `version: 1
name: graceful
loadBalancer:
  ports: { http: 80 }
  healthCheck: {}
proxy:
  ports: { http: 8080 }
services:
  - name: api
    instances: [{ address: api-1:3000 }]
routes:
  - name: api
    match: { path: /api }
    service: api
`;
const model = () => loadSpec(SMALL, 'graceful.yaml').model!;

describe('stop signals', () => {
  it('each engine gets its graceful stop: nginx (and Kong) SIGQUIT, HAProxy SIGUSR1 (soft stop), the echo backend SIGTERM', () => {
    expect([stopSignal('nginx'), stopSignal('kong'), stopSignal('haproxy'), stopSignal('echo')]).toEqual(['SIGQUIT', 'SIGQUIT', 'SIGUSR1', 'SIGTERM']);
  });
});

live('graceful stop, whole process groups, leftover ports (process runtime)', () => {
  const driver = processDriver();
  const roots: string[] = [];
  const states: StackState[] = [];
  afterAll(async () => {
    for (const s of states) await down(s, driver);
    for (const r of roots) expect(processesMentioning(r)).toEqual([]);
  });
  async function boot(): Promise<StackState> {
    const root = scratchRoot();
    roots.push(root);
    const state = await up(model(), { driver, root, specFile: 'graceful.yaml', env: {} });
    states.push(state);
    return state;
  }
  const unit = (s: StackState, id: string) => s.units.find((u) => u.id === id)!;

  it('a request in flight is answered while its load balancer and its proxy stop (edgegen down, a failover check)', async () => {
    const state = await boot();
    const echo = unit(state, 'service-api-1');
    const ctl = (path: string) => send({ url: `http://${echo.ports[0].host}:${echo.ports[0].port}/__edgegen/${path}`, headers: { 'x-edgegen-control': state.controlToken } });
    expect((await ctl('slow?ms=1500')).status).toBe(200);
    const answer = send({ url: `${state.entry.http}/api/in-flight`, headers: { host: 'localhost' } });
    const inFlight = async () => ((await ctl('stats')).json as { byPath?: Record<string, number> }).byPath?.['/api/in-flight'] === 1;
    // In flight: the backend has it (and answers in 1.5 s).
    for (let i = 0; i < 100 && !(await inFlight()); i++) await sleep(20);
    expect(await inFlight()).toBe(true);
    // Outermost first, as down does: the load balancer, then the proxy, while the request waits on the backend.
    const stopped = Promise.all([driver.stop(unit(state, 'loadBalancer-1')), driver.stop(unit(state, 'proxy-1'))]);
    const res = await answer;
    await stopped;
    expect(res.error).toBeUndefined();
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ service: 'api', path: '/api/in-flight' });
    for (const id of ['loadBalancer-1', 'proxy-1']) expect(groupMembers(unit(state, id).pid!), id).toEqual([]);
  }, 30_000);

  it('after its master is killed, the workers left behind hold the port: up refuses naming the port and pid, down stops them', async () => {
    const state = await boot();
    const proxy = unit(state, 'proxy-1');
    process.kill(proxy.pid!, 'SIGKILL');
    for (let i = 0; i < 20 && groupMembers(proxy.pid!).includes(proxy.pid!); i++) await sleep(50);
    const workers = groupMembers(proxy.pid!);
    expect(workers.length).toBeGreaterThan(0);
    const port = proxy.ports[0];
    expect(portHolder(port)?.pid).toBeOneOf(workers);
    // Still serving on the dead master's port.
    expect((await send({ url: `http://${port.host}:${port.port}/api/x`, headers: { host: 'localhost' } })).status).toBe(200);

    // Everything else of the stack stopped: only the orphaned workers are left.
    for (const id of ['loadBalancer-1', 'service-api-1']) await driver.stop(unit(state, id));
    const again = up(model(), { driver, root: roots[roots.length - 1], specFile: 'graceful.yaml', env: {} });
    await expect(again).rejects.toThrow(new RegExp(`proxy-1 left processes from its last run that still hold port 127\\.0\\.0\\.1:${port.port} \\(pid \\d+: nginx: worker process\\)[^;]*; run edgegen down`));

    await down(state, driver);
    expect(groupMembers(proxy.pid!)).toEqual([]);
    expect(await portFree(port)).toBe(true);
  }, 30_000);

  it('a port held by another process: up names the port, the unit and the pid holding it', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    const root = scratchRoot();
    roots.push(root);
    try {
      await expect(up(model(), { driver, root, specFile: 'graceful.yaml', env: {}, basePort: port }))
        .rejects.toThrow(new RegExp(`port already in use: .*127\\.0\\.0\\.1:${port} \\(loadBalancer-1\\), held by pid ${process.pid} \\(`));
    } finally {
      blocker.close();
    }
  });
});

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSpec } from '../src/compile.js';
import { findBinary } from '../src/engines/binaries.js';
import { groupMembers, sleep } from '../src/runtime/health.js';
import { processDriver } from '../src/runtime/process.js';
import { down, up } from '../src/runtime/stack.js';
import type { StackState, UnitState } from '../src/runtime/state.js';
import { burst } from './helpers/burst.js';
import { REQUIRE_ENGINES } from './helpers/fixtures.js';
import { processesMentioning, scratchRoot } from './helpers/stack.js';

const engines = Boolean((await findBinary('nginx')) && (await findBinary('haproxy')));
if (!engines && !REQUIRE_ENGINES) console.warn('failover tests skipped: nginx or haproxy is not installed (set EDGEGEN_REQUIRE_ENGINES=1 to fail instead)');

/** The chain of issue 19: HAProxy -> 3 NGINX-engine gateways -> 3 proxies -> 3 service instances, every spec default. */
const CHAIN = `version: 1
name: failover-chain
loadBalancer:
  ports: { http: 80 }
  healthCheck: {}
  stats: { port: 8404 }
gateway:
  engine: nginx
  instances: 3
  ports: { http: 8000 }
proxy:
  instances: 3
  ports: { http: 8080 }
services:
  - name: api
    instances: [{ address: api-1:3000 }, { address: api-2:3000 }, { address: api-3:3000 }]
    healthCheck: {}
routes:
  - name: api
    match: { path: /api }
    service: api
`;

type StopKind = 'SIGTERM' | 'SIGKILL';

/** SIGTERM to the unit's main process (what a supervisor sends), or SIGKILL to every process of the unit (a crash). */
function stopAs(u: UnitState, kind: StopKind): void {
  if (kind === 'SIGTERM') process.kill(u.pid!, 'SIGTERM');
  else process.kill(-u.pid!, 'SIGKILL');
}

/** Lines of the units' logs (their own output and nginx's access.log) that hold every one of the parts. */
function logLines(units: UnitState[], ...parts: string[]): number {
  let n = 0;
  for (const u of units) {
    const p = u.argv.indexOf('-p');
    for (const f of [u.logFile, ...(p > 0 ? [join(u.argv[p + 1], 'access.log')] : [])]) {
      if (!existsSync(f)) continue;
      n += readFileSync(f, 'utf8').split('\n').filter((l) => parts.every((x) => l.includes(x))).length;
    }
  }
  return n;
}

(engines || REQUIRE_ENGINES ? describe : describe.skip)('no idempotent request is lost when one instance of a layer stops under load (process runtime)', () => {
  const driver = processDriver();
  const root = scratchRoot();
  let state: StackState;
  const unit = (id: string) => state.units.find((u) => u.id === id)!;

  beforeAll(async () => {
    const { model } = loadSpec(CHAIN, 'failover-chain.yaml');
    state = await up(model!, { driver, root, specFile: 'failover-chain.yaml', env: {} });
  }, 60_000);
  afterAll(async () => {
    if (state) await down(state, driver);
    expect(processesMentioning(root)).toEqual([]);
  });

  /** 2,400 GETs over 32 keep-alive connections; the victim is stopped once 600 are answered. */
  async function stopDuringBurst(victim: UnitState, kind: StopKind) {
    const tag = `${victim.id}-${kind}`;
    const res = await burst(`${state.entry.http}/api/${tag}`, { total: 2400, concurrency: 32, trigger: 600, at: () => stopAs(victim, kind) });
    for (let i = 0; i < 30 && groupMembers(victim.pid!).length; i++) await sleep(100);
    expect(groupMembers(victim.pid!), `${victim.id} has processes left`).toEqual([]);
    return { ...res, tag };
  }

  /** How many of the burst's requests went through the victim (its own log, or its address in the layer before). */
  async function throughVictim(victim: UnitState, tag: string): Promise<number> {
    await sleep(1200); // the proxy's access log is flushed every second
    if (victim.layer === 'gateway') return logLines([victim], tag);
    const before = state.units.filter((u) => u.layer === (victim.layer === 'proxy' ? 'gateway' : 'proxy'));
    return logLines(before, tag, `:${victim.ports[0].port}`);
  }

  for (const [id, kind] of [['gateway-1', 'SIGTERM'], ['gateway-2', 'SIGKILL'], ['proxy-1', 'SIGTERM'], ['proxy-2', 'SIGKILL'],
    ['service-api-1', 'SIGTERM'], ['service-api-2', 'SIGKILL']] as const) {
    it(`${id} stopped with ${kind} during a burst of 2,400 GETs: 0 failed`, async () => {
      const victim = unit(id);
      const { sent, ok, failures, tag } = await stopDuringBurst(victim, kind);
      expect(failures.slice(0, 5), `${failures.length} of ${sent} failed`).toEqual([]);
      expect(ok).toBe(sent);
      // It was in rotation under this load before it stopped.
      expect(await throughVictim(victim, tag)).toBeGreaterThan(0);
    }, 30_000);
  }
});

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileSpec, loadSpec } from '../src/compile.js';
import { findBinary } from '../src/engines/binaries.js';
import { forInstalledEngines } from '../src/engines/check.js';
import { emitHaproxy } from '../src/emit/haproxy/emit.js';
import { localPlan } from '../src/model/plan.js';
import type { Model } from '../src/model/types.js';
import { groupMembers, sleep } from '../src/runtime/health.js';
import { processDriver } from '../src/runtime/process.js';
import { down, up } from '../src/runtime/stack.js';
import type { StackState, UnitState } from '../src/runtime/state.js';
import { send } from '../src/smoke/http.js';
import { runSmoke } from '../src/smoke/index.js';
import { servedCount } from '../src/smoke/observe.js';
import { REQUIRE_ENGINES } from './helpers/fixtures.js';
import { mutateHaproxy } from './helpers/mutate.js';
import { processesMentioning, scratchRoot } from './helpers/stack.js';

const haproxy = await findBinary('haproxy');
const engines = Boolean((await findBinary('nginx')) && haproxy);
const live = engines || REQUIRE_ENGINES ? describe : describe.skip;

const ALGORITHMS = ['roundrobin', 'leastconn', 'source', 'random', 'uri', 'header'] as const;

/** HAProxy in `mode` with `algorithm` before two NGINX gateways (passthrough TLS in tcp mode), or straight before services. */
function spec(o: { name: string; mode: 'http' | 'tcp'; algorithm: string; healthCheck?: string; connect?: string; next?: 'gateway' | 'services'; oneInstance?: boolean }): string {
  const tcp = o.mode === 'tcp';
  return `version: 1
name: ${o.name}
${tcp ? 'tls: { strategy: passthrough, certificate: /etc/edgegen/tls/edge.crt, key: /etc/edgegen/tls/edge.key, redirectHttp: false }\n' : ''}loadBalancer:
  mode: ${o.mode}
  algorithm: ${o.algorithm}
${o.algorithm === 'header' ? '  hashHeader: X-Tenant\n' : ''}  ports: { ${tcp ? 'https: 443' : 'http: 80'} }
${o.healthCheck !== undefined ? `  healthCheck: ${o.healthCheck}\n` : ''}  stats: { port: 8404 }
${o.connect ? `  timeouts: { connect: ${o.connect} }\n` : ''}${o.next === 'services' ? '' : `gateway:
  engine: nginx
  instances: 2
  ports: { ${tcp ? 'https: 8443' : 'http: 8000'} }
`}services:
  - name: api
    instances: [{ address: api-1:3000 }${o.oneInstance ? '' : ', { address: api-2:3000 }'}]
routes:
  - name: api
    match: { path: /api }
    service: api
`;
}

/** haproxy.cfg for the engine installed here, every hop on loopback (so haproxy -c needs no host names). */
let installed: Model['targets'] | undefined;
async function loopbackCfg(text: string): Promise<string> {
  const spec = loadSpec(text, 'passive.yaml').model!;
  installed ??= (await forInstalledEngines(spec)).targets;
  const model = { ...spec, targets: installed };
  const plan = localPlan(model, { basePort: 30000, stateRoot: '/tmp/edgegen-passive-state', files: (p) => p });
  return emitHaproxy(model, plan, { instance: 0 }).find((f) => f.path === 'haproxy.cfg')!.content;
}

/** The backend blocks of a haproxy.cfg. */
function backends(cfg: string): string[] {
  return cfg.split(/\n(?=\S)/).filter((b) => b.startsWith('backend '));
}

describe('every mode and algorithm: a dead instance leaves rotation at its first failed connection (haproxy.cfg)', () => {
  for (const mode of ['http', 'tcp'] as const)
    for (const algorithm of ALGORITHMS)
      for (const [next, hc] of [['gateway', '{}'], ['gateway', undefined], ['services', '{}']] as const) {
        if (mode === 'tcp' && next === 'services') continue; // refused: tcp cannot route to services
        it(`${mode} ${algorithm} -> ${next}${hc ? '' : ', no healthCheck'}`, async () => {
          const text = spec({ name: 'passive', mode, algorithm, healthCheck: hc, next });
          const r = compileSpec(text, 'passive.yaml', { env: {} });
          if (mode === 'tcp' && (algorithm === 'uri' || algorithm === 'header')) {
            // Nothing to hash on in tcp mode: the spec is refused at its line.
            expect(r.diagnostics.map((d) => d.path)).toContain('loadBalancer.algorithm');
            return;
          }
          expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
          const cfg = await loopbackCfg(text);
          const bs = backends(cfg);
          expect(bs.length).toBeGreaterThan(0);
          for (const b of bs) {
            expect(b).toMatch(/^ {4}default-server inter \d+m?s fastinter 1s downinter 1s fall \d+ rise \d+ observe layer4 error-limit 1 on-error mark-down$/m);
            expect(b).toMatch(/^ {4}option redispatch 1$/m);
            const servers = b.split('\n').filter((l) => l.trim().startsWith('server '));
            expect(servers.length).toBe(2);
            // Passive health needs active checks: every server is checked (they also bring it back).
            for (const s of servers) expect(s).toMatch(/ check( |$)/);
            if (b.includes('mode http')) {
              expect(b).toContain('retry-on conn-failure empty-response junk-response 0rtt-rejected');
              expect(b).toContain('http-request disable-l7-retry unless { method GET HEAD OPTIONS PUT DELETE TRACE }');
            } else expect(b).not.toContain('retry-on');
          }
          if (haproxy || REQUIRE_ENGINES) {
            const dir = mkdtempSync(join(tmpdir(), 'edgegen-passive-'));
            try {
              writeFileSync(join(dir, 'haproxy.cfg'), cfg);
              const res = spawnSync(haproxy!, ['-c', '-f', join(dir, 'haproxy.cfg')], { encoding: 'utf8' });
              expect(res.status, `${res.stdout}${res.stderr}`).toBe(0);
            } finally {
              rmSync(dir, { recursive: true, force: true });
            }
          }
        });
      }

  it('without redispatch the spec keeps its retries on the same server (no option redispatch 1)', () => {
    const r = compileSpec(spec({ name: 'passive', mode: 'http', algorithm: 'roundrobin', healthCheck: '{}' }).replace('  mode: http', '  mode: http\n  redispatch: false'), 'p.yaml', { env: {} });
    const cfg = r.files.find((f) => f.path === 'haproxy/haproxy.cfg')!.content;
    expect(cfg).not.toMatch(/option redispatch/);
    expect(cfg).toContain('on-error mark-down');
  });
});

/** The gateway that served a marker request (its access log). */
async function servingGateway(state: StackState, url: string, marker: string, headers: Record<string, string> = {}): Promise<UnitState> {
  const res = await send({ url: `${url}${marker}`, ca: state.caFile, headers: { host: 'localhost', ...headers } });
  expect(res.status, res.error ?? res.body).toBe(200);
  // nginx logs a request after it answered it.
  for (let i = 0; i < 20; i++) {
    const gw = state.units.filter((u) => u.layer === 'gateway').find((u) => servedCount(u, marker) > 0);
    if (gw) return gw;
    await sleep(50);
  }
  throw new Error(`no gateway logged ${marker}`);
}

/** HAProxy's stats CSV rows of the servers. */
async function lbRows(state: StackState): Promise<string[][]> {
  const lb = state.units.find((u) => u.layer === 'loadBalancer')!;
  const st = lb.ports[lb.ports.length - 1];
  const csv = (await send({ url: `http://${st.host}:${st.port}/stats;csv` })).body;
  return csv.split('\n').map((l) => l.split(',')).filter((f) => f.length > 70 && f[1] !== 'BACKEND' && f[1] !== 'FRONTEND' && f[0] !== '# pxname');
}

/** HAProxy's status of a server. */
async function lbStatus(state: StackState, server: string): Promise<string[]> {
  return (await lbRows(state)).filter((f) => f[1] === server).map((f) => f[17]);
}

live('hashing to a dead instance: the next connection goes elsewhere at once (process runtime)', () => {
  const driver = processDriver();
  const root = scratchRoot();
  const states: StackState[] = [];
  afterAll(async () => {
    for (const s of states) await down(s, driver);
    expect(processesMentioning(root)).toEqual([]);
  });

  // The active check runs every 30 s: the instance can only be out within these 10 requests if the failed connection took it out.
  for (const [mode, algorithm, path] of [['tcp', 'source', '/api/a'], ['http', 'uri', '/api/by-uri'], ['http', 'source', '/api/b']] as const) {
    it(`${mode} mode, balance ${algorithm}: the instance this client hashes to crashes (SIGKILL); 10 of 10 requests answered, it is DOWN`, async () => {
      const text = spec({ name: `hash-${mode}-${algorithm}`, mode, algorithm, healthCheck: '{ interval: 30s }' });
      const state = await up(loadSpec(text, 'hash.yaml').model!, { driver, root, specFile: 'hash.yaml', env: {} });
      states.push(state);
      const entry = (state.entry.https ?? state.entry.http)!;
      // Hashing: every request of this client (and, for uri, this path) goes to the victim while it lives.
      const victim = await servingGateway(state, entry, path);
      for (let i = 0; i < 3; i++) await send({ url: `${entry}${path}`, ca: state.caFile, headers: { host: 'localhost' } });
      for (let i = 0; i < 20 && servedCount(victim, path) < 4; i++) await sleep(50);
      expect(servedCount(victim, path)).toBe(4);
      process.kill(-victim.pid!, 'SIGKILL');
      for (let i = 0; i < 20 && groupMembers(victim.pid!).length; i++) await sleep(50);
      const started = Date.now();
      const statuses: number[] = [];
      for (let i = 0; i < 10; i++) statuses.push((await send({ url: `${entry}${path}`, ca: state.caFile, headers: { host: 'localhost' } })).status);
      expect(statuses).toEqual(Array(10).fill(200));
      expect((await lbStatus(state, victim.id)).every((s) => s.startsWith('DOWN'))).toBe(true);
      // Well before the active check could have seen it (30 s).
      expect(Date.now() - started).toBeLessThan(10_000);
    }, 40_000);
  }
});

live("smoke's failover check sees the passthrough case (process runtime)", () => {
  const driver = processDriver();
  const root = scratchRoot();
  let state: StackState;
  // Issue 19's shape: TLS passthrough, tcp mode, source hashing, two gateways, checks every 5 s (fall 3); a short
  // connect timeout keeps the old behaviour's retries (each waits min(1 s, timeout connect)) quick, so its 10 requests
  // are over before three active checks could have taken the gateway out.
  const text = spec({ name: 'smoke-passthrough', mode: 'tcp', algorithm: 'source', healthCheck: '{ interval: 5s }', connect: '300ms', oneInstance: true });
  const model = loadSpec(text, 'smoke-passthrough.yaml').model!;

  beforeAll(async () => {
    state = await up(model, { driver, root, specFile: 'smoke-passthrough.yaml', env: {} });
  }, 60_000);
  afterAll(async () => {
    if (state) await down(state, driver);
    expect(processesMentioning(root)).toEqual([]);
  });

  it('passes: the gateway this client hashes to is stopped, 0 failures of 10, the load balancer marks it DOWN; it rejoins', async () => {
    const results = await runSmoke(model, state, driver, {}, ['failover']);
    const gw = results.filter((r) => r.layer === 'gateway');
    expect(gw.map((r) => `${r.status}: ${r.name}: ${r.observed}`)).toEqual([
      expect.stringMatching(/^pass: gateway-\d stopped: .*: 0 failures of 10; load balancer reports DOWN$/),
      expect.stringMatching(/^pass: gateway-\d restarted rejoins rotation: gateway-\d served \d+$/),
    ]);
  }, 60_000);

  it('fails on the old behaviour (no passive health, redispatch on the last retry only): every request to the dead gateway fails', async () => {
    const restore = await mutateHaproxy(state, driver, (c) => c.replace(/ fastinter 1s downinter 1s/g, '').replace(/ observe layer4 error-limit 1 on-error mark-down/g, '')
      .replace(/^ {4}option redispatch 1\n/gm, ''));
    try {
      // A server HAProxy just started is one failed check from DOWN: wait until every check has its full health
      // (check_health = rise + fall - 1), as in a stack that has been running.
      for (let i = 0; i < 60 && !(await lbRows(state)).every((f) => Number(f[69]) === Number(f[67]) + Number(f[68]) - 1); i++) await sleep(500);
      const results = await runSmoke(model, state, driver, {}, ['failover']);
      const stopped = results.find((r) => r.layer === 'gateway' && r.name.includes('stopped'))!;
      expect(stopped.status).toBe('fail');
      expect(stopped.observed).toMatch(/^10 failures of 10/);
    } finally {
      await restore();
    }
  }, 90_000);
});

import { readFileSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSpec } from '../src/compile.js';
import { findBinary } from '../src/engines/binaries.js';
import type { Model } from '../src/model/types.js';
import { processDriver } from '../src/runtime/process.js';
import { down, up } from '../src/runtime/stack.js';
import type { StackState } from '../src/runtime/state.js';
import { sleep } from '../src/runtime/health.js';
import { SmokeContext } from '../src/smoke/context.js';
import { send } from '../src/smoke/http.js';
import { runSmoke, type CheckGroup, type CheckResult } from '../src/smoke/index.js';
import { requestFor } from '../src/smoke/sample.js';
import { REQUIRE_ENGINES, TEST_ENV } from './helpers/fixtures.js';
import { mutateNginx } from './helpers/mutate.js';
import { processesMentioning, scratchRoot } from './helpers/stack.js';

/**
 * Issue 19's second stack, written as a new user would (test/specs/issue19-stack.yaml): TLS passthrough at HAProxy
 * (tcp, source) -> 2 NGINX gateways (JWT, keys, CORS, header transforms, 4 requests/minute per IP) -> 2 NGINX
 * proxies with a per-consumer cache -> 3 services (leastconn, iphash, a stripPrefix route); plus an open exact route
 * with its own cache policy. Process runtime.
 */
const SPEC = 'test/specs/issue19-stack.yaml';
const engines = Boolean((await findBinary('nginx')) && (await findBinary('haproxy')));
const maybe = engines || REQUIRE_ENGINES ? describe : describe.skip;
const model: Model = loadSpec(readFileSync(SPEC, 'utf8'), SPEC).model!;

const failed = (rs: CheckResult[]) => rs.filter((r) => r.status === 'fail').map((r) => `${r.check}: ${r.name}: expected ${r.expected}, observed ${r.observed}`);
const notRun = (rs: CheckResult[]) => rs.filter((r) => r.status === 'not-run').map((r) => `${r.check}: ${r.name}: ${r.reason}`);
const find = (rs: CheckResult[], check: string, name: RegExp) => rs.filter((r) => r.check === check && name.test(r.name));

/** Smoke planning (issue 19.5) owns these groups; the others belong to other items of issue 19. */
const PLANNING: CheckGroup[] = ['routing', 'auth', 'headers', 'cache', 'static', 'distribution', 'rate-limit'];

/** Boot a fresh stack (fresh rate-limit windows in the gateways' memory), run `fn`, always tear it down. */
async function withStack<T>(fn: (state: StackState) => Promise<T>): Promise<T> {
  const driver = processDriver();
  const root = scratchRoot();
  const state = await up(model, { driver, root, specFile: SPEC, env: TEST_ENV });
  try {
    return await fn(state);
  } finally {
    await down(state, driver);
    expect(processesMentioning(root)).toEqual([]);
    rmSync(root, { recursive: true, force: true });
  }
}

maybe('issue 19\'s second stack: smoke plans around limits, rewrites and per-consumer caches (process runtime)', () => {
  const driver = processDriver();
  const root = scratchRoot();
  let state: StackState;
  let results: CheckResult[];

  beforeAll(async () => {
    state = await up(model, { driver, root, specFile: SPEC, env: TEST_ENV });
    results = await runSmoke(model, state, driver, TEST_ENV);
  }, 180_000);
  afterAll(async () => {
    if (state) await down(state, driver);
    expect(processesMentioning(root)).toEqual([]);
    rmSync(root, { recursive: true, force: true });
  });

  it('every planning check passes and none is left not run, although a 4/minute per-IP limit covers every route', () => {
    const mine = results.filter((r) => PLANNING.includes(r.check as CheckGroup));
    expect(failed(mine)).toEqual([]);
    expect(notRun(mine)).toEqual([]);
    // Layer-wide checks still ran: 127.0.0.1 had spent its budget on routing and auth, so they moved to a spare address.
    expect(find(results, 'headers', /X-Forwarded-For/)[0]).toMatchObject({ status: 'pass', observed: expect.stringMatching(/X-Forwarded-For: 127\.0\.0\.\d+/) });
    expect(find(results, 'headers', /request id/)[0].status).toBe('pass');
  });

  it('the stripPrefix route\'s distribution is counted where the backend sees it', () => {
    const media = find(results, 'distribution', /media's 2 instances/)[0];
    expect(media.status).toBe('pass');
    const counts = [...media.observed!.matchAll(/=(\d+)/g)].map((m) => Number(m[1]));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(20);
  });

  it('the per-IP limit is probed from 127.0.0.2 last, the engines see it as the client, and another address still passes', () => {
    const limit = find(results, 'rate-limit', /4\/minute by ip \(probed from 127\.0\.0\.2\)/)[0];
    expect(limit).toMatchObject({ status: 'pass', observed: expect.stringMatching(/^effective limit [4-8];.*backend saw the client as 127\.0\.0\.2$/) });
    expect(find(results, 'rate-limit', /client addresses are limited independently/)[0]).toMatchObject({ status: 'pass', observed: expect.stringMatching(/^200 for 127\.0\.0\.\d+ at gateway-\d, which refused 127\.0\.0\.2$/) });
    // Limit probes come last.
    const firstProbe = results.findIndex((r) => r.check === 'rate-limit');
    expect(results.slice(firstProbe).every((r) => r.check === 'rate-limit')).toBe(true);
  });

  it('each distinct cache policy is checked, per consumer: a MISS each, then a HIT each, every answer made for its consumer', () => {
    const cached = find(results, 'cache', /a MISS each, then a HIT each/);
    expect(cached.map((r) => r.name)).toEqual([expect.stringMatching(/^route accounts: GET as alice and bob/), expect.stringMatching(/^route sessions: GET as alice and bob/)]);
    for (const r of cached) expect(r).toMatchObject({ status: 'pass', observed: expect.stringMatching(/^alice: 200:MISS.*200:HIT.*; bob: 200:MISS.*200:HIT.*; backend saw [234]$/) });
    // An exact route with its own policy (no auth: one anonymous client) is checked too.
    expect(find(results, 'cache', /^route status: GET twice -> MISS then HIT$/)[0]).toMatchObject({ status: 'pass', observed: expect.stringMatching(/^anonymous: 200:MISS.*200:HIT.*; backend saw [12]$/) });
    expect(find(results, 'cache', /route media: not cached/)[0]).toMatchObject({ status: 'pass', observed: expect.stringMatching(/backend saw 2$/) });
  });

  it('a run after 127.0.0.1 spent its window elsewhere passes too: refused requests move to fresh addresses', async () => {
    // Well inside a window, spend 127.0.0.1's budget on every route as an earlier run (or another client) would.
    if (Date.now() % 60_000 > 40_000) await sleep(60_000 - (Date.now() % 60_000) + 200);
    const ctx = await new SmokeContext(model, state, driver, TEST_ENV).init();
    for (const r of model.routes) {
      const shape = requestFor(r, 'edgegen-smoke-spend')!;
      const creds = r.auth ? ctx.credentials(r, ctx.consumers[0])! : {};
      let status = 0;
      for (let i = 0; i < 10 && status !== 429; i++) status = (await send(ctx.request(shape, creds))).status;
      expect(status, r.name).toBe(429);
    }
    const again = await runSmoke(model, state, driver, TEST_ENV, ['routing', 'auth', 'headers']);
    expect(failed(again)).toEqual([]);
    expect(notRun(again)).toEqual([]);
    expect(again.filter((r) => r.status === 'pass').length).toBeGreaterThan(10);
  }, 90_000);

  it('the whole stack: 0 failed, and not run only the idle WebSocket check, which waits out timeouts of at most 9 s (these are 60 s)', () => {
    expect(failed(results)).toEqual([]);
    expect(notRun(results)).toEqual([expect.stringMatching(/^websocket: an idle WebSocket outlives the ordinary read timeouts: .* read timeout is 60s/)]);
  });
});

maybe('issue 19\'s second stack: mutations make the planning checks fail (process runtime)', () => {
  const only = (state: StackState, groups: CheckGroup[]) => runSmoke(model, state, processDriver(), TEST_ENV, groups);

  it('a proxy cache key without the consumer: bob is served alice\'s answer', () => withStack(async (state) => {
    await mutateNginx(state, 'proxy', (c) => c.replace(/\|\$http_x_consumer_username/g, ''));
    const rs = await only(state, ['cache']);
    const broken = find(rs, 'cache', /a MISS each/).filter((r) => r.status === 'fail');
    expect(broken.length).toBeGreaterThan(0);
    expect(broken[0].observed).toMatch(/made for alice/);
  }), 90_000);

  it('a limit counted per route instead of per client address: the second address is refused too', () => withStack(async (state) => {
    await mutateNginx(state, 'gateway', (c) => c.replace(/\|\$remote_addr";/g, '";'));
    const rs = await only(state, ['rate-limit']);
    expect(find(rs, 'rate-limit', /probed from 127\.0\.0\.2/)[0].status).toBe('pass');
    expect(find(rs, 'rate-limit', /limited independently/)[0]).toMatchObject({ status: 'fail', observed: expect.stringMatching(/^429 for 127\.0\.0\.\d+ at gateway-\d/) });
  }), 90_000);

  it('a stripPrefix route that no longer strips: its distribution check sees nothing', () => withStack(async (state) => {
    await mutateNginx(state, 'proxy', (c) => c.replace(/^\s*rewrite "\^\/media\/\?\(\.\*\)\$" "\/\$1" break;\n/m, ''));
    const rs = await only(state, ['distribution']);
    expect(find(rs, 'distribution', /media's 2 instances/)[0]).toMatchObject({ status: 'fail', observed: expect.stringMatching(/=0, .*=0$/) });
  }), 90_000);
});

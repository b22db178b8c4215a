import { mkdtempSync, rmSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSpec } from '../src/compile.js';
import { findBinary } from '../src/engines/binaries.js';
import type { Model } from '../src/model/types.js';
import { processDriver } from '../src/runtime/process.js';
import { down, up } from '../src/runtime/stack.js';
import type { StackState } from '../src/runtime/state.js';
import { send } from '../src/smoke/http.js';
import { runSmoke } from '../src/smoke/index.js';
import { REQUIRE_ENGINES } from './helpers/fixtures.js';
import { processesMentioning } from './helpers/stack.js';
import { VALUES_SPEC, PRICE } from './helpers/values-spec.js';

const engines = Boolean((await findBinary('nginx')) && (await findBinary('haproxy')));
/** IPv6 loopback present here (::1 in /proc/net/if_inet6 on Linux). */
const ipv6 = (() => {
  try {
    return /^0{31}1 /m.test(readFileSync('/proc/net/if_inet6', 'utf8'));
  } catch {
    return false;
  }
})();
if (!ipv6 && !REQUIRE_ENGINES) console.warn('values live test skipped: no IPv6 loopback (::1) on this machine');
if (!engines && !REQUIRE_ENGINES) console.warn('values live test skipped: nginx or haproxy is not installed');

/**
 * Issue 16, live on the process runtime: HAProxy (TLS, certificate read from a directory whose name has a space) ->
 * NGINX gateway engine (key auth, a consumer named by an email address, a header value with "$") -> an echo service
 * whose spec address is IPv6 ([2001:db8::10]:8080), run on ::1.
 */
((engines && ipv6) || REQUIRE_ENGINES ? describe : describe.skip)('values live: IPv6 service, "$" header value, email consumer, certificate path with a space', () => {
  const driver = processDriver();
  const root = mkdtempSync(join(tmpdir(), 'edgegen values '));
  let model: Model;
  let state: StackState;
  const get = async (path: string, headers: Record<string, string> = {}) => {
    const res = await send({ url: `${state.entry.https}${path}`, headers, ca: state.caFile, servername: 'localhost' });
    return { status: res.status, backend: (res.json ?? {}) as { headers?: Record<string, string>; instance?: unknown; service?: unknown; local?: string } & Record<string, unknown> };
  };

  beforeAll(async () => {
    const r = loadSpec(VALUES_SPEC, 'values.yaml');
    if (!r.model) throw new Error(JSON.stringify(r.diagnostics));
    model = r.model;
    state = await up(model, { driver, root, specFile: 'values.yaml', env: {} });
  }, 60_000);
  afterAll(async () => {
    if (state) await down(state, driver);
    expect(processesMentioning(root)).toEqual([]);
    rmSync(root, { recursive: true, force: true });
  });

  it('the stack reads its certificate from a path with a space, and the service instance listens on ::1', () => {
    const lb = readFileSync(join(state.stateDir, 'loadBalancer-1', 'haproxy.cfg'), 'utf8');
    expect(lb).toMatch(/ssl crt '[^']* [^']*\/edge\.crt'/);
    expect(root).toContain(' ');
    const gw = readFileSync(join(state.stateDir, 'gateway-1', 'nginx.conf'), 'utf8');
    expect(gw).toMatch(/server \[::1\]:\d+ /);
  });

  it('a consumer whose username is an email address authenticates; the backend sees it in X-Consumer-Username', async () => {
    const ok = await get('/shop/x', { apikey: 'alice-key' });
    expect(ok.status).toBe(200);
    expect(ok.backend.headers?.['x-consumer-username']).toBe('alice@example.com');
    expect((await get('/shop/x', { apikey: 'wrong' })).status).toBe(401);
  });

  it('the backend receives the "$" header value byte for byte (no nginx variable expanded)', async () => {
    const r = await get('/shop/x', { apikey: 'alice-key' });
    expect(r.backend.headers?.['x-price']).toBe(PRICE);
  });

  it('smoke passes on the stack (every check passes or says why it could not run)', async () => {
    const rs = await runSmoke(model, state, driver, {});
    expect(rs.filter((r) => r.status === 'fail').map((r) => `${r.name}: ${r.observed}`)).toEqual([]);
    expect(rs.filter((r) => r.status === 'pass').length).toBeGreaterThan(0);
    expect(rs.some((r) => r.status === 'pass' && /alice@example\.com/.test(r.name))).toBe(true);
  }, 60_000);

  it('the IPv6 service instance on ::1 answers through HAProxy and the gateway (it listens on ::1 only)', async () => {
    const unit = state.units.find((u) => u.layer === 'service')!;
    expect(unit.ports.map((p) => p.host)).toEqual(['::1']);
    const r = await get('/shop/x', { apikey: 'alice-key' });
    expect(r.status).toBe(200);
    expect(r.backend.service).toBe('shop');
    // Nothing answers on the IPv4 loopback at that port: the gateway reached the instance over IPv6.
    expect((await send({ url: `http://127.0.0.1:${unit.ports[0].port}/healthz`, timeoutMs: 2000 })).status).not.toBe(200);
    expect((await send({ url: `http://[::1]:${unit.ports[0].port}/healthz`, timeoutMs: 2000 })).status).toBe(200);
  });
});

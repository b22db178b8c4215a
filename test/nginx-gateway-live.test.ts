import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBinary } from '../src/engines/binaries.js';
import type { AddressPlan } from '../src/model/plan.js';
import { REQUIRE_ENGINES } from './helpers/fixtures.js';
import { LIVE_SPEC } from './helpers/nginx-gateway-specs.js';
import { freeLocalPlan, modelOf, startNginx, writeGateway } from './helpers/nginx-gateway.js';
import { alive } from './helpers/stack.js';

const nginx = await findBinary('nginx');
if (!nginx && !REQUIRE_ENGINES) console.warn('live nginx gateway test skipped: nginx is not installed (bash scripts/setup.sh installs it and the njs module)');

interface Reply { status: number; headers: IncomingHttpHeaders; body: string; json: () => any }

/** One HTTP request to 127.0.0.1 (node:http, so any header can be sent). */
function call(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Reply> {
  return new Promise((done, fail) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { body += c; });
      res.on('end', () => done({ status: res.statusCode!, headers: res.headers, body, json: () => JSON.parse(body) }));
    });
    req.on('error', fail);
    req.setTimeout(5000, () => req.destroy(new Error(`timeout: ${method} ${path}`)));
    req.end();
  });
}

const b64 = (v: object | string) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
function jwt(claims: object, secret: string, alg = 'HS256', headerAlg = alg): string {
  const head = `${b64({ typ: 'JWT', alg: headerAlg })}.${b64(claims)}`;
  return `${head}.${createHmac(`sha${alg.slice(2)}`, secret).update(head).digest('base64url')}`;
}
const now = () => Math.floor(Date.now() / 1000);

describe.skipIf(!nginx && !REQUIRE_ENGINES)('nginx gateway engine, live on loopback in front of a node:http upstream', () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgegen-ngw-live-'));
  let upstream: Server;
  let gw: Awaited<ReturnType<typeof startNginx>>;
  let port = 0, statusPort = 0;
  let plan: AddressPlan;

  beforeAll(async () => {
    expect(nginx, 'nginx binary (EDGEGEN_REQUIRE_ENGINES=1)').toBeTruthy();
    const model = modelOf(LIVE_SPEC, 'gw-live.yaml');
    plan = await freeLocalPlan(model, dir);
    const conf = await writeGateway(model, plan, dir, {});
    // The upstream echoes what reached it, and sends a header the gateway must hide.
    upstream = createServer((req, res) => {
      res.setHeader('Content-Type', 'application/json');
      res.setHeader('X-Upstream-Secret', 'must-not-leak');
      res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers }));
    });
    const svc = plan.service('echo', 0);
    await new Promise<void>((r) => upstream.listen(svc.port, '127.0.0.1', r));
    port = plan.bind('gateway', 0, 'http').port;
    statusPort = plan.bind('gateway', 0, 'status').port;
    gw = await startNginx(nginx!, conf, plan.stateDir('gateway', 0), port);
  });

  afterAll(async () => {
    const pid = gw?.pid;
    await gw?.stop();
    await new Promise((r) => upstream?.close(r));
    expect(alive(pid), 'nginx master still running after stop').toBe(false);
    rmSync(dir, { recursive: true, force: true });
  });

  it('API key: none -> 401, wrong -> 401 (Kong bodies, WWW-Authenticate: Key), neither is counted by the rate limit', async () => {
    const none = await call(port, '/keyed');
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Key');
    expect(none.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(none.json().message).toBe('No API key found in request');
    expect(none.json().request_id).toMatch(/^[0-9a-f]{32}$/);
    expect(none.headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
    const wrong = await call(port, '/keyed', { apikey: 'ALICE-LIVE-KEY' });
    expect(wrong.status).toBe(401);
    expect(wrong.json().message).toBe('Unauthorized');
    for (let i = 0; i < 6; i++) expect((await call(port, '/keyed', { apikey: 'nope' })).status).toBe(401);
  });

  it('right key -> 200 with the consumer upstream; 5/min: requests 1-5 pass, the 6th -> 429 with Retry-After', async () => {
    // The window is the calendar minute (as in Kong): do not start the six requests just before it turns.
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 50_000) await new Promise((r) => setTimeout(r, 60_000 - intoMinute + 200));
    const ok = await call(port, '/keyed/items?x=1', { apikey: 'alice-live-key', 'X-Request-ID': 'trace-1' });
    expect(ok.status).toBe(200);
    const seen = ok.json();
    expect(seen.headers['x-consumer-username']).toBe('alice');
    expect(seen.headers['x-consumer-custom-id']).toBe('alice-42');
    expect(seen.headers.apikey).toBeUndefined();
    expect(seen.headers['x-request-id']).toBe('trace-1');
    expect(seen.headers['x-gateway']).toBe('nginx edge');
    expect(seen.url).toBe('/keyed/items?x=1');
    expect(ok.headers['x-request-id']).toBe('trace-1');
    expect(ok.headers['x-ratelimit-limit-minute']).toBe('5');
    expect(ok.headers['ratelimit-limit']).toBe('5');
    expect(Number(ok.headers['ratelimit-reset'])).toBeGreaterThanOrEqual(1);
    expect(ok.headers['x-served-by']).toBe('edgegen');
    expect(ok.headers['x-upstream-secret']).toBeUndefined();
    // The key in the query works too (inQuery) and is hidden from the upstream.
    const q = await call(port, '/keyed?apikey=alice-live-key&y=2');
    expect(q.status).toBe(200);
    expect(q.json().url).toBe('/keyed?y=2');
    for (let i = 3; i <= 5; i++) expect((await call(port, '/keyed', { apikey: 'alice-live-key' })).status, `request ${i}`).toBe(200);
    const sixth = await call(port, '/keyed', { apikey: 'alice-live-key' });
    expect(sixth.status).toBe(429);
    expect(sixth.json().message).toBe('API rate limit exceeded');
    const retry = Number(sixth.headers['retry-after']);
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(retry).toBeLessThanOrEqual(60);
    expect(sixth.headers['x-ratelimit-remaining-minute']).toBe('0');
    expect(sixth.headers['ratelimit-remaining']).toBe('0');
  });

  it('a per-second window by client address: 3 pass, the 4th is refused, the next second starts afresh', async () => {
    const waitForSecond = async () => { await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 20)); };
    await waitForSecond();
    const codes = [];
    for (let i = 0; i < 4; i++) codes.push((await call(port, '/burst')).status);
    expect(codes).toEqual([200, 200, 200, 429]);
    await waitForSecond();
    const next = await call(port, '/burst');
    expect(next.status).toBe(200);
    expect(next.headers['x-ratelimit-limit-second']).toBe('3');
  });

  it('JWT: missing, expired, not yet valid, bad signature, unknown issuer, wrong alg -> 401; valid HS256 and HS512 -> 200', async () => {
    const missing = await call(port, '/jwt');
    expect([missing.status, missing.json(), missing.headers['www-authenticate']]).toEqual([401, { message: 'Unauthorized' }, 'Bearer']);
    const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });
    const cases: [string, object][] = [
      [jwt({ iss: 'hs256-issuer', exp: now() - 10, nbf: now() - 20 }, 'hs256-secret'), { exp: 'token expired' }],
      [jwt({ iss: 'hs256-issuer', exp: now() - 10 }, 'hs256-secret'), { exp: 'token expired', nbf: 'must be a number' }],
      [jwt({ iss: 'hs256-issuer', exp: now() + 600, nbf: now() + 600 }, 'hs256-secret'), { nbf: 'token not valid yet' }],
      [jwt({ iss: 'hs256-issuer', exp: now() + 600, nbf: now() }, 'wrong-secret'), { message: 'Invalid signature' }],
      [jwt({ iss: 'someone-else', exp: now() + 600, nbf: now() }, 'hs256-secret'), { message: "No credentials found for given 'iss'" }],
      [jwt({ iss: 'hs512-issuer', exp: now() + 600, nbf: now() }, 'hs512-secret-that-is-long', 'HS256'), { message: 'Invalid algorithm' }],
      [jwt({ iss: 'hs256-issuer', nbf: now() }, 'hs256-secret'), { exp: 'must be a number' }],
      ['not-a-token', { message: 'Bad token; invalid JSON' }],
    ];
    for (const [token, body] of cases) {
      const r = await call(port, '/jwt', bearer(token));
      expect([r.status, r.json()], JSON.stringify(body)).toEqual([401, body]);
      expect(r.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    }
    const ok = await call(port, '/jwt', bearer(jwt({ iss: 'hs256-issuer', exp: now() + 600, nbf: now() }, 'hs256-secret')));
    expect(ok.status).toBe(200);
    expect(ok.json().headers['x-consumer-username']).toBe('jwt-user');
    expect(ok.json().headers['x-credential-identifier']).toBe('hs256-issuer');
    const ok512 = await call(port, '/jwt', bearer(jwt({ iss: 'hs512-issuer', exp: now() + 600, nbf: now() }, 'hs512-secret-that-is-long', 'HS512')));
    expect(ok512.status).toBe(200);
    expect(ok512.json().headers['x-consumer-username']).toBe('jwt-user-512');
  });

  it('CORS preflight is answered by the gateway; allowed origins are echoed; strip prefix reaches the upstream', async () => {
    const pre = await call(port, '/open/x', { Origin: 'https://app.example.com', 'Access-Control-Request-Method': 'POST' }, 'OPTIONS');
    expect(pre.status).toBe(200);
    expect(pre.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(pre.headers['access-control-allow-credentials']).toBe('true');
    expect(pre.headers['access-control-allow-methods']).toBe('GET,HEAD,POST,PUT,PATCH,DELETE,OPTIONS');
    const other = await call(port, '/open/x', { Origin: 'https://evil.example.com' });
    expect(other.status).toBe(200);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    const simple = await call(port, '/open/x?k=v', { Origin: 'https://admin.example.com:443' });
    expect(simple.headers['access-control-allow-origin']).toBe('https://admin.example.com');
    expect(simple.json().url).toBe('/x?k=v');
    expect((await call(port, '/open')).json().url).toBe('/');
    expect((await call(port, '/nowhere')).json().message).toBe('no Route matched with those values');
  });

  it('status listener: /healthz, and stub_status counters as Prometheus metrics', async () => {
    expect((await call(statusPort, '/healthz')).body).toBe('ok\n');
    const m = await call(statusPort, '/metrics');
    expect(m.status).toBe(200);
    expect(m.body).toMatch(/^nginx_connections_active \d+$/m);
    expect(m.body).toMatch(/^nginx_http_requests_total \d+$/m);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { compileSpec } from '../src/compile.js';
import { findBinary } from '../src/engines/binaries.js';
import { engineCheck } from '../src/engines/check.js';
import { startEcho } from '../src/runtime/echo.js';
import { processDriver } from '../src/runtime/process.js';
import { down, up } from '../src/runtime/stack.js';
import type { StackState } from '../src/runtime/state.js';
import { send } from '../src/smoke/http.js';
import { runSmoke, type CheckResult } from '../src/smoke/index.js';
import { wsOpen } from '../src/smoke/ws-client.js';
import { buildFixture, fixtureModel, REQUIRE_ENGINES, TEST_ENV } from './helpers/fixtures.js';
import { mutateHaproxy, mutateNginx } from './helpers/mutate.js';
import { processesMentioning, scratchRoot } from './helpers/stack.js';

const engines = Boolean((await findBinary('nginx')) && (await findBinary('haproxy')));
if (!engines && !REQUIRE_ENGINES) console.warn('websocket live tests skipped: nginx or haproxy is not installed (set EDGEGEN_REQUIRE_ENGINES=1 to fail instead)');

describe('echo backend: WebSocket echo (RFC 6455)', () => {
  it('answers an upgrade with 101 and the right accept value, echoes messages, and refuses a malformed handshake', async () => {
    const { server } = await startEcho({ service: 'chat', instance: 1, host: '127.0.0.1', port: 0, controlToken: 'x'.repeat(16) });
    try {
      const port = (server.address() as { port: number }).port;
      const open = await wsOpen(`http://127.0.0.1:${port}/chat`, {});
      expect(open.status).toBe(101);
      expect(open.headers['x-edgegen-service']).toBe('chat');
      expect(await open.socket!.roundTrip('hello')).toBe('hello');
      const long = 'x'.repeat(70_000);
      expect(await open.socket!.roundTrip(long)).toBe(long);
      open.socket!.close();
      // A plain GET with only "Upgrade" (no "Connection: Upgrade") is an ordinary request.
      const plain = await send({ url: `http://127.0.0.1:${port}/chat`, headers: { upgrade: 'websocket' } });
      expect(plain.status).toBe(200);
    } finally {
      server.close();
    }
  });
});

describe('emitted configs carry upgrades', () => {
  it('NGINX proxy and gateway pass Upgrade with a Connection map (keepalive kept for other requests); HAProxy has a tunnel timeout', () => {
    const files = buildFixture('websocket').files;
    const text = (p: string) => files.find((f) => f.path === p)!.content;
    for (const conf of [text('nginx/nginx.conf'), text('nginx-gateway/nginx.conf')]) {
      expect(conf).toMatch(/map \$http_upgrade \$edgegen_connection \{\n\s+default upgrade;\n\s+"" "";\n\s+\}/);
      expect(conf).not.toMatch(/proxy_set_header Connection ""/);
      expect(conf).toMatch(/proxy_set_header Upgrade "?\$http_upgrade"?;/);
      expect(conf).toMatch(/proxy_set_header Connection "?\$edgegen_connection"?;/);
    }
    expect(text('haproxy/haproxy.cfg')).toMatch(/^\s+timeout tunnel \d+/m);
  });

  it('the tunnel timeout is the service\'s, or the route\'s own: NGINX twins for upgrades, HAProxy set-timeout per route (nginx -t, haproxy -c)', async () => {
    const files = buildFixture('websocket').files;
    const text = (p: string) => files.find((f) => f.path === p)!.content;
    // An upgrade on a route jumps to its twin; the twin's timeouts are the route's tunnel timeout.
    const twin = (conf: string, path: string) => {
      const id = new RegExp(`location "${path}" \\{[^}]*?if \\(\\$http_upgrade\\) \\{\\n\\s+set \\$edgegen_route (\\w+);\\n\\s+return 460;`).exec(conf)?.[1];
      expect(id, `${path} jumps to a twin`).toBeTruthy();
      return new RegExp(`location @${id} \\{[^}]*proxy_send_timeout (\\d+s);\\n\\s+proxy_read_timeout (\\d+s);`).exec(conf)?.slice(1);
    };
    for (const conf of [text('nginx/nginx.conf'), text('nginx-gateway/nginx.conf')]) {
      expect(twin(conf, '/chat')).toEqual(['3600s', '3600s']);
      expect(twin(conf, '/feed')).toEqual(['600s', '600s']);
    }
    // The gateway's twins carry their route's policies, one per route; the proxy's forward only, shared by routes alike.
    expect(text('nginx-gateway/nginx.conf')).toContain('location @route_feed_tunnel {');
    expect(text('nginx/nginx.conf')).toMatch(/location @edgegen_tunnel_\d+ \{/);
    // HAProxy in front of the services routes itself: the service's tunnel timeout, and the route's where it differs.
    const spec = { version: 1, name: 'tunnel', loadBalancer: { ports: { http: 80 }, healthCheck: {} },
      services: [{ name: 'chat', instances: [{ address: '10.0.0.5:3000' }, { address: '10.0.0.6:3000' }], timeouts: { tunnel: '2h' } }],
      routes: [{ name: 'chat', match: { path: '/chat' }, service: 'chat' }, { name: 'feed', match: { path: '/feed' }, service: 'chat', timeouts: { tunnel: '90s' } }] };
    const r = compileSpec(JSON.stringify(spec), 'tunnel.yaml', { env: TEST_ENV });
    expect(r.ok).toBe(true);
    const cfg = r.files.find((f) => f.path === 'haproxy/haproxy.cfg')!.content;
    expect(cfg).toMatch(/^backend svc_chat\n(?:.*\n)*?\s+timeout tunnel 7200s\n/m);
    expect(cfg).toMatch(/^\s+http-request set-timeout tunnel 90s if \{ var\(txn\.route\) -m str route_feed \}$/m);
    if (engines) expect((await engineCheck(r.model!, { env: TEST_ENV })).filter((c) => c.engine === 'haproxy').map((c) => c.status)).toEqual(['passed']);
  });

  it('at scale (shared include files) every twin an upgrade jumps to is defined once, in the include every server reads (nginx -t)', async () => {
    const routes = [{ name: 'host', match: { path: '/h', hosts: ['a.example.com'] }, service: 'app' },
      ...Array.from({ length: 20 }, (_, i) => ({ name: `r${i}`, match: { path: `/r${i}`, ...(i % 5 === 0 ? { methods: ['GET'] } : {}) }, service: 'app',
        ...(i % 3 === 0 ? { stripPrefix: true } : {}), ...(i % 4 === 0 ? { timeouts: { tunnel: '5m' } } : {}) }))];
    const spec = { version: 1, name: 'tunnels', proxy: { ports: { http: 8080 } }, services: [{ name: 'app', instances: [{ address: '10.0.0.5:3000' }] }], routes,
      lint: { rules: { 'single-instance': 'off' } } };
    const r = compileSpec(JSON.stringify(spec), 'tunnels.yaml', { env: TEST_ENV });
    expect(r.ok).toBe(true);
    const files = r.files.filter((f) => f.path.startsWith('nginx/'));
    const tunnels = files.find((f) => f.path === 'nginx/edgegen-shared-tunnels.conf')!.content;
    const defined = (text: string) => [...text.matchAll(/location @(edgegen_tunnel_\d+) \{/g)].map((m) => m[1]);
    const jumped = new Set(files.flatMap((f) => [...f.content.matchAll(/set \$edgegen_route (edgegen_tunnel_\d+);/g)].map((m) => m[1])));
    expect(jumped.size).toBeGreaterThan(1);
    expect(new Set(defined(tunnels))).toEqual(jumped);
    expect(defined(tunnels).length).toBe(jumped.size);
    for (const f of files.filter((x) => x.path !== 'nginx/edgegen-shared-tunnels.conf')) expect(defined(f.content), f.path).toEqual([]);
    const servers = files.find((f) => f.path === 'nginx/nginx.conf')!.content.split(/\n    server \{/).slice(1).filter((b) => b.includes('edgegen-shared-routes'));
    expect(servers.length).toBe(2);
    for (const server of servers) expect(server).toContain('include "edgegen-shared-tunnels.conf";');
    if (engines) expect((await engineCheck(r.model!, { env: TEST_ENV })).filter((c) => c.engine === 'nginx').map((c) => c.status)).toEqual(['passed']);
  });

  it('Kong routes are http/https (Kong OSS 3.9 proxies Upgrade: websocket on them; ws/wss are Enterprise-only protocols)', () => {
    const kong = buildFixture('demo').files.find((f) => f.path === 'kong/kong.yaml')!;
    const config = parse(kong.content) as { services: { routes?: { protocols: string[] }[] }[] };
    const protocols = config.services.flatMap((svc) => (svc.routes ?? []).map((r) => r.protocols.join(',')));
    expect(protocols.length).toBeGreaterThan(0);
    expect(new Set(protocols)).toEqual(new Set(['http,https']));
  });
});

(engines || REQUIRE_ENGINES ? describe : describe.skip)('WebSockets live: HAProxy -> NGINX gateway -> NGINX proxy -> echo (process runtime)', () => {
  const driver = processDriver();
  const root = scratchRoot();
  const model = fixtureModel('websocket');
  let state: StackState;
  const failed = (rs: CheckResult[]) => rs.filter((r) => r.status !== 'pass').map((r) => `${r.name}: ${r.status} ${r.observed ?? r.reason}`);

  beforeAll(async () => {
    state = await up(model, { driver, root, specFile: 'fixtures/websocket.yaml', env: TEST_ENV });
  }, 60_000);
  afterAll(async () => {
    if (state) await down(state, driver);
    expect(processesMentioning(root)).toEqual([]);
  });

  it('a handshake at the entry gets 101 from the service and echoes through every layer', async () => {
    const open = await wsOpen(`${state.entry.https}/chat/room`, { host: 'localhost' }, { ca: state.caFile });
    try {
      expect(open.status).toBe(101);
      expect(open.headers['x-edgegen-service']).toBe('chat');
      expect(await open.socket!.roundTrip('through every layer')).toBe('through every layer');
    } finally {
      open.socket?.close();
    }
  });

  it('smoke: round trip, and an idle WebSocket outlives the 2 s read and load balancer timeouts', async () => {
    const results = await runSmoke(model, state, driver, TEST_ENV, ['websocket']);
    expect(results.map((r) => r.name)).toEqual([
      'WebSocket through every layer: 101, then a message echoed', 'an idle WebSocket outlives the ordinary read timeouts (idle 3s)']);
    expect(failed(results)).toEqual([]);
  }, 30_000);

  describe('mutations: each layer that stops carrying upgrades makes the check fail', () => {
    // What the configs did before: no Upgrade header upstream and Connection "" (an upgrade turns into a plain GET).
    const dropUpgrade = (c: string) => c.replace(/^\s*proxy_set_header Upgrade .*\n/gm, '')
      .replace(/proxy_set_header Connection "?\$edgegen_connection"?;/g, 'proxy_set_header Connection "";');
    for (const layer of ['proxy', 'gateway'] as const) {
      it(`${layer}: Connection "" again (the upgrade is dropped, the client gets 200)`, async () => {
        const restore = await mutateNginx(state, layer, dropUpgrade);
        try {
          const broken = await runSmoke(model, state, driver, TEST_ENV, ['websocket']);
          expect(broken[0]).toMatchObject({ status: 'fail', observed: expect.stringMatching(/^HTTP 200 \(no upgrade\)/) });
        } finally {
          await restore();
        }
      }, 30_000);
    }
    it('proxy: the read timeout governs the tunnel again (idle WebSocket cut at 2 s)', async () => {
      const restore = await mutateNginx(state, 'proxy', (c) => c.replace(/proxy_read_timeout \d+m?s;/g, 'proxy_read_timeout 2s;'));
      try {
        const broken = await runSmoke(model, state, driver, TEST_ENV, ['websocket']);
        expect(broken[1]).toMatchObject({ status: 'fail', name: expect.stringMatching(/outlives/) });
      } finally {
        await restore();
      }
    }, 30_000);
    it('gateway: its twin for upgrades gets the 2 s read timeout (idle WebSocket cut)', async () => {
      const restore = await mutateNginx(state, 'gateway', (c) => c.replace(/proxy_read_timeout 3600s;/g, 'proxy_read_timeout 2s;'));
      try {
        const broken = await runSmoke(model, state, driver, TEST_ENV, ['websocket']);
        expect(broken[1]).toMatchObject({ status: 'fail', name: expect.stringMatching(/outlives/) });
      } finally {
        await restore();
      }
    }, 30_000);
    it('load balancer: no tunnel timeout (the 2 s client/server timeouts cut the idle WebSocket)', async () => {
      const restore = await mutateHaproxy(state, driver, (c) => c.replace(/^\s+timeout tunnel .*\n/gm, ''));
      try {
        const broken = await runSmoke(model, state, driver, TEST_ENV, ['websocket']);
        expect(broken[1]).toMatchObject({ status: 'fail', name: expect.stringMatching(/outlives/) });
      } finally {
        await restore();
      }
    }, 30_000);
  });
});

import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSpec } from '../src/compile.js';
import { findBinary } from '../src/engines/binaries.js';
import type { Model } from '../src/model/types.js';
import { processDriver } from '../src/runtime/process.js';
import { down, up } from '../src/runtime/stack.js';
import type { StackState } from '../src/runtime/state.js';
import { send } from '../src/smoke/http.js';
import { runSmoke, type CheckResult } from '../src/smoke/index.js';
import { REQUIRE_ENGINES } from './helpers/fixtures.js';
import { ROUTE_HEADERS_SPEC } from './helpers/route-headers-spec.js';
import { mutateNginx } from './helpers/mutate.js';
import { processesMentioning, scratchRoot } from './helpers/stack.js';

const engines = Boolean(await findBinary('nginx'));


(engines || REQUIRE_ENGINES ? describe : describe.skip)('per-route header transforms, live: NGINX gateway engine -> echo backend (process runtime, issue 15.3)', () => {
  const driver = processDriver();
  const root = scratchRoot();
  let model: Model;
  let state: StackState;
  const only = () => runSmoke(model, state, driver, {}, ['route-headers']);
  const byName = (rs: CheckResult[], name: string) => rs.find((r) => r.name === name)!;
  const get = async (path: string, headers: Record<string, string> = {}) => {
    const res = await send({ url: `${state.entry.http}${path}`, headers });
    return { status: res.status, response: res.headers, backend: (res.json?.headers ?? {}) as Record<string, string> };
  };

  beforeAll(async () => {
    const r = loadSpec(ROUTE_HEADERS_SPEC, 'route-headers.yaml');
    if (!r.model) throw new Error(JSON.stringify(r.diagnostics));
    model = r.model;
    state = await up(model, { driver, root, specFile: 'route-headers.yaml', env: {} });
  }, 60_000);
  afterAll(async () => {
    if (state) await down(state, driver);
    expect(processesMentioning(root)).toEqual([]);
    rmSync(root, { recursive: true, force: true });
  });

  it('the backend sees a route\'s header only on that route; the gateway-wide ones everywhere but where turned off', async () => {
    const [v2, v3, api, bare] = await Promise.all(['/api/v2/x', '/api/v3/x', '/api/x', '/bare/x'].map((p) => get(p, { 'X-Debug': 'from-client' })));
    for (const r of [v2, v3, api, bare]) expect(r.status).toBe(200);
    expect([v2, v3, api, bare].map((r) => r.backend['x-api-version'])).toEqual(['2', '3', undefined, undefined]);
    expect([v2, v3, api, bare].map((r) => r.backend['x-edge'])).toEqual(['gw', 'gw', 'gw', undefined]);
    // The gateway removes X-Debug; v2 adds its own, so v2's value replaces the client's (removed, then added).
    expect([v2, v3, api, bare].map((r) => r.backend['x-debug'])).toEqual(['route-v2', undefined, undefined, 'from-client']);
    expect([v2, v3, api, bare].map((r) => r.response['x-route'])).toEqual(['v2', undefined, undefined, undefined]);
    expect([v2, v3, api, bare].map((r) => r.response['x-served-by'])).toEqual(['edgegen', 'edgegen', 'edgegen', undefined]);
  });

  it('a client-sent header is kept where the route only adds (Kong\'s add: only when absent)', async () => {
    expect((await get('/api/v3/x', { 'X-API-Version': '9' })).backend['x-api-version']).toBe('9');
  });

  it('smoke: each route-specific header is observed on its route and checked on every other route', async () => {
    const rs = await only();
    expect(rs.map((r) => `${r.status} ${r.name}`).sort()).toEqual([
      'pass route v2 adds request header X-API-Version', 'pass route v2 adds request header X-Debug', 'pass route v2 adds response header X-Route',
      'pass route v3 adds request header X-API-Version',
      'not-run route fwd adds request header X-Forwarded-Host',
    ].sort());
    expect(byName(rs, 'route fwd adds request header X-Forwarded-Host').reason).toBe('X-Forwarded-Host is also set by the stack\'s own layers, so the route\'s value cannot be told apart');
    expect(byName(rs, 'route v2 adds request header X-API-Version').observed).toBe('route v2: 200, X-API-Version: 2; as expected on 4 other route(s)');
    expect(byName(rs, 'route v3 adds request header X-API-Version').expected).toBe('the backend sees X-API-Version: 3 on route v3; on 4 other route(s) their own value of X-API-Version or none');
  }, 30_000);

  it('mutation: the header leaking onto another route makes the check fail', async () => {
    const restore = await mutateNginx(state, 'gateway', (c) => c.replace(/(location "\/api" \{[\s\S]*?)(proxy_set_header X-Edge [^\n]*\n)/, '$1$2            proxy_set_header X-API-Version "2";\n'));
    try {
      expect(byName(await only(), 'route v2 adds request header X-API-Version')).toMatchObject({ status: 'fail',
        observed: 'route v2: 200, X-API-Version: 2; route api: 200, X-API-Version: 2 (expected no X-API-Version)' });
    } finally {
      await restore();
    }
  }, 30_000);

  it('mutation: a route response header that is not sent makes the check fail', async () => {
    const restore = await mutateNginx(state, 'gateway', (c) => c.replace(/\n\s*add_header X-Route [^\n]*/g, ''));
    try {
      expect(byName(await only(), 'route v2 adds response header X-Route')).toMatchObject({ status: 'fail', observed: expect.stringMatching(/^route v2: 200, no X-Route; as expected on 4 other route/) });
    } finally {
      await restore();
    }
  }, 30_000);
});

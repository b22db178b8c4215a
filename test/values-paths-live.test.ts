import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSpec } from '../src/compile.js';
import { findBinary } from '../src/engines/binaries.js';
import { chooseRoute } from '../src/model/routing.js';
import type { Model } from '../src/model/types.js';
import { processDriver } from '../src/runtime/process.js';
import { down, up } from '../src/runtime/stack.js';
import type { StackState } from '../src/runtime/state.js';
import { send } from '../src/smoke/http.js';
import { REQUIRE_ENGINES } from './helpers/fixtures.js';
import { processesMentioning } from './helpers/stack.js';

const engines = Boolean((await findBinary('nginx')) && (await findBinary('haproxy')));

/** Encoded route paths (issue 16): a prefix with an encoded space (stripped), an exact UTF-8 word, a prefix of must-encode bytes; the catch-all's service is IPv6. */
const spec = (layer: string) => [
  'version: 1', 'name: encoded', layer,
  'services:',
  ...['a', 'b'].map((s, i) => `  - { name: ${s}, instances: [{ address: "127.0.0.1:${3000 + i}" }] } # edgegen-lint-disable-line single-instance -- a test stack`),
  // An IPv6 instance with an active health check: runs on ::1 locally; HAProxy checks it there.
  '  - { name: c, instances: [{ address: "[2001:db8::3]:3002" }], healthCheck: { path: /healthz } } # edgegen-lint-disable-line single-instance -- a test stack',
  'routes:',
  '  - { name: docs, match: { path: "/my%20docs/" }, service: a, stripPrefix: true }',
  '  - { name: cafe, match: { path: "/caf%C3%A9", pathType: exact }, service: b }',
  '  - { name: odd, match: { path: "/q%22%7B%7D%5C%5E%60%7C%3C%3E" }, service: b }',
  '  - { name: rest, match: { path: / }, service: c }',
].join('\n');

/** Requests as a client sends them (raw), including near misses: an encoded "%" before "20", a lower-case hex variant is not asked (HAProxy compares as sent). */
const REQUESTS = ['/my%20docs/x', '/my%20docs', '/my%2520docs/x', '/mydocs/x', '/caf%C3%A9', '/caf%C3%A9/x', '/cafe', '/q%22%7B%7D%5C%5E%60%7C%3C%3E/z', '/q%22'];

const LAYERS = {
  'HAProxy (routes on the raw path)': 'loadBalancer: { ports: { http: 80 } }',
  'NGINX proxy (locations on the decoded URI)': 'proxy: { ports: { http: 80 } }',
  'NGINX gateway engine (locations on the decoded URI)': 'gateway: { engine: nginx, ports: { http: 80 } }',
};

(engines || REQUIRE_ENGINES ? describe : describe.skip).each(Object.entries(LAYERS))('encoded route paths, live: %s -> echo services (process runtime)', (_name, layer) => {
  const driver = processDriver();
  const root = mkdtempSync(join(tmpdir(), 'edgegen-encoded-'));
  let model: Model;
  let state: StackState;

  beforeAll(async () => {
    const r = loadSpec(spec(layer), 'encoded.yaml');
    if (!r.model) throw new Error(JSON.stringify(r.diagnostics));
    model = r.model;
    state = await up(model, { driver, root, specFile: 'encoded.yaml', env: {} });
  }, 60_000);
  afterAll(async () => {
    if (state) await down(state, driver);
    expect(processesMentioning(root)).toEqual([]);
    rmSync(root, { recursive: true, force: true });
  });

  it('every request reaches the service of the route the model chooses for the raw path', async () => {
    const got = await Promise.all(REQUESTS.map(async (path) => {
      const res = await send({ url: `${state.entry.http}${path}` });
      return `${path} -> ${res.status} ${String(res.json?.service ?? '-')}`;
    }));
    const want = REQUESTS.map((path) => `${path} -> 200 ${chooseRoute(model.routes, { method: 'GET', path })!.service.name}`);
    expect(got).toEqual(want);
    expect(want).toEqual(['/my%20docs/x -> 200 a', '/my%20docs -> 200 c', '/my%2520docs/x -> 200 c', '/mydocs/x -> 200 c', '/caf%C3%A9 -> 200 b',
      '/caf%C3%A9/x -> 200 c', '/cafe -> 200 c', '/q%22%7B%7D%5C%5E%60%7C%3C%3E/z -> 200 b', '/q%22 -> 200 c']);
  });

  it('stripPrefix removes the encoded prefix: the backend sees the rest of the path', async () => {
    const res = await send({ url: `${state.entry.http}/my%20docs/x%20y` });
    expect(res.json?.service).toBe('a');
    expect(res.json?.path).toBe('/x%20y');
  });
});

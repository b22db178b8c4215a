import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileSpec } from '../src/compile.js';
import { findBinary } from '../src/engines/binaries.js';
import { processDriver } from '../src/runtime/process.js';
import { down, up } from '../src/runtime/stack.js';
import type { StackState } from '../src/runtime/state.js';
import { runSmoke } from '../src/smoke/index.js';
import { fixtureModel, REQUIRE_ENGINES, TEST_ENV } from './helpers/fixtures.js';
import { processesMentioning, scratchRoot } from './helpers/stack.js';

/**
 * Strict-Transport-Security comes from the layer that decrypts the client's TLS (the first one that speaks HTTP after
 * it), for every TLS strategy and every entry layer, and from no other layer.
 */

type Entry = 'lb-http' | 'lb-tcp' | 'kong' | 'nginx-gateway' | 'proxy';
type Strategy = 'terminate' | 'passthrough' | 'reencrypt';
type Sender = 'loadBalancer' | 'kong' | 'nginx-gateway' | 'proxy';

const STRATEGIES: Strategy[] = ['terminate', 'passthrough', 'reencrypt'];

/** The chains to build, entry first. */
const CHAINS: Entry[][] = [
  ['lb-http', 'proxy'], ['lb-http', 'nginx-gateway', 'proxy'], ['lb-http', 'kong', 'proxy'], ['lb-http', 'kong'],
  ['lb-tcp', 'proxy'], ['lb-tcp', 'nginx-gateway', 'proxy'], ['lb-tcp', 'kong'],
  ['kong', 'proxy'], ['kong'], ['nginx-gateway', 'proxy'], ['nginx-gateway'], ['proxy'],
];

const HSTS = 'max-age=31536000; includeSubDomains';

function specText(strategy: Strategy, chain: Entry[]): string {
  const s: Record<string, unknown> = {
    version: 1, name: 'hsts', tls: { strategy, certificate: '/etc/edgegen/tls/edge.crt', key: '/etc/edgegen/tls/edge.key' },
    services: [{ name: 'api', instances: [{ address: '10.0.0.5:8080' }] }],
    routes: [{ name: 'api', match: { path: '/api' }, service: 'api' }],
    lint: { rules: { 'single-instance': 'off', 'xff-trusted-from-client': 'off', 'tls-terminated-twice': 'off' } },
  };
  chain.forEach((e, i) => {
    const ports = i === 0 ? { http: 80, https: 443 }
      : strategy === 'reencrypt' || (strategy === 'passthrough' && i === 1) ? { https: 8443 + i } : { http: 8000 + i };
    if (e.startsWith('lb')) s.loadBalancer = { ports, mode: e === 'lb-tcp' ? 'tcp' : 'http', ...(e === 'lb-tcp' ? { algorithm: 'source' } : {}) };
    else if (e === 'proxy') s.proxy = { ports };
    else s.gateway = { ports, engine: e === 'kong' ? 'kong' : 'nginx' };
  });
  return JSON.stringify(s);
}

/** The layers whose emitted config sends the header. */
function senders(files: { path: string; content: string }[]): Sender[] {
  const text = (p: string) => files.find((f) => f.path === p)?.content ?? '';
  const out: Sender[] = [];
  if (text('haproxy/haproxy.cfg').includes(`http-response set-header Strict-Transport-Security '${HSTS}'`)) out.push('loadBalancer');
  if (text('kong/kong.env').includes(`KONG_NGINX_PROXY_ADD_HEADER=Strict-Transport-Security "${HSTS}" always`)) out.push('kong');
  if (text('nginx-gateway/nginx.conf').includes(`add_header Strict-Transport-Security "${HSTS}" always;`)) out.push('nginx-gateway');
  if (text('nginx/nginx.conf').includes(`add_header Strict-Transport-Security "${HSTS}" always;`)) out.push('proxy');
  return out;
}

/** Who must send it: the layer that decrypts the client's TLS, or the next one when that is a tcp-mode load balancer. */
function expectedSender(strategy: Strategy, chain: Entry[]): Sender {
  const decrypting = strategy === 'passthrough' ? chain[1] : chain[0];
  const speaker = decrypting === 'lb-tcp' ? chain[1] : decrypting;
  return speaker === 'lb-http' ? 'loadBalancer' : (speaker as Sender);
}

describe('HSTS: the layer that decrypts the client\'s TLS sends it, for every strategy and entry layer', () => {
  for (const strategy of STRATEGIES) {
    for (const chain of CHAINS) {
      const refusal = strategy === 'passthrough' && !(chain[0].startsWith('lb') && chain.length > 1) ? 'passthrough needs a load balancer in front'
        : strategy === 'reencrypt' && chain.length === 1 ? 'reencrypt needs a layer behind the entry' : undefined;
      const valid = !refusal;
      const label = `${strategy}: ${chain.join(' -> ')}`;
      it(valid ? `${label}: sent by ${expectedSender(strategy, chain)} only` : `${label}: refused (${refusal})`, () => {
        const r = compileSpec(specText(strategy, chain), 'hsts.yaml', { env: TEST_ENV });
        if (!valid) {
          expect(r.ok).toBe(false);
          return;
        }
        expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
        expect(senders(r.files)).toEqual([expectedSender(strategy, chain)]);
      });
    }
  }

  it('hsts: false turns it off everywhere', () => {
    const spec = JSON.parse(specText('passthrough', ['lb-tcp', 'nginx-gateway', 'proxy']));
    spec.tls.hsts = false;
    const r = compileSpec(JSON.stringify(spec), 'hsts.yaml', { env: TEST_ENV });
    expect(r.ok).toBe(true);
    expect(senders(r.files)).toEqual([]);
  });
});

const engines = Boolean((await findBinary('nginx')) && (await findBinary('haproxy')) && (await findBinary('curl')));
if (!engines && !REQUIRE_ENGINES) console.warn('HSTS live test skipped: nginx, haproxy or curl is not installed (set EDGEGEN_REQUIRE_ENGINES=1 to fail instead)');

(engines || REQUIRE_ENGINES ? describe : describe.skip)('HSTS live under passthrough: curl over TLS through HAProxy (tcp) to the NGINX proxies', () => {
  const driver = processDriver();
  const root = scratchRoot();
  let state: StackState;

  beforeAll(async () => {
    state = await up(fixtureModel('tls-passthrough'), { driver, root, specFile: 'fixtures/tls-passthrough.yaml', env: TEST_ENV });
  }, 60_000);
  afterAll(async () => {
    if (state) await down(state, driver);
    expect(processesMentioning(root)).toEqual([]);
  });

  it('an HTTPS response at the entry carries Strict-Transport-Security', () => {
    const url = new URL(state.entry.https!);
    const res = spawnSync('curl', ['-sS', '-o', '/dev/null', '-D', '-', '--cacert', state.caFile!, '--resolve', `localhost:${url.port}:${url.hostname}`,
      `https://localhost:${url.port}/api/hsts`], { encoding: 'utf8', timeout: 15_000 });
    expect(res.stderr).toBe('');
    expect(res.stdout).toMatch(/^HTTP\/[\d.]+ \d{3}/);
    expect(res.stdout).toMatch(/^strict-transport-security: max-age=31536000; includeSubDomains\r?$/im);
  });

  it('smoke\'s TLS checks pass, HSTS included', async () => {
    const results = await runSmoke(fixtureModel('tls-passthrough'), state, driver, TEST_ENV, ['tls']);
    expect(results.find((r) => r.name === 'HSTS header on HTTPS responses')).toMatchObject({ status: 'pass', observed: 'max-age=31536000; includeSubDomains' });
    expect(results.filter((r) => r.status !== 'pass').map((r) => `${r.name}: ${r.observed ?? r.reason}`)).toEqual([]);
  }, 30_000);
});

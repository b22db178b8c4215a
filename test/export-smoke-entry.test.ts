import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { loadSpec } from '../src/compile.js';
import { runEntrySmoke } from '../src/smoke/index.js';
import { entryGroups, entryNotRun } from '../src/smoke/entry.js';
import { fixtureModel, TEST_ENV } from './helpers/fixtures.js';

// smoke --entry against something that is not edgegen's echo backend: the checks that read the echo's answer are not
// run (never passed or failed), and neither is anything that needs per-instance access. The live run against a
// deployed stack with echo backends is test/export-swarm.test.ts.
const SPEC = 'version: 1\nname: entry-plain\nproxy:\n  ports: { http: 8080 }\nservices:\n  - name: app\n    instances: [{ address: app-1:3000 }, { address: app-2:3000 }]\nroutes:\n  - { name: app, match: { path: /api }, service: app }\n';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['node', 'edgegen', ...args], { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('smoke --entry', () => {
  let server: Server;
  let url = '';
  let requests = 0;
  beforeAll(async () => {
    server = createServer((_req, res) => { requests++; res.end('a real service, not the echo backend\n'); });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('behind a stack whose services are not the echo backend: one probe, then every check not run with its reason', async () => {
    const model = loadSpec(SPEC, 'entry-plain.yaml').model!;
    const { results } = await runEntrySmoke(model, 'entry-plain.yaml', { http: url }, TEST_ENV);
    expect(requests).toBe(1);
    expect(results.filter((r) => r.status !== 'not-run')).toEqual([]);
    expect(results.map((r) => r.check).sort()).toEqual(['distribution', 'failover', 'headers', 'route-headers', 'routing', 'websocket']);
    for (const r of results) expect(r.reason).toMatch(/per-instance access|not it/);
  });

  it('the groups it runs: with echo backends everything a client observes; without, only what the client alone judges', () => {
    expect(entryGroups(true)).toEqual(['routing', 'auth', 'headers', 'route-headers', 'tls', 'websocket', 'rate-limit']);
    expect(entryGroups(false)).toEqual(['tls', 'rate-limit']);
    const demo = fixtureModel('demo');
    const notRun = entryNotRun(demo, true).map((r) => `${r.layer}/${r.check}`);
    expect(notRun).toEqual(['loadBalancer/distribution', 'services/distribution', 'services/failover', 'proxy/cache', 'proxy/static']);
  });

  it('CLI: needs the spec, an origin URL, and --entry-https only with an http entry', async () => {
    expect((await cli(['smoke', '--entry', url])).err).toMatch(/--entry needs the spec file/);
    expect((await cli(['smoke', 'fixtures/demo.yaml', '--entry', `${url}/api`])).err).toMatch(/origin only/);
    expect((await cli(['smoke', 'fixtures/demo.yaml', '--entry', 'https://127.0.0.1:1', '--entry-https', 'https://127.0.0.1:2'])).err).toMatch(/--entry-https goes with an http:\/\/ --entry/);
    expect((await cli(['smoke', 'fixtures/demo.yaml', '--entry', 'ftp://127.0.0.1'])).code).toBe(2);
  });
});

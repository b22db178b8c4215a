import { execa } from 'execa';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { makeTestCertificates } from '../src/engines/binaries.js';
import { forInstalledEngines } from '../src/engines/check.js';
import { localPlan, plannedPorts } from '../src/model/plan.js';
import { dockerAvailable } from '../src/runtime/docker.js';
import { portFree, sleep } from '../src/runtime/health.js';
import { send } from '../src/smoke/http.js';
import { fixtureModel, ROOT, TEST_ENV } from './helpers/fixtures.js';

// Live Docker Swarm: the demo (NGINX gateway engine; Kong cannot run here) exported with --to swarm on the host
// network with loopback ports, deployed with docker stack deploy, smoked through its entry, then a one-route change
// rolled out. Traffic only to 127.0.0.1. dockerd here runs with --iptables=false --bridge=none: swarm init works
// there, and overlay networks can be created (the overlay export is schema-checked in export-validate.test.ts),
// but no traffic is sent over them: every service of this stack is on the external network named host.
const required = process.env.EDGEGEN_REQUIRE_DOCKER === '1';
const docker = await dockerAvailable();
if (!docker && !required) console.warn('Swarm export test skipped: no Docker engine answers (CI starts dockerd and sets EDGEGEN_REQUIRE_DOCKER=1)');

const BASE_IMAGE = 'edgegen-local:test';
const IMAGE = 'edgegen-local:swarm';
const STACK = 'edgegen-export-test';
const SPEC = join(ROOT, 'fixtures/demo-nginx-gateway.yaml');
const TOKEN = 'swarm-test-control-token-0123456789';

async function dockerOut(args: string[]): Promise<string> {
  return (await execa('docker', args, { env: { EDGEGEN_CONTROL_TOKEN: TOKEN } })).stdout.trim();
}

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const prev = { ...process.env };
  Object.assign(process.env, TEST_ENV);
  try {
    const code = await main(['node', 'edgegen', ...args], { out: (s) => out.push(s), err: (s) => err.push(s) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    for (const k of Object.keys(TEST_ENV)) if (prev[k] === undefined) delete process.env[k];
  }
}

/** Object names (configs and secrets) each service of a stack file mounts. */
function mountedObjects(stackYaml: string): Map<string, string[]> {
  const doc = parse(stackYaml.replace(/^#.*\n/, '')) as { services: Record<string, { configs?: { source: string }[]; secrets?: { source: string }[] }> };
  return new Map(Object.entries(doc.services).map(([name, s]) => [name, [...(s.configs ?? []), ...(s.secrets ?? [])].map((c) => c.source)]));
}

async function freeBase(count: number): Promise<number> {
  for (let k = 0; k < 50; k++) {
    const base = 41000 + Math.floor(Math.random() * 150) * 100;
    const ports = Array.from({ length: count }, (_, i) => base + i);
    if ((await Promise.all(ports.map((p) => portFree({ host: '127.0.0.1', port: p })))).every(Boolean)) return base;
  }
  throw new Error('no free loopback port range');
}

/** Every service of the stack runs its one task and Docker reports it healthy. */
async function waitHealthy(services: number, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  let seen = '';
  while (Date.now() < until) {
    seen = await dockerOut(['ps', '--filter', `label=com.docker.stack.namespace=${STACK}`, '--filter', 'health=healthy', '--format', '{{.Names}}']);
    if (seen.split('\n').filter(Boolean).length >= services) return;
    await sleep(1000);
  }
  const ps = await dockerOut(['stack', 'ps', STACK, '--no-trunc', '--format', '{{.Name}} {{.CurrentState}} {{.Error}}']).catch((e) => String(e));
  throw new Error(`stack ${STACK} not healthy after ${timeoutMs} ms; healthy: ${seen || 'none'}\n${ps}`);
}

describe('export --to swarm, live on a single-node Swarm', () => {
  it('a Docker engine answers (required in CI)', () => {
    if (required) expect(docker).toBe(true);
  });

  (docker || required ? describe : describe.skip)('with locally built images on the host network', () => {
    let joined = false;
    /** docker_gwbridge existed before (a swarm's ingress creates it; it stays after swarm leave). */
    let gwbridge = true;
    let dir = '';
    let base = 0;
    let targets: string[] = [];
    const out = () => join(dir, 'stack');

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'edgegen-swarm-'));
      await execa('bash', [`${ROOT}/scripts/build-local-image.sh`, BASE_IMAGE]);
      // The health checks use bash's /dev/tcp, as in the official Debian-based images: add this machine's bash. Debian's
      // nginx keeps its temp files under /var/lib/nginx (the official image: /var/cache/nginx, a tmpfs in the export).
      const ctx = join(dir, 'image');
      await execa('bash', ['-c', `set -e; mkdir -p "$1/root"; for f in /bin/bash $(ldd /bin/bash | grep -o '/[^ ]*'); do mkdir -p "$1/root$(dirname $f)"; cp -L "$f" "$1/root$f"; done`, '_', ctx]);
      writeFileSync(join(ctx, 'Dockerfile'), `FROM ${BASE_IMAGE}\nCOPY root/ /\nWORKDIR /var/lib/nginx\nWORKDIR /var/log/nginx\nWORKDIR /\n`);
      await execa('docker', ['build', '-q', '-t', IMAGE, ctx]);
      const state = await dockerOut(['info', '--format', '{{.Swarm.LocalNodeState}}']);
      gwbridge = (await execa('docker', ['network', 'inspect', 'docker_gwbridge'], { reject: false })).exitCode === 0;
      if (state !== 'active') {
        await dockerOut(['swarm', 'init', '--advertise-addr', '127.0.0.1']);
        joined = true;
      }
      // Inner hops verify the next layer's certificate by the address they reach it at (127.0.0.1 on loopback).
      await makeTestCertificates(dir, ['localhost', '127.0.0.1']);
      // The image carries this machine's engines: emit for their versions.
      const installed = (await forInstalledEngines(fixtureModel('demo-nginx-gateway'))).targets;
      targets = ['--target', `nginx=${installed.nginx}`, '--target', `haproxy=${installed.haproxy}`];
      const model = fixtureModel('demo-nginx-gateway');
      base = await freeBase(plannedPorts(model, localPlan(model, { basePort: 0, stateRoot: '/x' })).length + 1);
    }, 180_000);

    afterAll(async () => {
      await execa('docker', ['stack', 'rm', STACK], { reject: false });
      // stack rm returns before the tasks are gone; configs and secrets in use cannot be removed until then.
      for (let k = 0; k < 60; k++) {
        const left = await dockerOut(['ps', '-a', '--filter', `label=com.docker.stack.namespace=${STACK}`, '-q']).catch(() => '');
        if (!left) break;
        await sleep(1000);
      }
      for (const kind of ['config', 'secret']) {
        const ids = (await dockerOut([kind, 'ls', '--filter', `label=com.docker.stack.namespace=${STACK}`, '-q']).catch(() => '')).split('\n').filter(Boolean);
        if (ids.length) await execa('docker', [kind, 'rm', ...ids], { reject: false });
      }
      if (joined) await execa('docker', ['swarm', 'leave', '--force'], { reject: false });
      if (joined && !gwbridge) await execa('docker', ['network', 'rm', 'docker_gwbridge'], { reject: false });
      if (dir) rmSync(dir, { recursive: true, force: true });
    }, 120_000);

    it('the overlay stack file\'s network can be created on this engine (created and inspected, never sent traffic)', async () => {
      const out2 = join(dir, 'overlay');
      const r = await cli(['export', SPEC, '--to', 'swarm', '--tls-dir', dir, '-o', out2]);
      expect(r.code, r.err).toBe(0);
      const doc = parse(readFileSync(join(out2, 'stack.yaml'), 'utf8')) as { networks: Record<string, { driver: string; attachable: boolean }>; services: Record<string, { networks: string[]; deploy: { replicas: number } }> };
      expect(doc.networks).toEqual({ edge: { driver: 'overlay', attachable: false } });
      expect(doc.services.gateway.deploy.replicas).toBe(2);
      const name = `${STACK}_edge`;
      await dockerOut(['network', 'create', '--driver', doc.networks.edge.driver, '--label', `com.docker.stack.namespace=${STACK}`, name]);
      try {
        expect(await dockerOut(['network', 'inspect', name, '--format', '{{.Driver}} {{.Scope}}'])).toBe('overlay swarm');
      } finally {
        await dockerOut(['network', 'rm', name]);
      }
    }, 60_000);

    const exportArgs = (spec: string) => ['export', spec, '--to', 'swarm', '--network', 'loopback', '--base-port', String(base), '--echo-backends',
      '--tls-dir', dir, ...targets, ...['loadBalancer', 'gateway', 'proxy', 'service'].flatMap((l) => ['--image', `${l}=${IMAGE}`]), '-o', out()];

    it('deploys, passes every check smoke --entry can run, and rolls out a one-route change that changes only the affected objects', async () => {
      const model = fixtureModel('demo-nginx-gateway');
      const ports = localPlan(model, { basePort: base, stateRoot: '/x' });
      const entryHttp = `http://127.0.0.1:${ports.bind('loadBalancer', 0, 'http').port}`;
      const entryHttps = `https://127.0.0.1:${ports.bind('loadBalancer', 0, 'https').port}`;

      const first = await cli(exportArgs(SPEC));
      expect(first.code, first.err).toBe(0);
      expect(first.out).toMatch(/secrets\/gateway-1\/edgegen-credentials\.js \(mode 0400: holds secrets\)/);
      expect(first.out + first.err).not.toContain(TEST_ENV.DEMO_ALICE_KEY);
      const before = readFileSync(join(out(), 'stack.yaml'), 'utf8');
      const doc = parse(before) as { services: Record<string, { networks: string[]; deploy: { replicas: number } }>; networks: Record<string, { external: boolean; name: string }> };
      // One service per instance on the host network: 1 load balancer, 2 gateways, 2 proxies, 4 echo stand-ins.
      expect(Object.keys(doc.services)).toHaveLength(9);
      expect(Object.values(doc.services).every((s) => s.networks[0] === 'hostnet' && s.deploy.replicas === 1)).toBe(true);
      expect(doc.networks.hostnet).toEqual({ external: true, name: 'host' });

      await dockerOut(['stack', 'deploy', '-c', join(out(), 'stack.yaml'), STACK]);
      await waitHealthy(9, 120_000);

      const smoke = await cli(['smoke', SPEC, '--entry', entryHttp, '--entry-https', entryHttps, '--ca', join(dir, 'ca.crt'), '--format', 'json']);
      const report = JSON.parse(smoke.out) as { summary: { passed: number; failed: number; notRun: number }; results: { check: string; status: string; name: string; observed?: string; reason?: string }[] };
      const failed = report.results.filter((r) => r.status === 'fail');
      expect(failed, JSON.stringify(failed, null, 2)).toEqual([]);
      expect(smoke.code).toBe(0);
      const ran = new Set(report.results.filter((r) => r.status === 'pass').map((r) => r.check));
      for (const g of ['routing', 'auth', 'headers', 'tls', 'rate-limit']) expect(ran.has(g), g).toBe(true);
      // What only per-instance access could observe is not run, with the reason; nothing else is left out.
      const notRun = report.results.filter((r) => r.status === 'not-run');
      for (const r of notRun) expect(r.reason, r.name).toBeTruthy();
      expect(new Set(notRun.map((r) => r.check))).toEqual(new Set(['distribution', 'failover', 'cache', 'static', 'websocket']));
      expect(notRun.filter((r) => r.check !== 'websocket').every((r) => /per-instance access/.test(r.reason!))).toBe(true);

      // One route added: only the objects whose content changes get new names.
      const spec2 = join(dir, 'demo-nginx-gateway.yaml');
      writeFileSync(spec2, readFileSync(SPEC, 'utf8').replace('routes:\n', 'routes:\n  - name: added\n    match: { path: /api/added }\n    service: catalog\n'));
      const second = await cli(exportArgs(spec2));
      expect(second.code, second.err).toBe(0);
      const after = readFileSync(join(out(), 'stack.yaml'), 'utf8');
      const a = mountedObjects(before);
      const b = mountedObjects(after);
      const changed = new Set<string>();
      for (const [svc, names] of a) {
        const next = b.get(svc)!;
        expect(next.length, svc).toBe(names.length);
        names.forEach((n, i) => { if (n !== next[i]) changed.add(svc); });
      }
      // The gateways and proxies route; the load balancer, the credentials, the certificates and the echo stand-ins do not change.
      expect([...changed].sort()).toEqual(['gateway-1', 'gateway-2', 'proxy-1', 'proxy-2']);
      const secretsBefore = [...a.values()].flat().filter((n) => /credentials|tls/.test(n));
      const secretsAfter = [...b.values()].flat().filter((n) => /credentials|tls/.test(n));
      expect(secretsAfter).toEqual(secretsBefore);
      for (const svc of changed) {
        const oldNginx = a.get(svc)!.find((n) => n.includes('-nginx-'))!;
        const newNginx = b.get(svc)!.find((n) => n.includes('-nginx-'))!;
        expect(newNginx).not.toBe(oldNginx);
      }

      const ask = () => send({ url: `${entryHttps}/api/added/x`, ca: join(dir, 'ca.crt'), headers: { host: 'localhost', apikey: TEST_ENV.DEMO_ALICE_KEY } });
      expect((await ask()).status).toBe(404);
      await dockerOut(['stack', 'deploy', '-c', join(out(), 'stack.yaml'), STACK]);
      // The rollout: every changed service runs a task with the new config, and the new route answers through the entry.
      const until = Date.now() + 120_000;
      let res = await ask();
      while (Date.now() < until && !(res.status === 200 && res.json?.service === 'catalog')) {
        await sleep(1000);
        res = await ask();
      }
      expect(res.status).toBe(200);
      expect(res.json?.service).toBe('catalog');
      for (const svc of changed) {
        const configs = await dockerOut(['service', 'inspect', `${STACK}_${svc}`, '--format', '{{range .Spec.TaskTemplate.ContainerSpec.Configs}}{{.ConfigName}} {{end}}']);
        expect(configs.split(' ')).toContain(b.get(svc)!.find((n) => n.includes('-nginx-')));
      }
      await waitHealthy(9, 120_000);
    }, 400_000);
  });
});

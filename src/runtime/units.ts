import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { emitHaproxy } from '../emit/haproxy/emit.js';
import { emitKong } from '../emit/kong/emit.js';
import { envFile, kongEnvironment } from '../emit/kong/env.js';
import type { Env } from '../emit/kong/secrets.js';
import { emitNginxProxy } from '../emit/nginx/proxy.js';
import { emitNginxGateway } from '../emit/nginx/gateway.js';
import type { LayerFile } from '../emit/files.js';
import { localPlan, type AddressPlan, type Endpoint } from '../model/plan.js';
import type { LayerKind, Model } from '../model/types.js';

export type Engine = 'nginx' | 'haproxy' | 'kong' | 'echo';

export interface UnitFile { path: string; content: string; mode: number }

/** One process or container of a local stack. */
export interface Unit {
  id: string;
  layer: LayerKind | 'service';
  engine: Engine;
  instance: number;
  service?: string;
  files: UnitFile[];
  /** Directories the engine needs before it starts. */
  dirs: string[];
  /** argv with the engine's binary name first (resolved per runtime). */
  argv: string[];
  env: Record<string, string>;
  health: { kind: 'http'; url: string } | { kind: 'tcp'; endpoint: Endpoint };
  ports: Endpoint[];
}

export interface StackLayout {
  stateDir: string;
  plan: AddressPlan;
  units: Unit[];
  controlToken: string;
  /** Absolute path of the echo backend's entry point. */
  echoScript: string;
}

/** The compiled echo backend, also when edgegen itself runs from source (tests). */
const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Map spec file paths into the stack's state dir: certificates always, static roots when absent on this machine. */
export function localFiles(model: Model, stateDir: string): (p: string) => string {
  const tls = model.tls;
  return (p: string) => {
    if (tls && p === tls.certificate) return join(stateDir, 'certs', 'edge.crt');
    if (tls && p === tls.key) return join(stateDir, 'certs', 'edge.key');
    if (tls && p === tls.ca) return join(stateDir, 'certs', 'ca.crt');
    return existsSync(p) ? p : join(stateDir, 'files', p);
  };
}

function layerFiles(dir: string, files: LayerFile[]): UnitFile[] {
  return files.map((f) => ({ path: join(dir, f.path), content: f.content, mode: 0o644 }));
}

/** Every unit of a local stack on loopback ports starting at basePort, in start order (services first). */
export function layoutStack(model: Model, opts: { stateDir: string; basePort: number; env: Env; workerUser?: string }): StackLayout {
  const { stateDir } = opts;
  const plan = localPlan(model, { basePort: opts.basePort, stateRoot: stateDir, files: localFiles(model, stateDir) });
  const controlToken = randomBytes(16).toString('hex');
  const echoScript = join(projectRoot, 'dist', 'runtime', 'echo-main.js');
  const units: Unit[] = [];
  for (const s of model.services)
    for (const inst of s.instances) {
      const ep = plan.service(s.name, inst.index);
      units.push({
        id: `service-${s.name}-${inst.index + 1}`, layer: 'service', engine: 'echo', instance: inst.index, service: s.name, files: [], dirs: [],
        argv: ['node', echoScript, s.name, String(inst.index + 1), ep.host, String(ep.port)],
        env: { EDGEGEN_CONTROL_TOKEN: controlToken },
        health: { kind: 'http', url: `http://${ep.host}:${ep.port}/healthz` }, ports: [ep],
      });
    }
  for (const layer of [...model.chain].reverse()) {
    const l = model[layer]!;
    for (let i = 0; i < l.instances; i++) {
      const dir = plan.stateDir(layer, i);
      const ports = (['http', 'https', 'status'] as const).filter((k) => l.listen[k] !== undefined).map((k) => plan.bind(layer, i, k));
      const status = l.listen.status !== undefined ? plan.bind(layer, i, 'status') : undefined;
      const id = `${layer}-${i + 1}`;
      if (layer === 'proxy') {
        const conf = join(dir, 'nginx.conf');
        units.push({
          id, layer, engine: 'nginx', instance: i, files: layerFiles(dir, emitNginxProxy(model, plan, { instance: i, user: opts.workerUser })),
          dirs: [join(dir, 'tmp'), join(dir, 'logs')],
          argv: ['nginx', '-p', dir, '-e', join(dir, 'error.log'), '-c', conf, '-g', 'daemon off;'], env: {},
          health: { kind: 'http', url: `http://${status!.host}:${status!.port}/healthz` }, ports,
        });
      } else if (layer === 'loadBalancer') {
        const cfg = join(dir, 'haproxy.cfg');
        const entry = plan.bind(layer, i, l.listen.http !== undefined ? 'http' : 'https');
        units.push({
          id, layer, engine: 'haproxy', instance: i, files: layerFiles(dir, emitHaproxy(model, plan, { instance: i })), dirs: [],
          argv: ['haproxy', '-db', '-f', cfg], env: {},
          health: status ? { kind: 'http', url: `http://${status.host}:${status.port}/healthz` } : { kind: 'tcp', endpoint: entry }, ports,
        });
      } else if (model.gateway!.settings.engine === 'kong') {
        const kong = emitKong(model, plan, opts.env);
        const decl = join(dir, 'kong.yaml');
        const env = { ...kongEnvironment(model, plan, i, decl), KONG_PREFIX: join(dir, 'prefix'), KONG_NGINX_DAEMON: 'off' };
        units.push({
          id, layer, engine: 'kong', instance: i,
          files: [{ path: decl, content: kong.yaml, mode: kong.holdsSecrets ? 0o600 : 0o644 }, { path: join(dir, 'kong.env'), content: envFile(env, 'kong settings'), mode: 0o644 }],
          dirs: [join(dir, 'prefix')],
          argv: ['kong', 'start', '--vv'], env,
          health: { kind: 'http', url: `http://${status!.host}:${status!.port}/status/ready` }, ports,
        });
      } else {
        const conf = join(dir, 'nginx.conf');
        const files = emitNginxGateway(model, plan, { instance: i, env: opts.env, user: opts.workerUser })
          .map((f) => ({ path: join(dir, f.path.replace(/^nginx-gateway\//, '')), content: f.content, mode: f.mode }));
        units.push({
          id, layer, engine: 'nginx', instance: i, files, dirs: [join(dir, 'tmp'), join(dir, 'logs')],
          argv: ['nginx', '-p', dir, '-e', join(dir, 'error.log'), '-c', conf, '-g', 'daemon off;'], env: {},
          health: { kind: 'http', url: `http://${status!.host}:${status!.port}/status/ready` }, ports,
        });
      }
    }
  }
  return { stateDir, plan, units, controlToken, echoScript };
}

import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { emitHaproxy } from '../emit/haproxy/emit.js';
import { emitKong } from '../emit/kong/emit.js';
import { envFile, kongEnvironment } from '../emit/kong/env.js';
import type { Env } from '../emit/kong/secrets.js';
import { emitNginxProxy } from '../emit/nginx/proxy.js';
import { emitNginxGateway } from '../emit/nginx/gateway.js';
import type { LayerFile } from '../emit/files.js';
import { bridgePlan, localPlan, type AddressPlan, type Endpoint } from '../model/plan.js';
import type { LayerKind, Model } from '../model/types.js';
import type { NetworkMode } from './state.js';
import { projectRoot as rootDir } from '../paths.js';

export type Engine = 'nginx' | 'haproxy' | 'kong' | 'echo';

/**
 * The signal that stops an engine gracefully: it stops accepting, finishes the requests it has, then exits. nginx
 * (and Kong, which is nginx) SIGQUIT, HAProxy SIGUSR1 (soft stop); SIGTERM would make both drop requests in flight.
 */
export function stopSignal(engine: Engine): NodeJS.Signals {
  return engine === 'nginx' || engine === 'kong' ? 'SIGQUIT' : engine === 'haproxy' ? 'SIGUSR1' : 'SIGTERM';
}

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
  /** Where edgegen on this host checks the unit's health, and the ports it occupies here (always loopback). */
  health: { kind: 'http'; url: string } | { kind: 'tcp'; endpoint: Endpoint };
  ports: Endpoint[];
  /** On a bridge network only: how the unit joins it. */
  bridge?: UnitBridge;
}

/** A unit on a stack's own bridge network: its service name there, and each listen port published on a loopback port. */
export interface UnitBridge {
  network: string;
  alias: string;
  publish: { port: number; host: Endpoint }[];
}

/** The Docker network of a stack run with network mode bridge. */
export function bridgeNetworkName(stack: string): string {
  return `edgegen-${stack}`;
}

export interface StackLayout {
  stateDir: string;
  /** The addresses the engines' configs use. */
  plan: AddressPlan;
  /** Where edgegen on this host reaches each unit: loopback ports (the same plan as `plan` in host mode). */
  hostPlan: AddressPlan;
  network: NetworkMode;
  units: Unit[];
  controlToken: string;
  /** Absolute path of the echo backend's entry point. */
  echoScript: string;
}

/** The compiled echo backend, also when edgegen itself runs from source (tests). */
const projectRoot = rootDir();

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

/**
 * Every unit of a local stack, in start order (services first). Network mode host: every hop on loopback ports starting
 * at basePort. Network mode bridge: each unit binds 0.0.0.0 on the spec's ports in its own network namespace and is
 * reached by its service name; its listen ports are published on the loopback ports host mode would use, so health
 * checks and entry URLs stay on loopback.
 */
export function layoutStack(model: Model, opts: { stateDir: string; basePort: number; env: Env; workerUser?: string; network?: NetworkMode }): StackLayout {
  const { stateDir } = opts;
  const network = opts.network ?? 'host';
  const files = localFiles(model, stateDir);
  const hostPlan = localPlan(model, { basePort: opts.basePort, stateRoot: stateDir, files });
  // On a bridge network clients reach a listener on its loopback port: redirects name that one.
  const plan = network === 'bridge' ? bridgePlan(model, { stateRoot: stateDir, files, published: (l, i, k) => hostPlan.bind(l, i, k).port }) : hostPlan;
  const networkName = bridgeNetworkName(model.name);
  const controlToken = randomBytes(16).toString('hex');
  const echoScript = join(projectRoot, 'dist', 'runtime', 'echo-main.js');
  const units: Unit[] = [];
  const bridge = (alias: string, listen: Endpoint[], published: Endpoint[]): Pick<Unit, 'bridge'> =>
    network === 'bridge' ? { bridge: { network: networkName, alias, publish: listen.map((ep, k) => ({ port: ep.port, host: published[k] })) } } : {};
  for (const s of model.services)
    for (const inst of s.instances) {
      const ep = plan.service(s.name, inst.index);
      const here = hostPlan.service(s.name, inst.index);
      // On the bridge network the echo backend listens on every interface of its own namespace.
      const listen = network === 'bridge' ? { host: '0.0.0.0', port: ep.port } : ep;
      units.push({
        id: `service-${s.name}-${inst.index + 1}`, layer: 'service', engine: 'echo', instance: inst.index, service: s.name, files: [], dirs: [],
        argv: ['node', echoScript, s.name, String(inst.index + 1), listen.host, String(listen.port)],
        env: { EDGEGEN_CONTROL_TOKEN: controlToken },
        health: { kind: 'http', url: `http://${here.host.includes(':') ? `[${here.host}]` : here.host}:${here.port}/healthz` }, ports: [here],
        ...bridge(ep.host, [listen], [here]),
      });
    }
  for (const layer of [...model.chain].reverse()) {
    const l = model[layer]!;
    for (let i = 0; i < l.instances; i++) {
      const dir = plan.stateDir(layer, i);
      const kinds = (['http', 'https', 'status'] as const).filter((k) => l.listen[k] !== undefined);
      const ports = kinds.map((k) => hostPlan.bind(layer, i, k));
      const status = l.listen.status !== undefined ? hostPlan.bind(layer, i, 'status') : undefined;
      const id = `${layer}-${i + 1}`;
      const joins = bridge(plan.reach(layer, i, kinds[0]).host, kinds.map((k) => plan.bind(layer, i, k)), ports);
      if (layer === 'proxy') {
        const conf = join(dir, 'nginx.conf');
        units.push({
          id, layer, engine: 'nginx', instance: i, files: layerFiles(dir, emitNginxProxy(model, plan, { instance: i, user: opts.workerUser })),
          dirs: [join(dir, 'tmp'), join(dir, 'logs')],
          argv: ['nginx', '-p', dir, '-e', join(dir, 'error.log'), '-c', conf, '-g', 'daemon off;'], env: {},
          health: { kind: 'http', url: `http://${status!.host}:${status!.port}/healthz` }, ports, ...joins,
        });
      } else if (layer === 'loadBalancer') {
        const cfg = join(dir, 'haproxy.cfg');
        const entry = hostPlan.bind(layer, i, l.listen.http !== undefined ? 'http' : 'https');
        units.push({
          id, layer, engine: 'haproxy', instance: i, files: layerFiles(dir, emitHaproxy(model, plan, { instance: i })), dirs: [],
          argv: ['haproxy', '-db', '-f', cfg], env: {},
          health: status ? { kind: 'http', url: `http://${status.host}:${status.port}/healthz` } : { kind: 'tcp', endpoint: entry }, ports, ...joins,
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
          health: { kind: 'http', url: `http://${status!.host}:${status!.port}/status/ready` }, ports, ...joins,
        });
      } else {
        const conf = join(dir, 'nginx.conf');
        const files = emitNginxGateway(model, plan, { instance: i, env: opts.env, user: opts.workerUser })
          .map((f) => ({ path: join(dir, f.path.replace(/^nginx-gateway\//, '')), content: f.content, mode: f.mode }));
        units.push({
          id, layer, engine: 'nginx', instance: i, files, dirs: [join(dir, 'tmp'), join(dir, 'logs')],
          argv: ['nginx', '-p', dir, '-e', join(dir, 'error.log'), '-c', conf, '-g', 'daemon off;'], env: {},
          health: { kind: 'http', url: `http://${status!.host}:${status!.port}/status/ready` }, ports, ...joins,
        });
      }
    }
  }
  return { stateDir, plan, hostPlan, network, units, controlToken, echoScript };
}

import { createHash } from 'node:crypto';
import type { OutputFile } from '../../compile.js';
import { deployNames, type DeployNames, type DeployPlanOptions } from '../../model/plan-deploy.js';
import type { AddressPlan } from '../../model/plan.js';
import type { LayerKind, Model, PortKind } from '../../model/types.js';

export type DeployEngine = 'haproxy' | 'nginx' | 'kong' | 'echo';
export type ImageKey = 'loadBalancer' | 'gateway' | 'proxy' | 'service';

/** A generated file a unit mounts: a config, or a secret (credentials: mode 0400, never printed). */
export interface MountedFile {
  /** Path inside the container. */
  target: string;
  /** Path in the export folder. */
  file: string;
  content: string;
  secret: boolean;
  /** Orchestrator object name: <stack>-<unit>-<file>-<content hash>, so a changed file is a new object that rolls out. */
  object: string;
  /** A file of the deploying host that export does not write (the spec's TLS certificate, key and CA). */
  external?: boolean;
}

export interface DeployHealth { port: number; path?: string; intervalS: number; timeoutS: number; retries: number }

/** One orchestrator unit: a Compose service, a Swarm service or a Kubernetes Deployment. */
export interface DeployUnit {
  name: string;
  layer: LayerKind | 'service';
  engine: DeployEngine;
  replicas: number;
  image: string;
  /** Command (argv) or undefined for the image's own (Kong: kong docker-start). */
  command?: string[];
  env: Record<string, string>;
  files: MountedFile[];
  /** Listen ports of the unit (container side), by kind. */
  ports: Partial<Record<PortKind | 'service', number>>;
  /** The entry layer: its ports are published. */
  entry: boolean;
  health: DeployHealth;
  /** Units of the next layer (what this one forwards to). */
  next: string[];
  /** The engine's graceful stop. */
  stopSignal: string;
  /** The engine must read root-owned 0400 secrets: run as root (as edgegen's Docker runtime does). */
  root: boolean;
  /** Directories the engine writes (cache, temp files): a tmpfs / emptyDir. */
  stateDirs: string[];
  /** Environment variables whose value the orchestrator's CLI interpolates from the deploying shell (${...}). */
  interpolate?: string[];
  /** Host folders bind-mounted read-only at the same path (the echo stand-ins run edgegen's dist/). */
  binds?: string[];
}

export interface UnitOptions extends DeployPlanOptions {
  images?: Partial<Record<ImageKey, string>>;
  /** Where edgegen's dist/ lives on the deployment host (echo stand-ins bind-mount it). */
  projectRoot?: string;
  /** Where the deploying host holds a TLS file the spec names (default: the spec's own path). */
  tlsSource?: (specPath: string) => string;
  /** The content of a TLS file at export time, when readable: its object name then carries its hash. */
  tlsContent?: (source: string) => string | undefined;
}

/** Official images pinned to the spec's targets (Kong: the release edgegen targets). */
export function defaultImage(model: Model, key: ImageKey): string {
  return { loadBalancer: `haproxy:${model.targets.haproxy}`, gateway: 'kong:3.9.3', proxy: `nginx:${model.targets.nginx}`, service: 'node:20-slim' }[key];
}

export function contentHash(content: string): string {
  return createHash('sha256').update(content).digest('hex').slice(0, 10);
}

/** A DNS-label-safe piece of an object name. */
function label(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
}

const NGINX_CMD = ['nginx', '-e', 'stderr', '-c', '/etc/nginx/nginx.conf', '-g', 'daemon off;'];
const HAPROXY_CFG = '/usr/local/etc/haproxy';

/** Where each emitted file lives inside the official image of its engine. */
function target(path: string): string {
  const [dir, ...rest] = path.split('/');
  const name = rest.join('/');
  if (dir === 'haproxy') return `${HAPROXY_CFG}/${name}`;
  if (dir === 'kong') return `/kong/declarative/${name}`;
  return `/etc/nginx/${name}`;
}

/**
 * The units of an exported stack, from the files the emitters wrote for the deploy plan. Per-instance units (Compose,
 * Swarm on loopback) get their own instance's files; per-layer units share instance 0's, which the plan makes
 * identical for every replica.
 */
export function deployUnits(model: Model, plan: AddressPlan, emit: (layer: LayerKind, instance: number) => OutputFile[], opts: UnitOptions): DeployUnit[] {
  const names: DeployNames = deployNames(model, opts);
  const units: DeployUnit[] = [];
  const image = (key: ImageKey, layer?: LayerKind) => opts.images?.[key] ?? (layer ? model[layer]?.settings.image : undefined) ?? defaultImage(model, key);
  const stack = label(model.name);
  const nextOf = (layer: LayerKind): string[] => {
    const at = model.chain.indexOf(layer);
    const next = model.chain[at + 1];
    if (next) return names.perInstance ? Array.from({ length: model[next]!.instances }, (_, i) => names.layer(next, i)) : [names.layer(next, 0)];
    if (!opts.echo) return [];
    return model.services.flatMap((s) => s.instances.map((inst) => names.service(s.name, inst.index)));
  };
  for (const layer of model.chain) {
    const l = model[layer]!;
    const count = names.perInstance ? l.instances : 1;
    for (let i = 0; i < count; i++) {
      const name = names.layer(layer, i);
            const nginxGateway = layer === 'gateway' && model.gateway!.settings.engine === 'nginx';
      const engine: DeployEngine = layer === 'loadBalancer' ? 'haproxy' : layer === 'gateway' && !nginxGateway ? 'kong' : 'nginx';
      const prefix = layer === 'loadBalancer' ? 'haproxy/' : layer === 'proxy' ? 'nginx/' : nginxGateway ? 'nginx-gateway/' : 'kong/';
      const own = emit(layer, i);
      const env: Record<string, string> = {};
      const files: MountedFile[] = [];
      for (const f of own) {
        if (f.path === 'kong/kong.env') {
          for (const line of f.content.split('\n')) {
            const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
            if (m) env[m[1]] = m[2];
          }
          continue;
        }
        const secret = (f.mode & 0o077) === 0;
        const base = label(f.path.split('/').pop()!.replace(/\.[a-z]+$/, ''));
        files.push({ target: target(f.path), file: `${secret ? 'secrets' : 'configs'}/${name}/${f.path.slice(prefix.length)}`, content: f.content, secret,
          object: `${stack}-${name}-${base}-${contentHash(f.content)}` });
      }
      const tls = model.tls;
      if (tls) {
        for (const p of [tls.certificate, tls.key, tls.ca]) {
          if (!p) continue;
          const base = label(p.split('/').pop()!);
          const source = opts.tlsSource?.(p) ?? p;
          // Swarm secrets cannot change in place: a renewed certificate gets a new name, and the services roll.
          const content = opts.tlsContent?.(source);
          files.push({ target: p, file: source, content: '', secret: true, external: true, object: `${stack}-tls-${base}${content === undefined ? '' : `-${contentHash(content)}`}` });
        }
      }
      const ports: DeployUnit['ports'] = {};
      for (const k of ['http', 'https', 'status'] as const) if (l.listen[k] !== undefined) ports[k] = plan.bind(layer, i, k).port;
      const status = ports.status;
      const hc = layer === 'loadBalancer' ? (model.loadBalancer!.settings.stats ? '/healthz' : undefined) : engine === 'kong' || layer === 'gateway' ? '/status/ready' : '/healthz';
      units.push({
        name, layer, engine, replicas: names.perInstance ? 1 : l.instances,
        image: image(engine === 'nginx' && layer === 'gateway' ? 'proxy' : layer, layer),
        command: engine === 'nginx' ? NGINX_CMD : engine === 'haproxy' ? ['haproxy', '-db', '-f', `${HAPROXY_CFG}/haproxy.cfg`] : undefined,
        env, files, ports, entry: model.chain[0] === layer,
        health: { port: status ?? ports.https ?? ports.http!, path: status !== undefined ? hc : undefined, intervalS: 5, timeoutS: 10, retries: 5 },
        next: nextOf(layer), stopSignal: engine === 'haproxy' ? 'SIGUSR1' : 'SIGQUIT', root: engine !== 'nginx', stateDirs: engine === 'nginx' ? [layer === 'gateway' ? '/var/cache/nginx' : plan.stateDir(layer, i)] : [],
      });
    }
  }
  if (opts.echo) {
    const root = opts.projectRoot ?? '/opt/edgegen';
    for (const s of model.services)
      for (const inst of s.instances) {
        const ep = plan.service(s.name, inst.index);
        const listen = opts.network === 'loopback' ? ep.host : '0.0.0.0';
        units.push({
          name: names.service(s.name, inst.index), layer: 'service', engine: 'echo', replicas: 1, image: image('service'),
          command: ['node', `${root}/dist/runtime/echo-main.js`, s.name, String(inst.index + 1), listen, String(ep.port)],
          // Interpolated by docker compose / docker stack deploy from the deploying shell: never written to a file.
          // (docker stack deploy of Docker 20.10 does not read ${VAR:?message}; an unset token stops the echo with its own message.)
          env: { EDGEGEN_CONTROL_TOKEN: '${EDGEGEN_CONTROL_TOKEN}' },
          interpolate: ['EDGEGEN_CONTROL_TOKEN'], binds: [`${root}/dist`], files: [], ports: { service: ep.port }, entry: false, health: { port: ep.port, path: '/healthz', intervalS: 5, timeoutS: 10, retries: 5 },
          next: [], stopSignal: 'SIGTERM', root: false, stateDirs: [],
        });
      }
  }
  return units;
}

export type Probe = 'image' | 'node';

/**
 * The health check command inside a unit's container. 'image': what the official images carry (bash's /dev/tcp in the
 * Debian-based nginx, HAProxy and node images; `kong health`); 'node': node for every unit (images that carry it; a
 * node start is slow on a loaded machine, bash is not).
 */
export function probeCommand(u: DeployUnit, probe: Probe): string[] {
  const { port, path } = u.health;
  if (probe === 'node') {
    const js = path
      ? `fetch('http://127.0.0.1:${port}${path}').then((r)=>process.exit(r.ok?0:1),()=>process.exit(1))`
      : `require('net').connect(${port},'127.0.0.1').on('connect',()=>process.exit(0)).on('error',()=>process.exit(1))`;
    return ['CMD', 'node', '-e', js];
  }
  if (u.engine === 'kong') return ['CMD', 'kong', 'health'];
  const script = path
    ? `exec 3<>/dev/tcp/127.0.0.1/${port} && printf 'GET ${path} HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && read -r s <&3 && [[ $s == *' 200 '* ]]`
    : `exec 3<>/dev/tcp/127.0.0.1/${port}`;
  return ['CMD', 'bash', '-c', script];
}

import { LAYER_ORDER, type LayerKind, type Model, type PortKind } from './types.js';

export interface Endpoint { host: string; port: number }

/** Maps every hop's endpoint to an address. `build` uses the spec's addresses; local runs use loopback ports. */
export interface AddressPlan {
  mode: 'spec' | 'local';
  /** Address a layer instance listens on. */
  bind(layer: LayerKind, instance: number, port: PortKind): Endpoint;
  /** Address the previous hop uses to reach a layer instance. */
  reach(layer: LayerKind, instance: number, port: PortKind): Endpoint;
  service(service: string, instance: number): Endpoint;
  /** Where the engine reads a file named in the spec (certificate, key, static root). */
  file(path: string): string;
  /** Directory for an engine's own state (cache, temp files, pid). */
  stateDir(layer: LayerKind, instance: number): string;
}

function layerPort(model: Model, layer: LayerKind, port: PortKind): number {
  const l = model[layer];
  const p = l?.listen[port];
  if (p === undefined) throw new Error(`${layer} has no ${port} port`);
  return p;
}

export function specPlan(model: Model): AddressPlan {
  const bindHost = (layer: LayerKind, port: PortKind) => {
    const l = model[layer]!;
    if (port === 'status') {
      if (layer === 'loadBalancer') return model.loadBalancer!.settings.stats?.bind ?? '127.0.0.1';
      // Only a previous layer needs the status port; the entry layer keeps it on loopback.
      if (model.chain[0] === layer) return '127.0.0.1';
    }
    return l.settings.bind ?? '0.0.0.0';
  };
  return {
    mode: 'spec',
    bind: (layer, _i, port) => ({ host: bindHost(layer, port), port: layerPort(model, layer, port) }),
    reach: (layer, i, port) => ({ host: model[layer]!.settings.hosts?.[i] ?? `${layer.toLowerCase()}-${i + 1}`, port: layerPort(model, layer, port) }),
    service: (name, i) => {
      const inst = model.services.find((s) => s.name === name)!.instances[i];
      return { host: inst.host, port: inst.port };
    },
    file: (p) => p,
    stateDir: (layer) => (layer === 'proxy' ? '/var/cache/nginx' : layer === 'loadBalancer' ? '/var/lib/haproxy' : '/usr/local/kong'),
  };
}

export interface LocalPlanOptions {
  /** First port to hand out; ports are assigned in a fixed order, so the plan is deterministic. */
  basePort: number;
  host?: string;
  /** Root directory for per-instance state. */
  stateRoot: string;
  /** Maps spec file paths (certificates, static roots) to local ones. */
  files?: (path: string) => string;
}

/** Every hop on loopback with ports chosen by edgegen. */
export function localPlan(model: Model, opts: LocalPlanOptions): AddressPlan {
  const host = opts.host ?? '127.0.0.1';
  const ports = new Map<string, number>();
  let next = opts.basePort;
  for (const layer of LAYER_ORDER) {
    const l = model[layer];
    if (!l) continue;
    for (let i = 0; i < l.instances; i++)
      for (const kind of ['http', 'https', 'status'] as const) if (l.listen[kind] !== undefined) ports.set(`${layer}/${i}/${kind}`, next++);
  }
  for (const s of model.services) for (const inst of s.instances) ports.set(`service/${s.name}/${inst.index}`, next++);
  const get = (key: string) => {
    const p = ports.get(key);
    if (p === undefined) throw new Error(`no local port planned for ${key}`);
    return { host, port: p };
  };
  return {
    mode: 'local',
    bind: (layer, i, kind) => get(`${layer}/${i}/${kind}`),
    reach: (layer, i, kind) => get(`${layer}/${i}/${kind}`),
    service: (name, i) => get(`service/${name}/${i}`),
    file: opts.files ?? ((p) => p),
    stateDir: (layer, i) => `${opts.stateRoot}/${layer}-${i + 1}`,
  };
}

/** All ports a local plan uses, for checking that they are free. */
export function plannedPorts(model: Model, plan: AddressPlan): Endpoint[] {
  const out: Endpoint[] = [];
  for (const layer of LAYER_ORDER) {
    const l = model[layer];
    if (!l) continue;
    for (let i = 0; i < l.instances; i++)
      for (const kind of ['http', 'https', 'status'] as const) if (l.listen[kind] !== undefined) out.push(plan.bind(layer, i, kind));
  }
  for (const s of model.services) for (const inst of s.instances) out.push(plan.service(s.name, inst.index));
  return out;
}

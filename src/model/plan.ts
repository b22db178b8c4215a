import { HOSTNAME_RE, isIpv6 } from '../spec/primitives.js';
import { LAYER_ORDER, type LayerKind, type Model, type PortKind } from './types.js';

export interface Endpoint { host: string; port: number }

/**
 * Maps every hop's endpoint to an address. `build` uses the spec's addresses; local runs (mode 'local': engine state
 * under edgegen's state dir) use loopback ports (localPlan) or, on a Docker bridge network, service names (bridgePlan).
 */
export interface AddressPlan {
  mode: 'spec' | 'local';
  /** Address a layer instance listens on. */
  bind(layer: LayerKind, instance: number, port: PortKind): Endpoint;
  /** Address the previous hop uses to reach a layer instance. */
  reach(layer: LayerKind, instance: number, port: PortKind): Endpoint;
  /** Port clients use for a layer instance's listener (in redirects): the bind port, unless a runtime publishes it elsewhere. */
  advertise(layer: LayerKind, instance: number, port: PortKind): number;
  service(service: string, instance: number): Endpoint;
  /** Where the engine reads a file named in the spec (certificate, key, static root). */
  file(path: string): string;
  /** Directory for an engine's own state (cache, temp files, pid). */
  stateDir(layer: LayerKind, instance: number): string;
}

const byName = new WeakMap<Model, Map<string, Model['services'][number]>>();
/** Services by name, built once per model (emitters ask for every instance of every service). */
function servicesByName(model: Model): Map<string, Model['services'][number]> {
  let m = byName.get(model);
  if (!m) byName.set(model, (m = new Map(model.services.map((s) => [s.name, s]))));
  return m;
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
    advertise: (layer, _i, port) => layerPort(model, layer, port),
    reach: (layer, i, port) => ({ host: model[layer]!.settings.hosts?.[i] ?? `${layer.toLowerCase()}-${i + 1}`, port: layerPort(model, layer, port) }),
    service: (name, i) => {
      const inst = servicesByName(model).get(name)!.instances[i];
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
  // An instance the spec gives an IPv6 address runs on the IPv6 loopback (::1), so the local stack reaches it over IPv6 too.
  const v6 = new Set<string>();
  for (const s of model.services) for (const inst of s.instances) {
    ports.set(`service/${s.name}/${inst.index}`, next++);
    if (opts.host === undefined && isIpv6(inst.host)) v6.add(`service/${s.name}/${inst.index}`);
  }
  const get = (key: string) => {
    const p = ports.get(key);
    if (p === undefined) throw new Error(`no local port planned for ${key}`);
    return { host: v6.has(key) ? '::1' : host, port: p };
  };
  return {
    mode: 'local',
    bind: (layer, i, kind) => get(`${layer}/${i}/${kind}`),
    advertise: (layer, i, kind) => get(`${layer}/${i}/${kind}`).port,
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

/** A host name a container can answer to on a Docker network: a DNS name, not an IP address and not localhost. */
function aliasable(host: string): boolean {
  const h = host.toLowerCase();
  return HOSTNAME_RE.test(host) && h !== 'localhost' && !h.endsWith('.localhost');
}

/** The name each unit answers to on a stack's own network, by layer instance and by service instance. */
export interface BridgeAliases {
  layer(layer: LayerKind, instance: number): string;
  service(service: string, instance: number): string;
  /** Every alias, layers first (for certificates and checks). */
  all: string[];
}

/**
 * Service names for a bridge network, as close as possible to the spec's own addresses: a layer instance takes the host
 * the spec plan reaches it by (settings.hosts, default <layer>-<n>), a service instance its address's host when that is a
 * DNS name; an IP address, localhost or a name already taken falls back to <layer>-<n> / <service>-<n> (made unique).
 */
export function bridgeAliases(model: Model): BridgeAliases {
  const spec = specPlan(model);
  const taken = new Set<string>();
  const byKey = new Map<string, string>();
  const claim = (key: string, preferred: string, fallback: string) => {
    let name = aliasable(preferred) && !taken.has(preferred.toLowerCase()) ? preferred : fallback;
    for (let k = 2; taken.has(name.toLowerCase()); k++) name = `${fallback}-${k}`;
    taken.add(name.toLowerCase());
    byKey.set(key, name);
  };
  for (const layer of LAYER_ORDER) {
    const l = model[layer];
    if (!l) continue;
    const port: PortKind = l.listen.http !== undefined ? 'http' : 'https';
    for (let i = 0; i < l.instances; i++) claim(`${layer}/${i}`, spec.reach(layer, i, port).host, `${layer.toLowerCase()}-${i + 1}`);
  }
  // Service names are at most 63 characters; keep the fallback a valid DNS label.
  for (const s of model.services) for (const inst of s.instances) claim(`service/${s.name}/${inst.index}`, inst.host, `${s.name.slice(0, 56)}-${inst.index + 1}`);
  const get = (key: string) => {
    const name = byKey.get(key);
    if (name === undefined) throw new Error(`no bridge alias planned for ${key}`);
    return name;
  };
  return {
    layer: (layer, i) => get(`${layer}/${i}`),
    service: (name, i) => get(`service/${name}/${i}`),
    all: [...byKey.values()],
  };
}

export interface BridgePlanOptions {
  /** Root directory for per-instance state. */
  stateRoot: string;
  /** Maps spec file paths (certificates, static roots) to local ones. */
  files?: (path: string) => string;
  /** The host port a listener is published on (what clients use, e.g. in redirects); default: its own port. */
  published?: (layer: LayerKind, instance: number, port: PortKind) => number;
}

/**
 * Every unit in its own network namespace on a user-defined Docker bridge network: it binds 0.0.0.0 on the spec's own
 * ports and reaches the next hop by its service name (bridgeAliases) on the spec's ports, like `edgegen build` does.
 * edgegen on the host reaches the units through ports published on loopback, planned separately (localPlan).
 */
export function bridgePlan(model: Model, opts: BridgePlanOptions): AddressPlan {
  const names = bridgeAliases(model);
  return {
    mode: 'local',
    bind: (layer, _i, port) => ({ host: '0.0.0.0', port: layerPort(model, layer, port) }),
    advertise: (layer, i, port) => opts.published?.(layer, i, port) ?? layerPort(model, layer, port),
    reach: (layer, i, port) => ({ host: names.layer(layer, i), port: layerPort(model, layer, port) }),
    service: (name, i) => {
      const inst = servicesByName(model).get(name)?.instances[i];
      if (!inst) throw new Error(`no bridge address planned for service/${name}/${i}`);
      return { host: names.service(name, i), port: inst.port };
    },
    file: opts.files ?? ((p) => p),
    stateDir: (layer, i) => `${opts.stateRoot}/${layer}-${i + 1}`,
  };
}

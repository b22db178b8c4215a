import { bridgeAliases, localPlan, specPlan, type AddressPlan, type Endpoint } from './plan.js';
import { LAYER_ORDER, type LayerKind, type Model, type PortKind } from './types.js';

/** Where an exported stack runs. */
export type DeployTarget = 'compose' | 'swarm' | 'kubernetes';
export const DEPLOY_TARGETS: readonly DeployTarget[] = ['compose', 'swarm', 'kubernetes'];

/**
 * overlay: each unit in its own network namespace on the orchestrator's network, reached by name (Compose service,
 * Swarm service, Kubernetes Service). loopback: every unit on the host network with its own loopback ports (Swarm only).
 */
export type DeployNetwork = 'overlay' | 'loopback';

export interface DeployPlanOptions {
  target: DeployTarget;
  network?: DeployNetwork;
  /** Loopback network: first port to hand out (the same order as `edgegen up`). */
  basePort?: number;
  /** The stack also runs edgegen's echo backend in place of each service instance (a stand-in for trying the stack). */
  echo?: boolean;
}

/** The orchestrator object that runs a layer (a Swarm service or a Kubernetes Deployment + Service): a DNS label. */
export function layerUnitName(layer: LayerKind): string {
  return layer === 'loadBalancer' ? 'load-balancer' : layer;
}

/** The names a deployment gives its units: one per layer instance or one per layer, and one per echo stand-in. */
export interface DeployNames {
  /** One orchestrator unit per instance (Compose; Swarm on loopback) or one per layer with replicas (Swarm overlay, Kubernetes). */
  perInstance: boolean;
  layer(layer: LayerKind, instance: number): string;
  service(service: string, instance: number): string;
}

export function deployNames(model: Model, opts: DeployPlanOptions): DeployNames {
  const aliases = bridgeAliases(model);
  const perInstance = opts.target === 'compose' || (opts.target === 'swarm' && opts.network === 'loopback');
  return {
    perInstance,
    // Compose: the per-instance names the spec plan reaches (settings.hosts, default <layer>-<n>), as on a bridge network.
    layer: (layer, i) => (opts.target === 'compose' ? aliases.layer(layer, i) : perInstance ? `${layerUnitName(layer)}-${i + 1}` : layerUnitName(layer)),
    service: (name, i) => aliases.service(name, i),
  };
}

/** Services keep the spec's addresses unless the stack runs echo stand-ins for them. */
function serviceEndpoint(model: Model, names: DeployNames, opts: DeployPlanOptions, name: string, i: number): Endpoint {
  const inst = model.services.find((s) => s.name === name)?.instances[i];
  if (!inst) throw new Error(`no deploy address planned for service/${name}/${i}`);
  return { host: opts.echo ? names.service(name, i) : inst.host, port: inst.port };
}

/**
 * The address plan of an exported stack. Its engines run the official images' layout (mode 'spec': configs under
 * /etc/nginx and /usr/local/etc/haproxy, logs to stdout/stderr), and files named in the spec (certificates, static
 * roots) keep their paths inside the containers, where the deployment mounts them.
 *
 * overlay: every unit binds 0.0.0.0 on the spec's own ports in its own network namespace and reaches the next layer by
 * the orchestrator's name for it: per instance on Compose, the layer's Swarm service or Kubernetes Service otherwise
 * (all instances of a layer then share that name, and the orchestrator balances across its replicas).
 * loopback (Swarm on the host network): the ports of `edgegen up`'s local plan, one per instance and port kind.
 */
export function deployPlan(model: Model, opts: DeployPlanOptions): AddressPlan {
  const spec = specPlan(model);
  const names = deployNames(model, opts);
  if (opts.network === 'loopback') {
    if (opts.target !== 'swarm') throw new Error('the loopback network is for Swarm on the host network only');
    const local = localPlan(model, { basePort: opts.basePort ?? 20000, stateRoot: '/var/cache/edgegen' });
    return { ...local, mode: 'spec', service: opts.echo ? local.service : spec.service, file: spec.file, stateDir: spec.stateDir };
  }
  const port = (layer: LayerKind, kind: PortKind) => {
    const p = model[layer]?.listen[kind];
    if (p === undefined) throw new Error(`${layer} has no ${kind} port`);
    return p;
  };
  return {
    mode: 'spec',
    bind: (layer, _i, kind) => ({ host: '0.0.0.0', port: port(layer, kind) }),
    advertise: (layer, _i, kind) => port(layer, kind),
    reach: (layer, i, kind) => ({ host: names.layer(layer, i), port: port(layer, kind) }),
    service: (name, i) => serviceEndpoint(model, names, opts, name, i),
    file: spec.file,
    stateDir: spec.stateDir,
  };
}

/** Every layer the spec runs, in chain order (entry first). */
export function deployLayers(model: Model): LayerKind[] {
  return LAYER_ORDER.filter((l) => model.chain.includes(l));
}

import type { OutputFile } from '../../compile.js';
import type { Env } from '../kong/secrets.js';
import { deployNames, deployPlan, type DeployNetwork, type DeployTarget } from '../../model/plan-deploy.js';
import type { Model } from '../../model/types.js';
import { composeFile } from './compose.js';
import { kubernetesFiles } from './kubernetes.js';
import { layerFiles } from './layer-files.js';
import { stackFile } from './swarm.js';
import { deployUnits, type DeployUnit, type Probe, type UnitOptions } from './units.js';

export interface ExportOptions extends UnitOptions {
  target: DeployTarget;
  network?: DeployNetwork;
  probe?: Probe;
}

/** The generated files every unit mounts (configs 0644, secrets 0400), at their place in the export folder. */
function mountedFiles(units: DeployUnit[]): OutputFile[] {
  const seen = new Map<string, OutputFile>();
  for (const u of units)
    for (const f of u.files) if (!f.external && !seen.has(f.file)) seen.set(f.file, { path: f.file, content: f.content, mode: f.secret ? 0o400 : 0o644 });
  return [...seen.values()];
}

/**
 * Where the orchestrator runs a layer as one unit with replicas (Swarm overlay, Kubernetes), the previous layer reaches
 * it at one address, its Service, which balances across the replicas: the configs are emitted for one instance per
 * layer (N identical targets would be N entries for the same address; Kong refuses duplicate upstream targets).
 */
function oneAddressPerLayer(model: Model): Model {
  return {
    ...model,
    ...(model.loadBalancer ? { loadBalancer: { ...model.loadBalancer, instances: 1 } } : {}),
    ...(model.gateway ? { gateway: { ...model.gateway, instances: 1 } } : {}),
    ...(model.proxy ? { proxy: { ...model.proxy, instances: 1 } } : {}),
  };
}

/** Every file of an exported stack, from the resolved model (the emitters run once per distinct unit). */
export function exportFiles(model: Model, env: Env, opts: ExportOptions): { files: OutputFile[]; units: DeployUnit[] } {
  const emitModel = deployNames(model, opts).perInstance ? model : oneAddressPerLayer(model);
  const plan = deployPlan(emitModel, opts);
  const units = deployUnits(model, plan, (layer, i) => layerFiles(emitModel, plan, env, layer, i), opts);
  const probe = opts.probe ?? 'image';
  if (opts.target === 'kubernetes') return { files: kubernetesFiles(model, units), units };
  const main = opts.target === 'compose'
    ? { path: 'compose.yaml', content: composeFile(model, units, probe), mode: 0o644 }
    : { path: 'stack.yaml', content: stackFile(model, units, probe, opts.network ?? 'overlay'), mode: 0o644 };
  return { files: [main, ...mountedFiles(units)], units };
}

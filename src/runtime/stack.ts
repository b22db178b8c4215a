import { mkdirSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { makeTestCertificates } from '../engines/binaries.js';
import { forInstalledEngines } from '../engines/check.js';
import type { Env } from '../emit/kong/secrets.js';
import type { LayerKind, Model } from '../model/types.js';
import { bypassLayer } from './bypass.js';
import { RuntimeError, type Driver } from './driver.js';
import { groupMembers, healthy, portFree, portHolder, sleep } from './health.js';
import { readState, stateDirFor, writeState, type NetworkMode, type StackState, type UnitState } from './state.js';
import { bridgeNetworkName, layoutStack, type Unit } from './units.js';

export interface UpOptions {
  driver: Driver;
  /** Where .edgegen/<stack>/ lives. */
  root: string;
  specFile: string;
  env: Env;
  basePort?: number;
  bypass?: LayerKind[];
  timeoutMs?: number;
  progress?: (line: string) => void;
  /** Emit for the engine versions installed here (default for the process runtime). */
  detectTargets?: boolean;
  /**
   * host (default): every hop on loopback. bridge (Docker runtime only): a user-defined bridge network edgegen-<stack>
   * where each unit listens on the spec's ports and is reached by its service name; listen ports published on loopback.
   */
  network?: NetworkMode;
  /** false: create the network and the units without running them (Docker runtime only), to inspect them; `down` removes them. */
  start?: boolean;
}

const PROBE_FILE = 'edgegen-probe.txt';

/** ", held by pid N (command)" when the process listening on a port can be found. */
function heldBy(ep: { host: string; port: number }): string {
  const h = portHolder(ep);
  return h ? `, held by pid ${h.pid} (${h.command})` : '';
}

async function pickBasePort(model: Model, stateDir: string, env: Env, network: NetworkMode, wanted?: number): Promise<number> {
  const tryBase = async (base: number) => {
    const layout = layoutStack(model, { stateDir, basePort: base, env, network });
    const taken: string[] = [];
    for (const u of layout.units) for (const ep of u.ports) if (!(await portFree(ep))) taken.push(`${ep.host}:${ep.port} (${u.id})${heldBy(ep)}`);
    return taken;
  };
  if (wanted !== undefined) {
    const taken = await tryBase(wanted);
    if (taken.length) throw new RuntimeError(`port already in use: ${taken.join(', ')}; free it or choose another --base-port`);
    return wanted;
  }
  for (let i = 0; i < 20; i++) {
    const base = 20000 + Math.floor(Math.random() * 400) * 100;
    if ((await tryBase(base)).length === 0) return base;
  }
  throw new RuntimeError('no free loopback port range found between 20000 and 60000');
}

/** Files the engines read: certificates from a throw-away CA, and a probe file in each static root edgegen made; then every unit's config. */
export async function prepareFiles(model: Model, layout: ReturnType<typeof layoutStack>): Promise<string | undefined> {
  let caFile: string | undefined;
  if (model.tls) {
    const dir = join(layout.stateDir, 'certs');
    mkdirSync(dir, { recursive: true });
    // On a bridge network the inner hops name each other by service name: the certificate names them too.
    const aliases = layout.units.flatMap((u) => (u.bridge ? [u.bridge.alias] : []));
    caFile = (await makeTestCertificates(dir, ['localhost', ...aliases])).ca;
  }
  for (const st of model.proxy?.settings.static ?? []) {
    const root = layout.plan.file(st.root);
    if (!root.startsWith(layout.stateDir)) continue;
    const dir = join(root, st.prefix);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, PROBE_FILE), `static file served by the ${model.name} proxy\n`);
  }
  for (const u of layout.units) {
    for (const d of u.dirs) mkdirSync(d, { recursive: true });
    for (const f of u.files) {
      mkdirSync(dirname(f.path), { recursive: true });
      writeFileSync(f.path, f.content, { mode: f.mode });
      chmodSync(f.path, f.mode);
    }
  }
  return caFile;
}

export { PROBE_FILE };

/** Boot the stack from the services outward; each layer is waited for by its own health endpoint. */
export async function up(specModel: Model, opts: UpOptions): Promise<StackState> {
  const network = opts.network ?? 'host';
  const run = opts.start ?? true;
  if (network === 'bridge' && !opts.driver.network)
    throw new RuntimeError(`network mode bridge needs the Docker runtime: the ${opts.driver.kind} runtime runs every hop on loopback (use --runtime docker, or --network host)`);
  if (!run && !opts.driver.create)
    throw new RuntimeError(`--no-start needs the Docker runtime: the ${opts.driver.kind} runtime cannot create a unit without running it`);
  // Local processes run the engines installed here: emit for their versions.
  let model = (opts.detectTargets ?? opts.driver.kind === 'process') ? await forInstalledEngines(specModel) : specModel;
  for (const l of opts.bypass ?? []) model = bypassLayer(model, l);
  const stateDir = stateDirFor(opts.root, model.name);
  const previous = readState(stateDir);
  if (previous) {
    for (const u of previous.units) if (await opts.driver.alive(u).catch(() => false)) throw new RuntimeError(`stack ${model.name} is already up (${u.id} is running); run edgegen down first`);
    // A unit whose main process is gone can leave processes behind (the workers of a killed nginx master) that keep its ports.
    for (const u of previous.units) {
      const left = u.pid !== undefined ? groupMembers(u.pid) : [];
      if (!left.length) continue;
      const held = u.ports.flatMap((ep) => {
        const h = portHolder(ep);
        return h && left.includes(h.pid) ? [`port ${ep.host}:${ep.port} (pid ${h.pid}: ${h.command})`] : [];
      });
      throw new RuntimeError(`stack ${model.name}: ${u.id} left processes from its last run that ${held.length ? `still hold ${held.join(', ')}` : `are still running (pid ${left.join(', ')})`}; run edgegen down to stop them`);
    }
    // What a previous Docker run left (exited or never started containers, its network) goes before this one starts.
    if (previous.runtime === 'docker' && opts.driver.kind === 'docker') await down(previous, opts.driver).catch(() => {});
  }
  rmSync(stateDir, { recursive: true, force: true });
  mkdirSync(join(stateDir, 'logs'), { recursive: true });
  const basePort = await pickBasePort(model, stateDir, opts.env, network, opts.basePort);
  // Local processes started by root: nginx workers run as root too, so they can read a private state dir.
  const workerUser = opts.driver.kind === 'process' && process.getuid?.() === 0 ? 'root' : undefined;
  const layout = layoutStack(model, { stateDir, basePort, env: opts.env, workerUser, network });
  await opts.driver.preflight(layout.units);
  const caFile = await prepareFiles(model, layout);
  const say = opts.progress ?? (() => {});
  const first = model.chain[0];
  const entryOf = (kind: 'http' | 'https') => model[first]!.listen[kind] !== undefined ? `${kind}://127.0.0.1:${layout.hostPlan.bind(first, 0, kind).port}` : undefined;
  const state: StackState = {
    name: model.name, spec: opts.specFile, runtime: opts.driver.kind, network, ...(network === 'bridge' ? { networkName: bridgeNetworkName(model.name) } : {}),
    started: run, stateDir, basePort, controlToken: layout.controlToken,
    bypassed: model.bypassed ?? [], entry: { http: entryOf('http'), https: entryOf('https') }, caFile, units: [], startedAt: new Date().toISOString(),
  };
  const groups: Unit[][] = [];
  for (const u of layout.units) {
    const last = groups[groups.length - 1];
    if (last && last[0].layer === u.layer) last.push(u);
    else groups.push([u]);
  }
  try {
    if (state.networkName) {
      // Recorded before it exists, so a failure from here on removes it too.
      writeState(state);
      await opts.driver.network!.create(state.networkName, model.name);
      say(`network ${state.networkName} (bridge)`);
    }
    for (const group of groups) {
      const started: UnitState[] = [];
      for (const unit of group) {
        const logFile = join(stateDir, 'logs', `${unit.id}.log`);
        const handle = run ? await opts.driver.start(unit, logFile) : await opts.driver.create!(unit, logFile);
        const us: UnitState = { id: unit.id, layer: unit.layer, engine: unit.engine, instance: unit.instance, service: unit.service, logFile,
          health: unit.health, ports: unit.ports, argv: unit.argv, env: unit.env, ...(unit.bridge ? { bridge: unit.bridge } : {}), ...handle };
        state.units.push(us);
        started.push(us);
      }
      writeState(state);
      if (run) await waitHealthy(started, opts.driver, opts.timeoutMs ?? 30_000, say);
      else say(`created ${started.map((u) => u.id).join(', ')} (not started)`);
    }
  } catch (e) {
    await down(state, opts.driver).catch(() => {});
    throw e;
  }
  writeState(state);
  return state;
}

async function waitHealthy(units: UnitState[], driver: Driver, timeoutMs: number, say: (l: string) => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const pending = new Set(units);
  const layer = units[0].layer === 'service' ? 'services' : units[0].layer;
  say(`waiting for ${layer} (${units.length} instance${units.length > 1 ? 's' : ''})`);
  while (pending.size) {
    for (const u of [...pending]) {
      if (await healthy(u)) { pending.delete(u); say(`  ${u.id} healthy`); continue; }
      if (!(await driver.alive(u))) {
        throw new RuntimeError(`${u.id} (${u.engine}) exited while starting; its last log lines:\n${await driver.logs(u, 20)}`);
      }
    }
    if (!pending.size) break;
    if (Date.now() > deadline) {
      const u = [...pending][0];
      throw new RuntimeError(`${u.id} (${u.engine}) did not become healthy within ${timeoutMs / 1000}s; its last log lines:\n${await driver.logs(u, 20)}`);
    }
    await sleep(100);
  }
}

/** Stop exactly the units this stack started (outermost first), remove the network it created, then drop the state file. */
export async function down(state: StackState, driver: Driver): Promise<string[]> {
  const stopped: string[] = [];
  for (const u of [...state.units].reverse()) {
    await driver.stop(u);
    stopped.push(u.id);
  }
  if (state.networkName) {
    if (!driver.network) throw new RuntimeError(`stack ${state.name} runs on the Docker network ${state.networkName}: take it down with the Docker runtime`);
    await driver.network.remove(state.networkName, state.name);
  }
  rmSync(join(state.stateDir, 'state.json'), { force: true });
  return stopped;
}

export interface UnitStatus { id: string; layer: string; running: boolean; healthy: boolean; pid?: number; containerId?: string }

export async function status(state: StackState, driver: Driver): Promise<UnitStatus[]> {
  const out: UnitStatus[] = [];
  for (const u of state.units) {
    const running = await driver.alive(u);
    out.push({ id: u.id, layer: u.layer, running, healthy: running && (await healthy(u)), pid: u.pid, containerId: u.containerId });
  }
  return out;
}

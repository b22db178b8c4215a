import type { Command } from 'commander';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadSpec, type TargetOverrides } from '../compile.js';
import { EdgegenError, formatDiagnostic } from '../diagnostics.js';
import type { ImageOverrides } from '../runtime/docker.js';
import type { Driver } from '../runtime/driver.js';
import { collect, parseBypass, parseNetwork } from './options.js';
import { readState, stateDirFor, type NetworkMode, type StackState } from '../runtime/state.js';

// The runtimes (dockerode, child processes) load only when a runtime command runs: builds start faster.
const runtime = () => import('../runtime/stack.js');

interface Io { out: (s: string) => void; err: (s: string) => void }


export function parseImages(values: string[]): ImageOverrides {
  const out: ImageOverrides = {};
  for (const v of values) {
    const m = /^(loadBalancer|gateway|proxy|service|haproxy|kong|nginx|echo)=([a-z0-9][a-z0-9._\/:@-]{0,255})$/.exec(v);
    if (!m) throw new EdgegenError(`--image takes layer=REPO:TAG (layer: loadBalancer|gateway|proxy|service), got "${v}"`);
    const key = ({ haproxy: 'loadBalancer', kong: 'gateway', nginx: 'proxy', echo: 'service' } as Record<string, string>)[m[1]] ?? m[1];
    out[key as keyof ImageOverrides] = m[2];
  }
  return out;
}

/**
 * The runtime for --runtime (default: Docker when an engine answers, else processes). `needsDocker` names an option
 * only Docker can honour (--network bridge, --no-start): it then picks Docker and refuses --runtime process.
 */
export async function driverFor(kind: string | undefined, images: ImageOverrides, needsDocker?: string): Promise<Driver> {
  if (kind !== undefined && kind !== 'process' && kind !== 'docker') throw new EdgegenError(`--runtime is docker or process, got "${kind}"`);
  if (kind === 'process' && needsDocker) throw new EdgegenError(`${needsDocker} needs the Docker runtime (the process runtime runs local processes, every hop on loopback); use --runtime docker, or leave out ${needsDocker}`);
  const { processDriver } = await import('../runtime/process.js');
  if (kind === 'process') return processDriver();
  const { dockerDriver, dockerAvailable } = await import('../runtime/docker.js');
  if (kind === 'docker' || needsDocker) return dockerDriver(images);
  return (await dockerAvailable()) ? dockerDriver(images) : processDriver();
}

/** How `up` describes where the stack runs. */
function where(state: StackState): string {
  return `${state.runtime} runtime${state.network === 'bridge' ? `, bridge network ${state.networkName}` : ''}`;
}

/** The stack a command acts on: named by a spec file, or the only one under .edgegen/. */
export function findStack(root: string, spec?: string): StackState {
  let name: string | undefined;
  if (spec) {
    const r = loadSpec(readSpecText(spec), spec);
    if (!r.model) throw new EdgegenError(`${spec} is not a valid spec: ${r.diagnostics.map(formatDiagnostic).join('; ')}`, 1);
    name = r.model.name;
  } else {
    const dir = join(root, '.edgegen');
    const names = existsSync(dir) ? readdirSync(dir).filter((n) => readState(join(dir, n))) : [];
    if (names.length !== 1) throw new EdgegenError(names.length ? `several stacks are up (${names.join(', ')}); name one by its spec file` : 'no stack is up here (run edgegen up <spec>)');
    name = names[0];
  }
  const state = readState(stateDirFor(root, name));
  if (!state) throw new EdgegenError(`stack ${name} is not up`);
  return state;
}

export function parseTargets(values: string[]): TargetOverrides {
  const out: TargetOverrides = {};
  for (const v of values) {
    const m = /^(nginx|haproxy)=(\d+\.\d+)$/.exec(v);
    if (!m) throw new EdgegenError(`--target takes nginx=X.Y or haproxy=X.Y, got "${v}"`);
    out[m[1] as 'nginx' | 'haproxy'] = m[2];
  }
  return out;
}

let readSpecText: (f: string) => string = () => '';

export function registerRuntime(program: Command, io: Io, setCode: (n: number) => void, readSpec: (f: string) => string): void {
  readSpecText = readSpec;
  program
    .command('up')
    .description('boot the compiled stack on this machine and print its entry URLs')
    .argument('<spec>', 'spec file (YAML)')
    .option('--runtime <kind>', 'docker (default when a Docker engine answers) or process')
    .option('--image <layer=ref>', 'image override per layer, e.g. proxy=nginx:1.27 (repeatable)', collect, [])
    .option('--bypass <layer>', 'wire around a layer that cannot run here, e.g. gateway (repeatable)', collect, [])
    .option('--base-port <n>', 'first loopback port to use (default: a free range)')
    .option('--target <engine=version>', 'engine version the images run, e.g. nginx=1.22 (repeatable; the process runtime detects it)', collect, [])
    .option('--network <mode>', 'host (default: every hop on loopback) or bridge (Docker only: a user-defined network edgegen-<stack>, units reached by service name, ports published on 127.0.0.1)')
    .option('--no-start', 'Docker only: create the network and containers without starting them, to inspect them; edgegen down removes them')
    .action(async (spec: string, o: { runtime?: string; image: string[]; bypass: string[]; basePort?: string; target: string[]; network?: string; start: boolean }) => {
      const network: NetworkMode = parseNetwork(o.network);
      const needsDocker = network === 'bridge' ? '--network bridge' : !o.start ? '--no-start' : undefined;
      const r = loadSpec(readSpec(spec), spec, parseTargets(o.target));
      if (!r.model) {
        for (const d of r.diagnostics) io.err(formatDiagnostic(d));
        setCode(1);
        return;
      }
      const bypass = parseBypass(o.bypass);
      const model = r.model;
      const driver = await driverFor(o.runtime, parseImages(o.image), needsDocker);
      const basePort = o.basePort !== undefined ? Number(o.basePort) : undefined;
      if (basePort !== undefined && !(Number.isInteger(basePort) && basePort >= 1024 && basePort < 65000)) throw new EdgegenError('--base-port takes a number from 1024 to 64999');
      const state = await (await runtime()).up(model, { driver, root: process.cwd(), specFile: spec, env: process.env, basePort, bypass, network, start: o.start,
        progress: (l) => io.out(l) });
      const bypassed = state.bypassed.length ? `; bypassed: ${state.bypassed.join(', ')}` : '';
      if (!o.start) {
        io.out(`stack ${state.name} is created, not started (${where(state)})${bypassed}; inspect it with docker inspect, remove it with edgegen down`);
        for (const u of state.units) io.out(`  ${u.id.padEnd(28)} container ${u.containerId!.slice(0, 12)}`);
        return;
      }
      io.out(`stack ${state.name} is up (${where(state)})${bypassed}`);
      if (state.entry.http) io.out(`  ${state.entry.http}`);
      if (state.entry.https) io.out(`  ${state.entry.https}${state.caFile ? `  (CA: ${state.caFile})` : ''}`);
    });

  program
    .command('status')
    .description("show each layer's instances and their health")
    .argument('[spec]', 'spec file of the stack (default: the only stack that is up)')
    .action(async (spec?: string) => {
      const state = findStack(process.cwd(), spec);
      const driver = await driverFor(state.runtime, {});
      const rows = await (await runtime()).status(state, driver);
      io.out(`stack ${state.name} (${state.runtime}${state.network === 'bridge' ? `, bridge network ${state.networkName}` : ''})${state.started === false ? ' created, not started' : ''}${state.bypassed.length ? `; bypassed: ${state.bypassed.join(', ')}` : ''}`);
      for (const r of rows) io.out(`  ${r.id.padEnd(28)} ${r.running ? (r.healthy ? 'healthy' : 'unhealthy') : 'stopped'}${r.pid ? `  pid ${r.pid}` : ''}${r.containerId ? `  container ${r.containerId.slice(0, 12)}` : ''}`);
      if (rows.some((r) => !r.healthy)) setCode(1);
    });

  program
    .command('logs')
    .description("show the engines' logs")
    .argument('[layer]', 'loadBalancer, gateway, proxy or service (default: all)')
    .option('--spec <file>', 'spec file of the stack')
    .option('-n, --lines <n>', 'lines per instance', '50')
    .action(async (layer: string | undefined, o: { spec?: string; lines: string }) => {
      const state = findStack(process.cwd(), o.spec);
      const driver = await driverFor(state.runtime, {});
      for (const u of state.units) {
        if (layer && u.layer !== layer) continue;
        io.out(`==> ${u.id} <==`);
        io.out(await driver.logs(u, Number(o.lines) || 50));
      }
    });

  program
    .command('down')
    .description('stop and remove exactly what up started')
    .argument('[spec]', 'spec file of the stack (default: the only stack that is up)')
    .action(async (spec?: string) => {
      const state = findStack(process.cwd(), spec);
      const driver = await driverFor(state.runtime, {});
      const stopped = await (await runtime()).down(state, driver);
      io.out(`stack ${state.name} is down (${stopped.length} ${state.runtime === 'docker' ? 'containers' : 'processes'} ${state.started === false ? 'removed' : 'stopped'}${state.networkName ? `, network ${state.networkName} removed` : ''})`);
    });
}

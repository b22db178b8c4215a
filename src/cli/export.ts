import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { compileSpec } from '../compile.js';
import { EdgegenError, formatDiagnostic } from '../diagnostics.js';
import { exportFiles } from '../emit/deploy/index.js';
import type { Probe } from '../emit/deploy/units.js';
import { EmitError } from '../emit/text.js';
import { DEPLOY_TARGETS, type DeployNetwork, type DeployPlanOptions, type DeployTarget } from '../model/plan-deploy.js';
import { projectRoot } from '../paths.js';
import { diffOutputs, writeOutputs } from '../write.js';
import { collect } from './options.js';
import { parseImages, parseTargets } from './runtime.js';

interface Io { out: (s: string) => void; err: (s: string) => void }

interface ExportCliOptions {
  to?: string; out: string; check?: boolean; lint: boolean; image: string[]; target: string[];
  network?: string; basePort?: string; echoBackends?: boolean; probe: string; tlsDir?: string;
}

function planOptions(o: ExportCliOptions): DeployPlanOptions {
  if (!o.to || !DEPLOY_TARGETS.includes(o.to as DeployTarget)) throw new EdgegenError(`--to is ${DEPLOY_TARGETS.join(', ')}${o.to ? `, got "${o.to}"` : ''}`);
  const target = o.to as DeployTarget;
  const network = (o.network ?? 'overlay') as DeployNetwork;
  if (network !== 'overlay' && network !== 'loopback') throw new EdgegenError(`--network is overlay or loopback, got "${o.network}"`);
  if (network === 'loopback' && target !== 'swarm') throw new EdgegenError('--network loopback is for --to swarm only (every unit on the host network)');
  let basePort: number | undefined;
  if (o.basePort !== undefined) {
    if (network !== 'loopback') throw new EdgegenError('--base-port goes with --network loopback');
    basePort = Number(o.basePort);
    if (!(Number.isInteger(basePort) && basePort >= 1024 && basePort < 65000)) throw new EdgegenError('--base-port takes a number from 1024 to 64999');
  }
  if (o.echoBackends && target === 'kubernetes') throw new EdgegenError('--echo-backends is for compose and swarm (the echo stand-ins bind-mount this checkout)');
  return { target, network, basePort, echo: Boolean(o.echoBackends) };
}

/** `edgegen export <spec> --to compose|swarm|kubernetes -o <dir>`: build's validation, lint and atomic write, for an orchestrator. */
export function registerExport(program: Command, io: Io, setCode: (n: number) => void, readSpec: (f: string) => string): void {
  program
    .command('export')
    .description('write a deployment for Docker Compose, Docker Swarm or Kubernetes (same validation, lint and atomic write as build)')
    .argument('<spec>', 'spec file (YAML)')
    .option('--to <target>', `orchestrator: ${DEPLOY_TARGETS.join(', ')}`)
    .option('-o, --out <dir>', 'output directory', 'deploy')
    .option('--check', 'write nothing; exit 1 when the output directory differs from what the spec produces')
    .option('--image <layer=ref>', 'image per layer (loadBalancer, gateway, proxy, service; repeatable); default: the official images pinned to the spec targets', collect, [])
    .option('--target <engine=version>', 'target engine version, e.g. nginx=1.22 (repeatable)', collect, [])
    .option('--network <mode>', 'overlay (default: units reach each other by name) or loopback (swarm only: every unit on the host network, loopback ports)')
    .option('--base-port <port>', 'first loopback port (--network loopback)')
    .option('--echo-backends', "run edgegen's echo backend in place of every service instance (compose, swarm; bind-mounts this checkout's dist/)")
    .option('--probe <tool>', 'health checks with the official images\' tools (image, default) or node (images that carry node)', 'image')
    .option('--tls-dir <dir>', 'folder on the deploying host holding the certificate, key and CA named by the spec (by file name); default: the spec\'s paths')
    .option('--no-lint', 'write even when error-level lint rules fire')
    .action((file: string, o: ExportCliOptions) => {
      const opts = planOptions(o);
      if (o.probe !== 'image' && o.probe !== 'node') throw new EdgegenError(`--probe is image or node, got "${o.probe}"`);
      const images = parseImages(o.image);
      // build's own validation, lint and self-checks (on the spec's addresses); the deployment is emitted below.
      const result = compileSpec(readSpec(file), file, { targets: parseTargets(o.target), lint: o.lint });
      if (!result.ok) {
        for (const d of result.diagnostics) io.err(formatDiagnostic(d));
        io.err(`${result.diagnostics.filter((d) => d.severity === 'error').length} error(s); nothing was written`);
        setCode(1);
        return;
      }
      for (const d of result.diagnostics) io.err(formatDiagnostic(d));
      const model = result.model!;
      let files;
      try {
        const tlsDir = o.tlsDir ? resolve(o.tlsDir) : undefined;
        ({ files } = exportFiles(model, process.env, {
          ...opts, images, probe: o.probe as Probe, projectRoot: projectRoot(),
          tlsSource: tlsDir ? (p) => join(tlsDir, basename(p)) : undefined,
          tlsContent: (source) => { try { return readFileSync(source, 'utf8'); } catch { return undefined; } },
        }));
      } catch (e) {
        if (e instanceof EmitError) {
          io.err(`${file}:1:1: error: ${e.message}`);
          setCode(1);
          return;
        }
        throw e;
      }
      if (o.check) {
        const diff = diffOutputs(o.out, files);
        if (diff.length) {
          io.err(`${o.out} is out of date: ${diff.join(', ')} differ from ${file}; run edgegen export ${file} --to ${opts.target} -o ${o.out}`);
          setCode(1);
        } else io.out(`${o.out} is up to date with ${file}`);
        return;
      }
      writeOutputs(o.out, files);
      for (const f of files) io.out(`wrote ${join(o.out, f.path)}${f.mode === 0o400 ? ' (mode 0400: holds secrets)' : ''}`);
    });
}

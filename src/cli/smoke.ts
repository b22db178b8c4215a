import type { Command } from 'commander';
import { loadSpec } from '../compile.js';
import { EdgegenError, formatDiagnostic } from '../diagnostics.js';
import type { Model } from '../model/types.js';
import { collect, parseBypass, parseNetwork } from './options.js';
import { bypassLayer } from '../runtime/bypass.js';
import type { StackState } from '../runtime/state.js';
import { CHECK_GROUPS, type CheckGroup } from '../smoke/groups.js';
import type { CheckResult } from '../smoke/context.js';
import { formatJson, formatJunit, formatText, makeReport } from '../smoke/report.js';
import { driverFor, findStack, parseImages, parseTargets } from './runtime.js';

interface Io { out: (s: string) => void; err: (s: string) => void }

function modelFor(state: StackState, readSpec: (f: string) => string): Model {
  const r = loadSpec(readSpec(state.spec), state.spec);
  if (!r.model) throw new EdgegenError(`${state.spec} no longer validates: ${r.diagnostics.map(formatDiagnostic).join('; ')}`, 1);
  let model = r.model;
  for (const l of state.bypassed) model = bypassLayer(model, l);
  return model;
}

function parseOnly(values: string[]): CheckGroup[] | undefined {
  if (!values.length) return undefined;
  for (const v of values) if (!CHECK_GROUPS.includes(v as CheckGroup)) throw new EdgegenError(`--only takes one of ${CHECK_GROUPS.join(', ')}, got "${v}"`);
  return values as CheckGroup[];
}

function print(io: Io, format: string, state: StackState, results: CheckResult[]): number {
  const report = makeReport(state.name, state.runtime, state.bypassed, results);
  if (format === 'json') io.out(formatJson(report));
  else if (format === 'junit') io.out(formatJunit(report));
  else if (format === 'text') io.out(formatText(report));
  else throw new EdgegenError(`--format is text, json or junit, got "${format}"`);
  return report.summary.failed > 0 ? 1 : 0;
}

/** A URL given to --entry/--entry-https: http(s), no path beyond /. */
function entryUrl(flag: string, value: string, scheme?: 'http:' | 'https:'): string {
  let u: URL;
  try { u = new URL(value); } catch { throw new EdgegenError(`${flag} takes a URL such as https://staging.example.com, got "${value}"`); }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new EdgegenError(`${flag} takes an http:// or https:// URL, got "${value}"`);
  if (scheme && u.protocol !== scheme) throw new EdgegenError(`${flag} takes an ${scheme}// URL, got "${value}"`);
  if (u.pathname !== '/' || u.search || u.hash) throw new EdgegenError(`${flag} takes the entry's origin only (no path or query), got "${value}"`);
  return `${u.protocol}//${u.host}`;
}

/** `smoke <spec> --entry URL`: the deployed stack through its entry; credentials from the same env variables as build. */
async function entrySmoke(io: Io, spec: string | undefined, o: { format: string; only: string[]; entry?: string; entryHttps?: string; ca?: string }, readSpec: (f: string) => string): Promise<number> {
  if (!spec) throw new EdgegenError('--entry needs the spec file of the deployed stack');
  if (!o.entry) throw new EdgegenError('--entry-https and --ca go with --entry');
  const entry = entryUrl('--entry', o.entry);
  const https = o.entryHttps ? entryUrl('--entry-https', o.entryHttps, 'https:') : entry.startsWith('https:') ? entry : undefined;
  if (o.entryHttps && entry.startsWith('https:')) throw new EdgegenError('--entry-https goes with an http:// --entry');
  const r = loadSpec(readSpec(spec), spec);
  if (!r.model) throw new EdgegenError(`${spec} is not a valid spec: ${r.diagnostics.map(formatDiagnostic).join('; ')}`, 1);
  const { runEntrySmoke } = await import('../smoke/index.js');
  const { state, results } = await runEntrySmoke(r.model, spec, { http: entry.startsWith('http:') ? entry : undefined, https, ca: o.ca }, process.env, parseOnly(o.only));
  return print(io, o.format, state, results);
}

export function registerSmoke(program: Command, io: Io, setCode: (n: number) => void, readSpec: (f: string) => string): void {
  program
    .command('smoke')
    .description('prove on the running stack what the spec promises')
    .argument('[spec]', 'spec file of the stack (default: the only stack that is up)')
    .option('--format <format>', 'text, json or junit', 'text')
    .option('--only <group>', `run only these checks (${CHECK_GROUPS.join(', ')}; repeatable)`, collect, [])
    .option('--entry <url>', 'a deployed stack\'s entry (http:// or https://): run only what the entry can observe')
    .option('--entry-https <url>', 'the entry\'s HTTPS URL when --entry is its plain HTTP one')
    .option('--ca <file>', 'CA certificate the entry\'s certificate chains to (with --entry; default: the system\'s)')
    .action(async (spec: string | undefined, o: { format: string; only: string[]; entry?: string; entryHttps?: string; ca?: string }) => {
      if (o.entry || o.entryHttps || o.ca) {
        setCode(await entrySmoke(io, spec, o, readSpec));
        return;
      }
      const state = findStack(process.cwd(), spec);
      const driver = await driverFor(state.runtime, {});
      const { runSmoke } = await import('../smoke/index.js');
      const results = await runSmoke(modelFor(state, readSpec), state, driver, process.env, parseOnly(o.only));
      setCode(print(io, o.format, state, results));
    });

  program
    .command('verify')
    .description('build + up + smoke + down in one command (cleans up even on failure or Ctrl-C)')
    .argument('<spec>', 'spec file (YAML)')
    .option('--runtime <kind>', 'docker or process')
    .option('--image <layer=ref>', 'image override per layer (repeatable)', collect, [])
    .option('--bypass <layer>', 'wire around a layer that cannot run here (repeatable)', collect, [])
    .option('--format <format>', 'text, json or junit', 'text')
    .option('--only <group>', 'run only these checks (repeatable)', collect, [])
    .option('--target <engine=version>', 'engine version the images run, e.g. nginx=1.22 (repeatable)', collect, [])
    .option('--network <mode>', 'host (default: every hop on loopback) or bridge (Docker only; see edgegen up)')
    .action(async (spec: string, o: { runtime?: string; image: string[]; bypass: string[]; format: string; only: string[]; target: string[]; network?: string }) => {
      const network = parseNetwork(o.network);
      const r = loadSpec(readSpec(spec), spec, parseTargets(o.target));
      if (!r.model) {
        for (const d of r.diagnostics) io.err(formatDiagnostic(d));
        setCode(1);
        return;
      }
      const only = parseOnly(o.only);
      const driver = await driverFor(o.runtime, parseImages(o.image), network === 'bridge' ? '--network bridge' : undefined);
      const bypass = parseBypass(o.bypass);
      const progress = o.format === 'text' ? (l: string) => io.err(l) : () => {};
      const { up, down } = await import('../runtime/stack.js');
      const { runSmoke } = await import('../smoke/index.js');
      let state: StackState | undefined;
      const cleanup = async () => { if (state) { const s = state; state = undefined; await down(s, driver).catch(() => {}); } };
      const onSignal = () => { void cleanup().then(() => process.exit(130)); };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        state = await up(r.model, { driver, root: process.cwd(), specFile: spec, env: process.env, bypass, network, progress });
        const results = await runSmoke(modelFor(state, readSpec), state, driver, process.env, only);
        setCode(print(io, o.format, state, results));
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        await cleanup();
      }
    });
}

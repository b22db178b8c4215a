import { Command, CommanderError } from 'commander';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { compileSpec, loadSpec } from '../compile.js';
import { EdgegenError, formatDiagnostic, type Diagnostic } from '../diagnostics.js';
import { RuntimeError } from '../runtime/driver.js';
import { jsonSchema } from '../spec/json-schema.js';
import { parseTargets, registerRuntime } from './runtime.js';
import { collect } from './options.js';
import { registerSmoke } from './smoke.js';
import { registerLint } from './lint.js';
import { registerExport } from './export.js';
import { RULE_IDS } from '../lint/index.js';
import { MAX_SPEC_BYTES } from '../spec/parse.js';
import { diffOutputs, writeOutputs } from '../write.js';
import { projectRoot as rootDir } from '../paths.js';

const pkg = JSON.parse(readFileSync(join(rootDir(), 'package.json'), 'utf8')) as { version: string };

interface Io { out: (s: string) => void; err: (s: string) => void }

export function readSpec(file: string): string {
  try {
    // Refuse oversized input before reading it.
    if (statSync(file).size > MAX_SPEC_BYTES) throw new EdgegenError(`${file}:1:1: error: spec is larger than ${MAX_SPEC_BYTES / 1024 / 1024} MiB; split it or remove generated bulk`, 1);
    return readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof EdgegenError) throw e;
    throw new EdgegenError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
}

function printDiagnostics(io: Io, ds: Diagnostic[]): void {
  for (const d of ds) io.err(formatDiagnostic(d));
  const errors = ds.filter((d) => d.severity === 'error').length;
  if (errors) io.err(`${errors} error${errors === 1 ? '' : 's'}`);
}


/** Run the CLI; returns the exit code (0 ok, 1 invalid spec or failed check, 2 usage or I/O error). */
export async function main(argv: string[], io: Io = { out: (s) => process.stdout.write(s + '\n'), err: (s) => process.stderr.write(s + '\n') }): Promise<number> {
  let code = 0;
  const debug = argv.includes('--debug');
  const program = new Command();
  program
    .name('edgegen')
    .description('Compile one topology spec into haproxy.cfg, Kong kong.yaml and nginx.conf')
    .version(pkg.version)
    .option('--debug', 'show internal details of errors')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });

  program
    .command('build')
    .description('validate the spec and write one config per layer')
    .argument('<spec>', 'spec file (YAML)')
    .option('-o, --out <dir>', 'output directory', 'out')
    .option('--check', 'write nothing; exit 1 when the output directory differs from what the spec produces')
    .option('--engine-check', "also run the installed engines' own checks (nginx -t, haproxy -c)")
    .option('--target <engine=version>', 'target engine version, e.g. nginx=1.22 (repeatable)', collect, [])
    .option('--no-lint', 'write even when error-level lint rules fire')
    .action(async (file: string, o: { out: string; check?: boolean; engineCheck?: boolean; target: string[]; lint: boolean }) => {
      const result = compileSpec(readSpec(file), file, { targets: parseTargets(o.target), lint: o.lint });
      if (!result.ok) {
        printDiagnostics(io, result.diagnostics);
        if (result.diagnostics.some((d) => d.severity === 'error' && RULE_IDS.includes(d.code)))
          io.err('lint errors stop the build: fix them, suppress them in the spec, or pass --no-lint');
        code = 1;
        return;
      }
      for (const d of result.diagnostics) io.err(formatDiagnostic(d));
      if (o.check) {
        const diff = diffOutputs(o.out, result.files);
        if (diff.length) {
          io.err(`${o.out} is out of date: ${diff.join(', ')} differ from ${file}; run edgegen build ${file} -o ${o.out}`);
          code = 1;
        } else io.out(`${o.out} is up to date with ${file}`);
        return;
      }
      if (o.engineCheck) {
        const { engineCheck } = await import('../engines/check.js');
        const checks = await engineCheck(result.model!);
        for (const c of checks) io.out(`${c.engine}${c.engine === 'nginx' && c.layer === 'gateway' ? ' (gateway)' : ''}: ${c.status}${c.status === 'passed' ? '' : ` - ${c.detail}`}`);
        if (checks.some((c) => c.status === 'failed')) {
          io.err('engine check failed; nothing was written');
          code = 1;
          return;
        }
      }
      writeOutputs(o.out, result.files);
      for (const f of result.files) io.out(`wrote ${join(o.out, f.path)}${f.mode === 0o600 ? ' (mode 0600: holds secrets)' : ''}`);
    });

  program
    .command('validate')
    .description('check the spec (schema and references) without writing anything')
    .argument('<spec>', 'spec file (YAML)')
    .action((file: string) => {
      const r = loadSpec(readSpec(file), file);
      if (r.diagnostics.length) {
        printDiagnostics(io, r.diagnostics);
        code = 1;
      } else io.out(`${file}: valid (${r.model!.chain.join(' -> ')} -> services; ${r.model!.routes.length} routes, ${r.model!.services.length} services)`);
    });

  program
    .command('schema')
    .description('print the JSON Schema of the spec (for editor completion)')
    .action(() => io.out(JSON.stringify(jsonSchema(), null, 2)));

  registerRuntime(program, io, (n) => { code = n; }, readSpec);
  registerSmoke(program, io, (n) => { code = n; }, readSpec);
  registerLint(program, io, (n) => { code = n; }, readSpec);
  registerExport(program, io, (n) => { code = n; }, readSpec);

  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof EdgegenError) {
      io.err(`edgegen: ${e.message}`);
      return e.exitCode;
    }
    if (e instanceof RuntimeError) {
      io.err(`edgegen: ${e.message}`);
      return 1;
    }
    io.err(`edgegen: internal error: ${(e as Error).message}${debug ? `\n${(e as Error).stack}` : ' (run with --debug for details)'}`);
    return 2;
  }
  return code;
}

import { InvalidArgumentError, Option, type Command } from 'commander';
import { loadSpec } from '../compile.js';
import { formatLint, LINT_FORMATS, summarize, type LintFormat } from '../lint/format.js';
import { lintModel } from '../lint/index.js';

interface Io { out: (s: string) => void; err: (s: string) => void }

function maxWarnings(value: string): number {
  if (!/^\d{1,9}$/.test(value)) throw new InvalidArgumentError('takes a whole number of warnings, e.g. 0');
  return Number(value);
}

/**
 * `edgegen lint <spec> [--format text|json|sarif] [--max-warnings N]`: the report goes to stdout; exit 1 when the spec is
 * invalid, has error-level findings, or has more warnings than --max-warnings; exit 0 otherwise.
 */
export function registerLint(program: Command, io: Io, setCode: (n: number) => void, readSpec: (f: string) => string): void {
  program
    .command('lint')
    .description('check the spec for cross-layer mistakes (rules: docs/lint-rules.md)')
    .argument('<spec>', 'spec file (YAML)')
    .addOption(new Option('--format <format>', 'report format').choices(LINT_FORMATS).default('text'))
    .option('--max-warnings <n>', 'exit 1 when there are more warnings than this', maxWarnings)
    .action((file: string, o: { format: LintFormat; maxWarnings?: number }) => {
      const version = program.version();
      const loaded = loadSpec(readSpec(file), file);
      if (!loaded.model) {
        io.out(formatLint(o.format, loaded.diagnostics, version));
        setCode(1);
        return;
      }
      const ds = lintModel(loaded.model, loaded.parsed!);
      io.out(formatLint(o.format, ds, version));
      const s = summarize(ds);
      const tooManyWarnings = o.maxWarnings !== undefined && s.warnings > o.maxWarnings;
      if (tooManyWarnings) io.err(`${s.warnings} warning${s.warnings === 1 ? '' : 's'}: more than --max-warnings ${o.maxWarnings}`);
      if (s.errors > 0 || tooManyWarnings) setCode(1);
    });
}

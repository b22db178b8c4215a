import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Diagnostic } from '../diagnostics.js';
import { META_RULES } from './config.js';
import { RULES } from './index.js';

export type LintFormat = 'text' | 'json' | 'sarif';
export const LINT_FORMATS: readonly LintFormat[] = ['text', 'json', 'sarif'];

export interface Summary { errors: number; warnings: number; infos: number }

export function summarize(ds: readonly Diagnostic[]): Summary {
  return {
    errors: ds.filter((d) => d.severity === 'error').length,
    warnings: ds.filter((d) => d.severity === 'warning').length,
    infos: ds.filter((d) => d.severity === 'info').length,
  };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** eslint-like: one `file:line:col severity rule-id message` line per finding (its fix indented below), then a summary line. */
export function formatText(ds: readonly Diagnostic[]): string {
  const s = summarize(ds);
  const lines = ds.map((d) => `${d.file}:${d.line}:${d.col} ${d.severity} ${d.code} ${d.message}${d.hint ? `\n  fix: ${d.hint}` : ''}`);
  const total = s.errors + s.warnings + s.infos;
  lines.push(total === 0 ? 'no problems' : `${plural(total, 'problem')} (${plural(s.errors, 'error')}, ${plural(s.warnings, 'warning')}, ${plural(s.infos, 'info')})`);
  return lines.join('\n');
}

/**
 * JSON report, documented in docs/lint-rules.md:
 * { "version": 1, "summary": { "errors", "warnings", "infos" },
 *   "diagnostics": [{ "file", "line", "col", "severity", "rule", "message", "path"?, "hint"? }] }
 */
export function formatJson(ds: readonly Diagnostic[]): string {
  const diagnostics = ds.map((d) => ({ file: d.file, line: d.line, col: d.col, severity: d.severity, rule: d.code, message: d.message,
    ...(d.path ? { path: d.path } : {}), ...(d.hint ? { hint: d.hint } : {}) }));
  return JSON.stringify({ version: 1, summary: summarize(ds), diagnostics }, null, 2);
}

const SARIF_LEVEL = { error: 'error', warning: 'warning', info: 'note' } as const;
const SARIF_SCHEMA = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';

/** A file name as a SARIF artifact URI: file:// for absolute paths, a relative reference otherwise. */
function artifactUri(file: string): string {
  if (isAbsolute(file)) return pathToFileURL(file).href;
  return file.split(/[\\/]/).map(encodeURIComponent).join('/');
}

const pascal = (id: string) => id.split('-').map((w) => w[0].toUpperCase() + w.slice(1)).join('');

/** SARIF 2.1.0 log with one run: every rule as a reportingDescriptor, every diagnostic as a result. */
export function formatSarif(ds: readonly Diagnostic[], toolVersion?: string): string {
  const descriptors = [
    ...RULES.map((r) => ({ id: r.id, title: r.title, rationale: r.rationale, fix: r.fix, level: SARIF_LEVEL[r.defaultSeverity] })),
    ...META_RULES.map((r) => ({ ...r, level: 'warning' as const })),
  ];
  const rules = descriptors.map((r) => ({
    id: r.id,
    name: pascal(r.id),
    shortDescription: { text: r.title },
    fullDescription: { text: r.rationale },
    help: { text: r.fix },
    defaultConfiguration: { level: r.level },
  }));
  const results = ds.map((d) => {
    const ruleIndex = descriptors.findIndex((r) => r.id === d.code);
    return {
      ruleId: d.code,
      ...(ruleIndex >= 0 ? { ruleIndex } : {}),
      level: SARIF_LEVEL[d.severity],
      message: { text: d.message },
      locations: [{ physicalLocation: { artifactLocation: { uri: artifactUri(d.file) }, region: { startLine: d.line, startColumn: d.col } } }],
    };
  });
  const log = {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [{ tool: { driver: { name: 'edgegen', ...(toolVersion ? { version: toolVersion } : {}), rules } }, columnKind: 'utf16CodeUnits', results }],
  };
  return JSON.stringify(log, null, 2);
}

export function formatLint(format: LintFormat, ds: readonly Diagnostic[], toolVersion?: string): string {
  if (format === 'json') return formatJson(ds);
  if (format === 'sarif') return formatSarif(ds, toolVersion);
  return formatText(ds);
}

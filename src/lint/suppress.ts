import type { Diagnostic } from '../diagnostics.js';
import type { ParsedSpec } from '../spec/parse.js';
import { yamlLib } from '../spec/yaml-lib.js';
import { DIRECTIVE_CODE, META_RULES } from './config.js';

/**
 * Inline suppression comments in the spec:
 *   key: value  # edgegen-lint-disable-line rule-id[, rule-id...] [-- reason]
 *   # edgegen-lint-disable-next-line rule-id[, rule-id...] [-- reason]
 * disable-line applies to the line the comment is on, disable-next-line to the line right below it.
 */
export interface Directive {
  line: number;
  col: number;
  kind: 'disable-line' | 'disable-next-line';
  /** The line whose findings it suppresses. */
  target: number;
  rules: string[];
  reason?: string;
}

const DIRECTIVE_RE = /^#\s*edgegen-lint-(disable-line|disable-next-line)\b(.*)$/;
/** The lexer's zero-width markers (document, flow end, scalar); parseSpecText refuses these control characters in a spec. */
const MARKERS = new Set(['\x02', '\x18', '\x1f']);

export function readDirectives(text: string): Directive[] {
  // Most specs have none: skip lexing the whole text.
  if (!text.includes('edgegen-lint-')) return [];
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') lineStarts.push(i + 1);
  const position = (offset: number) => {
    let line = lineStarts.length - 1;
    while (lineStarts[line] > offset) line--;
    return { line: line + 1, col: offset - lineStarts[line] + 1 };
  };
  const out: Directive[] = [];
  let offset = 0;
  for (const token of new (yamlLib().Lexer)().lex(text)) {
    if (MARKERS.has(token)) continue;
    const m = token.startsWith('#') ? DIRECTIVE_RE.exec(token) : null;
    if (m) {
      const { line, col } = position(offset);
      const [list, ...reason] = m[2].split(' -- ');
      const kind = m[1] as Directive['kind'];
      out.push({ line, col, kind, target: kind === 'disable-line' ? line : line + 1, rules: list.split(/[\s,]+/).filter(Boolean),
        reason: reason.length ? reason.join(' -- ').trim() : undefined });
    }
    offset += token.length;
  }
  return out;
}

/** Drop the findings the directives suppress; report directives that are malformed, name unknown rules or suppress nothing. */
export function applyDirectives(findings: Diagnostic[], parsed: ParsedSpec, ruleIds: readonly string[]): Diagnostic[] {
  const directives = readDirectives(parsed.text);
  const used = new Set<string>();
  const kept = findings.filter((f) => {
    const d = directives.find((x) => x.target === f.line && x.rules.includes(f.code));
    if (d) used.add(`${d.line}:${f.code}`);
    return !d;
  });
  const problem = (d: Directive, message: string): Diagnostic => ({
    file: parsed.file, line: d.line, col: d.col, severity: 'warning', code: DIRECTIVE_CODE, message, hint: META_RULES[1].fix,
  });
  const problems: Diagnostic[] = [];
  for (const d of directives) {
    if (d.rules.length === 0) problems.push(problem(d, `edgegen-lint-${d.kind} names no rule; list the rule ids it disables`));
    for (const id of d.rules) {
      if (!ruleIds.includes(id)) problems.push(problem(d, `edgegen-lint-${d.kind} names unknown rule "${id}"`));
      else if (!used.has(`${d.line}:${id}`)) problems.push(problem(d, `edgegen-lint-${d.kind} ${id}: no ${id} finding on line ${d.target} to suppress`));
    }
  }
  return [...kept, ...problems];
}

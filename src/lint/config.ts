import type { Diagnostic } from '../diagnostics.js';
import type { ParsedSpec } from '../spec/parse.js';
import { closest } from '../spec/suggest.js';
import type { Rule, Severity } from './types.js';

/** A rule's level as the spec writes it in lint.rules. */
export type RuleSetting = 'off' | 'info' | 'warn' | 'error';

/** Diagnostics about lint's own configuration, reported with these codes (not rules: they cannot be turned off). */
export const CONFIG_CODE = 'lint-config';
export const DIRECTIVE_CODE = 'lint-directive';

export const META_RULES = [
  { id: CONFIG_CODE, title: 'lint.rules names a rule that does not exist', rationale: 'A misspelt rule id in lint.rules changes nothing, so the rule it meant keeps its default level.', fix: 'Use one of the rule ids listed in docs/lint-rules.md.' },
  { id: DIRECTIVE_CODE, title: 'A suppression comment is malformed, names an unknown rule, or suppresses nothing', rationale: 'A suppression comment that matches no finding hides nothing today and will hide an unrelated finding tomorrow.', fix: 'Name existing rule ids and keep the comment on (disable-line) or right above (disable-next-line) the reported line; remove it once the finding is fixed.' },
] as const;

/** lint.rules from the spec (already validated by the schema). */
export function specRuleSettings(parsed: ParsedSpec): Record<string, RuleSetting> {
  const data = parsed.data as { lint?: { rules?: Record<string, RuleSetting> } } | null;
  return { ...(data?.lint?.rules ?? {}) };
}

const LEVEL: Record<Exclude<RuleSetting, 'off'>, Severity> = { info: 'info', warn: 'warning', error: 'error' };

/** The severity a rule reports at under a setting; undefined when it is off. */
export function severityFor(rule: Rule, setting: RuleSetting | undefined): Severity | undefined {
  if (setting === undefined) return rule.defaultSeverity;
  return setting === 'off' ? undefined : LEVEL[setting];
}

/** Rule ids in lint.rules that no rule has. */
export function configProblems(parsed: ParsedSpec, ruleIds: readonly string[]): Diagnostic[] {
  return Object.keys(specRuleSettings(parsed))
    .filter((id) => !ruleIds.includes(id))
    .map((id): Diagnostic => {
      const near = closest(id, ruleIds);
      return {
        file: parsed.file, ...parsed.locate(['lint', 'rules', id], true), severity: 'warning', code: CONFIG_CODE, path: `lint.rules.${id}`,
        message: `unknown lint rule "${id}"${near ? `; did you mean "${near}"?` : ''}`, hint: META_RULES[0].fix,
      };
    });
}

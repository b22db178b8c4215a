import type { Model } from '../model/types.js';
import type { ParsedSpec } from '../spec/parse.js';

/** Severity of a finding as reported (the Diagnostic severities). */
export type Severity = 'error' | 'warning' | 'info';

/** A key path into the spec, e.g. ['routes', 2, 'cache', 'methods']. */
export type SpecPath = (string | number)[];

/** What a rule reports: the spec key the problem is about, and what is wrong there. */
export interface Finding {
  path: SpecPath;
  message: string;
}

/** What a rule sees: the resolved model, and the spec it came from. */
export interface LintContext {
  model: Model;
  parsed: ParsedSpec;
  /** True when the spec text itself sets the key at this path (false when the value is a schema default). */
  declares(path: SpecPath): boolean;
}

/** One lint rule: a cross-layer mistake the engines' own checkers cannot see. */
export interface Rule {
  /** Stable kebab-case id, used in lint.rules, suppression comments and every output format. */
  id: string;
  defaultSeverity: Severity;
  /** One line naming the problem (SARIF shortDescription, docs table). */
  title: string;
  /** One paragraph: why this is a problem, in terms of the layers involved. */
  rationale: string;
  /** How to fix it in the spec (the diagnostic hint). */
  fix: string;
  check(ctx: LintContext): Finding[];
}

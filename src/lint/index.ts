import { formatPath, type Diagnostic } from '../diagnostics.js';
import type { Model } from '../model/types.js';
import type { ParsedSpec } from '../spec/parse.js';
import { configProblems, severityFor, specRuleSettings, type RuleSetting } from './config.js';
import { lintContext } from './context.js';
import { adminEndpointPublic } from './rules/admin-endpoint-public.js';
import { authWithoutRateLimit } from './rules/auth-without-rate-limit.js';
import { cacheSharedAcrossConsumers } from './rules/cache-shared-across-consumers.js';
import { cacheUnsafeMethod } from './rules/cache-unsafe-method.js';
import { gatewayBusinessLogic } from './rules/gateway-business-logic.js';
import { healthCheckMissing } from './rules/health-check-missing.js';
import { ipHashAffinity } from './rules/ip-hash-affinity.js';
import { passthroughL7Feature } from './rules/passthrough-l7-feature.js';
import { rateLimitLocalMultiInstance } from './rules/rate-limit-local-multi-instance.js';
import { routeOverlap } from './rules/route-overlap.js';
import { routeShadowed } from './rules/route-shadowed.js';
import { singleInstance } from './rules/single-instance.js';
import { stickySessions } from './rules/sticky-sessions.js';
import { timeoutOrder } from './rules/timeout-order.js';
import { tlsPlaintextBeforeTls } from './rules/tls-plaintext-before-tls.js';
import { tlsPlaintextUntrustedHop } from './rules/tls-plaintext-untrusted-hop.js';
import { tlsTerminatedTwice } from './rules/tls-terminated-twice.js';
import { xffTrustedFromClient } from './rules/xff-trusted-from-client.js';
import { applyDirectives } from './suppress.js';
import type { Rule } from './types.js';

export type { RuleSetting } from './config.js';
export type { Finding, LintContext, Rule, Severity } from './types.js';

/** Every rule, in the order the docs list them. */
export const RULES: readonly Rule[] = [
  tlsTerminatedTwice,
  tlsPlaintextBeforeTls,
  tlsPlaintextUntrustedHop,
  passthroughL7Feature,
  rateLimitLocalMultiInstance,
  cacheSharedAcrossConsumers,
  cacheUnsafeMethod,
  timeoutOrder,
  xffTrustedFromClient,
  healthCheckMissing,
  singleInstance,
  stickySessions,
  ipHashAffinity,
  authWithoutRateLimit,
  adminEndpointPublic,
  routeShadowed,
  routeOverlap,
  gatewayBusinessLogic,
];

export const RULE_IDS: readonly string[] = RULES.map((r) => r.id);

export interface LintOptions {
  /** Levels applied over the spec's own lint.rules. */
  rules?: Record<string, RuleSetting>;
}

const SEVERITY_RANK = { error: 0, warning: 1, info: 2 } as const;

/** Run every enabled rule over the model; findings point at the spec line they are about, suppressions applied. */
export function lintModel(model: Model, parsed: ParsedSpec, options: LintOptions = {}): Diagnostic[] {
  const settings = { ...specRuleSettings(parsed), ...options.rules };
  const ctx = lintContext(model, parsed);
  const findings: Diagnostic[] = [];
  for (const rule of RULES) {
    const severity = severityFor(rule, settings[rule.id]);
    if (!severity) continue;
    for (const f of rule.check(ctx)) {
      findings.push({ file: parsed.file, ...parsed.locate(f.path, true), severity, code: rule.id, message: f.message, path: formatPath(f.path), hint: rule.fix });
    }
  }
  return [...applyDirectives(findings, parsed, RULE_IDS), ...configProblems(parsed, RULE_IDS)]
    .sort((a, b) => a.line - b.line || a.col - b.col || SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || a.code.localeCompare(b.code));
}

/** The error-level findings: what `edgegen build` refuses to write on (unless --no-lint). */
export function lintErrors(model: Model, parsed: ParsedSpec): Diagnostic[] {
  return lintModel(model, parsed).filter((d) => d.severity === 'error');
}

import type { z } from 'zod';
import { formatPath, type Diagnostic } from '../diagnostics.js';
import type { ParsedSpec } from './parse.js';
import { spec as specSchema, type Spec } from './schema.js';
import { closest, keysAt } from './suggest.js';
import { checkReferences } from './references.js';

export type ValidateResult = { ok: true; spec: Spec } | { ok: false; diagnostics: Diagnostic[] };

type Issue = z.core.$ZodIssue;

function describeType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `the string "${v.length > 40 ? v.slice(0, 40) + '…' : v}"`;
  return `${typeof v} ${String(v)}`;
}

/** Secret fields (API keys, JWT and Redis secrets) never echo their value in a message. */
function isSecretPath(path: readonly PropertyKey[]): boolean {
  return path.some((p) => p === 'keys' || p === 'secret' || p === 'password');
}

function issueMessage(issue: Issue, rawInput: unknown, path: readonly PropertyKey[]): { message: string; hint?: string } {
  const input = isSecretPath(path) && rawInput !== undefined && typeof rawInput !== 'object' ? { secret: typeof rawInput } : rawInput;
  if (input !== rawInput) return { message: `a secret is a string or { env: NAME }; got a ${(input as { secret: string }).secret}` };
  switch (issue.code) {
    case 'invalid_type':
      if (input === undefined) return { message: `required key is missing (expected ${issue.expected})`, hint: 'add it' };
      return { message: `expected ${issue.expected === 'array' ? 'a list' : issue.expected === 'object' ? 'a mapping' : issue.expected}, got ${describeType(input)}` };
    case 'invalid_value':
      if (input === undefined) return { message: `required key is missing (expected ${issue.values.map((v) => JSON.stringify(v)).join(' or ')})`, hint: 'add it' };
      return { message: `must be one of: ${issue.values.map((v) => JSON.stringify(v)).join(', ')}; got ${describeType(input)}` };
    case 'too_small':
      return issue.origin === 'array'
        ? { message: issue.message.startsWith('Too small') ? `needs at least ${issue.minimum} item(s)` : issue.message }
        : issue.origin === 'string'
          ? { message: 'must not be empty' }
          : { message: `must be at least ${issue.minimum}; got ${describeType(input)}` };
    case 'too_big':
      return issue.origin === 'string' ? { message: `is longer than ${issue.maximum} characters` } : { message: `must be at most ${issue.maximum}; got ${describeType(input)}` };
    case 'invalid_union': {
      // A union of enums and literals (e.g. "DENY" | "SAMEORIGIN" | false): list every accepted value.
      const branches = (issue as { errors?: Issue[][] }).errors ?? [];
      const values = branches.flatMap((b) => b.flatMap((i) => (i.code === 'invalid_value' ? i.values : [])));
      if (branches.length && branches.every((b) => b.length === 1 && b[0].path.length === 0 && (b[0].code === 'invalid_value' || b[0].code === 'invalid_type')) && values.length)
        return { message: `must be one of: ${values.map((v) => JSON.stringify(v)).join(', ')}; got ${describeType(input)}` };
      return { message: `does not match any allowed form; got ${describeType(input)}`, hint: 'see the schema (edgegen schema) for the accepted forms' };
    }
    default:
      return { message: issue.message };
  }
}

/** A union whose input has the shape of exactly one branch (a mapping failing inside, not `false`): that branch's own issues. */
function openUnion(issue: Issue): Issue[] {
  if (issue.code !== 'invalid_union') return [issue];
  const shaped = ((issue as { errors?: Issue[][] }).errors ?? []).filter((b) => b.length && b.every((i) => i.path.length > 0 || i.code === 'unrecognized_keys'));
  return shaped.length === 1 ? shaped[0].map((i) => ({ ...i, path: [...issue.path, ...i.path] }) as Issue).flatMap(openUnion) : [issue];
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = data;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[p as string];
  }
  return v;
}

/** Validate parsed spec data: schema first (every issue reported), then references and cross-field rules. */
export function validateSpec(parsed: ParsedSpec): ValidateResult {
  const { file, data, locate } = parsed;
  const result = specSchema.safeParse(data);
  if (!result.success) {
    const diagnostics: Diagnostic[] = [];
    for (const issue of result.error.issues.flatMap(openUnion)) {
      const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) {
          const pos = locate([...path, key], true);
          const near = closest(key, keysAt(specSchema, path));
          diagnostics.push({
            file, ...pos, severity: 'error', code: 'unknown-key', path: formatPath([...path, key]),
            message: `unknown key "${key}"${near ? `; did you mean "${near}"?` : ''}`,
            hint: near ? `rename it to "${near}"` : `allowed keys here: ${keysAt(specSchema, path).join(', ')}`,
          });
        }
        continue;
      }
      const input = valueAt(data, path);
      if (issue.code === 'invalid_key') {
        // A bad key in a record (e.g. a header name): point at the key, say the rule.
        const key = String(path[path.length - 1]);
        diagnostics.push({ file, ...locate(path, true), severity: 'error', code: 'schema', path: formatPath(path),
          message: `"${key.length > 40 ? key.slice(0, 40) + '…' : key}" is not allowed as a key here: ${(issue as { issues?: Issue[] }).issues?.[0]?.message ?? 'invalid key'}` });
        continue;
      }
      const { message, hint } = issueMessage(issue, input, path);
      const pos = locate(path, input === undefined);
      diagnostics.push({ file, ...pos, severity: 'error', code: 'schema', path: formatPath(path) || '(root)', message, hint });
    }
    return { ok: false, diagnostics: sortDiagnostics(diagnostics) };
  }
  const diagnostics = checkReferences(result.data, parsed);
  if (diagnostics.length > 0) return { ok: false, diagnostics: sortDiagnostics(diagnostics) };
  return { ok: true, spec: result.data };
}

export function sortDiagnostics(ds: Diagnostic[]): Diagnostic[] {
  return [...ds].sort((a, b) => a.line - b.line || a.col - b.col || a.message.localeCompare(b.message));
}

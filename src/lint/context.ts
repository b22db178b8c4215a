import type { Model } from '../model/types.js';
import type { ParsedSpec } from '../spec/parse.js';
import type { LintContext, SpecPath } from './types.js';

/** Does the spec data hold a value at this key path (as written, before schema defaults)? */
export function declaresIn(data: unknown, path: SpecPath): boolean {
  let node = data;
  for (const seg of path) {
    if (node === null || typeof node !== 'object' || !(String(seg) in node)) return false;
    node = (node as Record<string, unknown>)[String(seg)];
  }
  return true;
}

export function lintContext(model: Model, parsed: ParsedSpec): LintContext {
  return { model, parsed, declares: (path) => declaresIn(parsed.data, path) };
}

// Entity-check builders mirroring Schema.entity_checkers in kong/db/schema/init.lua.
// Each returns issues at the entity ("@entity" in Kong) unless a field is named.
import { REQUIRED, getPath, isNonEmpty } from './engine.js';
import { type CheckIssue, type EntityCheck, type Rec, isVaultReference, quoted } from './types.js';

const entityIssue = (message: string): CheckIssue[] => [{ message }];

export function atLeastOneOf(fields: readonly string[]): EntityCheck {
  return (rec) =>
    fields.some((f) => isNonEmpty(getPath(rec, f)))
      ? []
      : entityIssue(`at least one of these fields must be non-empty: ${quoted(fields)}`);
}

export function onlyOneOf(fields: readonly string[]): EntityCheck {
  return (rec) =>
    fields.filter((f) => isNonEmpty(getPath(rec, f))).length === 1
      ? []
      : entityIssue(`exactly one of these fields must be non-empty: ${quoted(fields)}`);
}

export function mutuallyRequired(fields: readonly string[]): EntityCheck {
  return (rec) => {
    const n = fields.filter((f) => isNonEmpty(getPath(rec, f))).length;
    return n === 0 || n === fields.length ? [] : entityIssue(`all or none of these fields must be set: ${quoted(fields)}`);
  };
}

export function distinct(fields: readonly string[]): EntityCheck {
  return (rec) => {
    const vals = fields.map((f) => getPath(rec, f)).filter(isNonEmpty);
    return new Set(vals).size === vals.length ? [] : entityIssue(`values of these fields must be distinct: ${quoted(fields)}`);
  };
}

export interface ConditionalArgs {
  ifField: string;
  ifMatch: (v: unknown) => boolean;
  thenField: string;
  thenRequired?: boolean;
  /** Returns an error message for the then-field value (null included). */
  thenMatch?: (v: unknown) => string | undefined;
  thenErr?: string;
}

/** Kong `conditional`: field error on then_field plus "failed conditional validation...". */
export function conditional(a: ConditionalArgs): EntityCheck {
  return (rec) => {
    const ifValue = getPath(rec, a.ifField);
    if (ifValue === undefined || ifValue === null || !a.ifMatch(ifValue)) return [];
    const thenValue = getPath(rec, a.thenField) ?? null;
    let msg: string | undefined;
    if (a.thenRequired && thenValue === null) msg = REQUIRED;
    else msg = a.thenMatch?.(thenValue);
    if (!msg) return [];
    return [
      { field: a.thenField, message: msg },
      { message: a.thenErr ?? `failed conditional validation given value of field '${a.ifField}'` },
    ];
  };
}

export interface ConditionalAtLeastOneOfArgs {
  ifField: string;
  ifMatch: (v: unknown) => boolean;
  then: readonly string[];
  thenErr: string;
  elseMatch?: (v: unknown) => boolean;
  elseThen?: readonly string[];
  elseThenErr?: string;
}

/** Kong `conditional_at_least_one_of`; `%s` in the messages becomes the quoted list. */
export function conditionalAtLeastOneOf(a: ConditionalAtLeastOneOfArgs): EntityCheck {
  return (rec) => {
    const v = getPath(rec, a.ifField);
    if (v === undefined || v === null) return [];
    let names: readonly string[] | undefined;
    let err: string | undefined;
    if (a.ifMatch(v)) {
      names = a.then;
      err = a.thenErr;
    } else if (a.elseMatch?.(v)) {
      names = a.elseThen;
      err = a.elseThenErr;
    }
    if (!names || names.some((n) => isNonEmpty(getPath(rec, n)))) return [];
    return entityIssue((err ?? 'at least one of these fields must be non-empty: %s').replace('%s', quoted(names)));
  };
}

/**
 * Kong `custom_entity_check`: skipped when a source field is absent or invalid,
 * or is a vault reference (its value is unknown until resolved).
 */
export function customCheck(sources: readonly string[], fn: (rec: Rec) => string | undefined): EntityCheck {
  return (rec, ctx) => {
    for (const s of sources) {
      const v = getPath(rec, s);
      if (v === undefined || v === null || ctx.hasError(s) || isVaultReference(v)) return [];
    }
    const m = fn(rec);
    return m ? entityIssue(m) : [];
  };
}

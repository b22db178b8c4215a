// Entity-check builders mirroring Schema.entity_checkers in kong/db/schema/init.lua.
// Each returns issues at the entity ("@entity" in Kong) unless a field is named.
import { REQUIRED, isNonEmpty } from './engine.js';
import { type CheckContext, type CheckIssue, type EntityCheck, type Rec, isRec, isVaultReference, quoted } from './types.js';

const entityIssue = (message: string): CheckIssue[] => [{ message }];
/** No issues (shared, never mutated). */
const NONE: CheckIssue[] = [];

/**
 * An entity check that reads the record's top-level fields `reads` (and what is under
 * them) and nothing else: the engine only fills in defaults where a check can see them.
 */
export function defineCheck(reads: readonly string[], run: (rec: Rec, ctx: CheckContext) => CheckIssue[]): EntityCheck {
  return Object.assign(run, { reads });
}

type Path = readonly string[];

const split = (dotted: string): Path => dotted.split('.');
const topLevel = (dotted: readonly string[]): string[] => [...new Set(dotted.map((f) => f.split('.')[0]!))];

/** `getPath` on a pre-split path. */
function at(rec: Rec, path: Path): unknown {
  if (path.length === 1) return rec[path[0]!];
  let cur: unknown = rec;
  for (let i = 0; i < path.length; i++) {
    if (!isRec(cur)) return undefined;
    cur = cur[path[i]!];
  }
  return cur;
}

/** How many of the paths hold a non-empty value (stops counting at `enough`). */
function countNonEmpty(rec: Rec, paths: readonly Path[], enough: number): number {
  let n = 0;
  for (let i = 0; i < paths.length && n < enough; i++) {
    const path = paths[i]!;
    const v = path.length === 1 ? rec[path[0]!] : at(rec, path);
    if (v !== undefined && isNonEmpty(v)) n++;
  }
  return n;
}

export function atLeastOneOf(fields: readonly string[]): EntityCheck {
  const paths = fields.map(split);
  return defineCheck(topLevel(fields), (rec) =>
    countNonEmpty(rec, paths, 1) > 0 ? NONE : entityIssue(`at least one of these fields must be non-empty: ${quoted(fields)}`),
  );
}

export function onlyOneOf(fields: readonly string[]): EntityCheck {
  const paths = fields.map(split);
  return defineCheck(topLevel(fields), (rec) =>
    countNonEmpty(rec, paths, paths.length) === 1
      ? NONE
      : entityIssue(`exactly one of these fields must be non-empty: ${quoted(fields)}`),
  );
}

export function mutuallyRequired(fields: readonly string[]): EntityCheck {
  const paths = fields.map(split);
  return defineCheck(topLevel(fields), (rec) => {
    const n = countNonEmpty(rec, paths, paths.length);
    return n === 0 || n === fields.length ? NONE : entityIssue(`all or none of these fields must be set: ${quoted(fields)}`);
  });
}

export function distinct(fields: readonly string[]): EntityCheck {
  const paths = fields.map(split);
  return defineCheck(topLevel(fields), (rec) => {
    const vals = paths.map((p) => at(rec, p)).filter(isNonEmpty);
    return new Set(vals).size === vals.length ? NONE : entityIssue(`values of these fields must be distinct: ${quoted(fields)}`);
  });
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
  const ifPath = split(a.ifField);
  const thenPath = split(a.thenField);
  return defineCheck(topLevel([a.ifField, a.thenField]), (rec) => {
    const ifValue = at(rec, ifPath);
    if (ifValue === undefined || ifValue === null || !a.ifMatch(ifValue)) return NONE;
    const thenValue = at(rec, thenPath) ?? null;
    let msg: string | undefined;
    if (a.thenRequired && thenValue === null) msg = REQUIRED;
    else msg = a.thenMatch?.(thenValue);
    if (!msg) return NONE;
    return [
      { field: a.thenField, message: msg },
      { message: a.thenErr ?? `failed conditional validation given value of field '${a.ifField}'` },
    ];
  });
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
  const ifPath = split(a.ifField);
  const thenPaths = a.then.map(split);
  const elsePaths = a.elseThen?.map(split);
  return defineCheck(topLevel([a.ifField, ...a.then, ...(a.elseThen ?? [])]), (rec) => {
    const v = at(rec, ifPath);
    if (v === undefined || v === null) return NONE;
    let names: readonly string[] | undefined;
    let paths: readonly Path[] | undefined;
    let err: string | undefined;
    if (a.ifMatch(v)) {
      names = a.then;
      paths = thenPaths;
      err = a.thenErr;
    } else if (a.elseMatch?.(v)) {
      names = a.elseThen;
      paths = elsePaths;
      err = a.elseThenErr;
    }
    if (!names || countNonEmpty(rec, paths!, 1) > 0) return NONE;
    return entityIssue((err ?? 'at least one of these fields must be non-empty: %s').replace('%s', quoted(names)));
  });
}

/**
 * Kong `custom_entity_check`: skipped when a source field is absent or invalid,
 * or is a vault reference (its value is unknown until resolved). `fn` may only read
 * the sources (and what is under them).
 */
export function customCheck(sources: readonly string[], fn: (rec: Rec) => string | undefined): EntityCheck {
  const paths = sources.map(split);
  return defineCheck(topLevel(sources), (rec, ctx) => {
    for (let i = 0; i < sources.length; i++) {
      const v = at(rec, paths[i]!);
      if (v === undefined || v === null || ctx.hasError(sources[i]!) || isVaultReference(v)) return NONE;
    }
    const m = fn(rec);
    return m ? entityIssue(m) : NONE;
  });
}

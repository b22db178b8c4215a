// Field-schema DSL modelled on Kong's kong/db/schema (3.9): a field is a typed
// definition with optional validators; a record groups fields and entity checks.

export interface KongSchemaError {
  path: string;
  message: string;
}

export type Rec = Record<string, unknown>;
export type PathSeg = string | number;

/** A validation problem relative to the value being validated. */
export interface Issue {
  path: PathSeg[];
  message: string;
}

/** Returns an error message, or undefined when the value is fine. */
export type StringCheck = (value: string) => string | undefined;

interface Base {
  required?: boolean;
  default?: unknown;
  /** Field must be null/absent ("value must be null"); `err` replaces the message. */
  eqNull?: boolean;
  /** Kong's `err`: replaces the message of any failing validator. */
  err?: string;
  /** Accepts `{vault://...}` references in place of the value. */
  referenceable?: boolean;
  description?: string;
}

export interface StringField extends Base {
  type: 'string';
  oneOf?: readonly string[];
  notOneOf?: readonly string[];
  /** Defaults to 1, as in Kong (empty strings rejected). */
  lenMin?: number;
  uuid?: boolean;
  startsWith?: string;
  /** Each pattern that matches fails with its message (Kong `match_none`). */
  matchNone?: ReadonlyArray<{ re: RegExp; err: string }>;
  /** Must match ("invalid value: <v>") (Kong `match`). */
  match?: RegExp;
  /** At least one must match, else `err` (Kong `match_any`). */
  matchAny?: { res: readonly RegExp[]; err: string };
  custom?: StringCheck;
  /**
   * A shortcut: strings it matches pass every check above (the common, plainly valid
   * values of a field; test/kong-schema-perf.test.ts checks that claim).
   */
  fastAccept?: RegExp;
}

export interface NumberField extends Base {
  type: 'number' | 'integer';
  between?: readonly [number, number];
  gt?: number;
  oneOf?: readonly number[];
}

export interface BooleanField extends Base {
  type: 'boolean';
  /** Kong `ne`: this value is rejected ("value must not be ..." or `err`). */
  ne?: boolean;
}

export interface ArrayField extends Base {
  type: 'array' | 'set';
  elements: Field;
  lenMin?: number;
  lenEq?: number;
  contains?: string;
  /** Kong `mutually_exclusive_subsets` (route protocols). */
  exclusiveSubsets?: ReadonlyArray<readonly string[]>;
}

export interface MapField extends Base {
  type: 'map';
  keys: Field;
  values: Field;
}

/** A reference inside a nested entity: only null or a `{id: <uuid>}` object is accepted. */
export interface NestedForeignField extends Base {
  type: 'nested-foreign';
  reference: string;
}

export interface AnyField extends Base {
  type: 'any';
}

/** Cross-field problem found by an entity check; `field` is dotted ("config.second"). */
export interface CheckIssue {
  field?: string;
  message: string;
}

export interface CheckContext {
  /** True when validation already reported an error at this dotted field. */
  hasError(field: string): boolean;
}

/** Built with `defineCheck` (checks.ts). */
export interface EntityCheck {
  (rec: Rec, ctx: CheckContext): CheckIssue[];
  /**
   * The top-level fields the check reads (it may read under them): the engine passes the
   * input record itself when none of these needs a default filled in or a record expanded.
   */
  readonly reads: readonly string[];
}

/** Kong shorthand field: an input-only key expanded into real fields. */
export interface Shorthand {
  name: string;
  field: Field;
  /** Deprecated aliases never override the real field (and must agree with it). */
  deprecatedPath?: readonly string[];
  expand: (value: unknown) => Rec;
}

export interface SubSchema {
  fields?: Record<string, Field>;
  checks?: EntityCheck[];
}

export interface RecordField extends Base {
  type: 'record';
  fields: Record<string, Field>;
  checks?: EntityCheck[];
  shorthands?: Shorthand[];
  /** Record-level validator run on the record with defaults filled in. */
  custom?: (rec: Rec) => string | undefined;
  /**
   * Validate equal values once per validation run (plugins: a generated config repeats a
   * few plugin entries thousands of times). Needs a schema whose verdict depends on the
   * value only (not on where it sits).
   */
  memoByContent?: boolean;
  /** Subschema selected by a key field (plugins: name, vaults: name, routes: protocols). */
  subschema?: {
    key: string;
    /**
     * Gets the value of the key field (its default filled in). Return the same SubSchema
     * object for the same choice: compiled schemas are cached per SubSchema object.
     */
    select: (keyValue: unknown) => SubSchema | undefined;
    /** Message when no subschema matches; undefined means "no subschema, carry on". */
    unknown?: (value: unknown) => string | undefined;
  };
}

export type Field =
  | StringField
  | NumberField
  | BooleanField
  | ArrayField
  | MapField
  | RecordField
  | NestedForeignField
  | AnyField;

export function isRec(v: unknown): v is Rec {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Kong's `is_reference`: a whole string of the form `{vault://...}`. */
export function isVaultReference(v: unknown): v is string {
  return typeof v === 'string' && v.startsWith('{vault://') && v.endsWith('}');
}

export function formatPath(path: readonly PathSeg[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}

/** Kong's `quoted_list`: 'a', 'b', 'c'. */
export function quoted(names: readonly string[]): string {
  return names.map((n) => `'${n}'`).join(', ');
}

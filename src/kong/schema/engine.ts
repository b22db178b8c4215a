// Validation engine for the field DSL in types.ts. Follows kong/db/schema/init.lua:
// defaults are filled in before entity checks run, validators run in Kong's order
// and the first failing validator of a field wins.
//
//
// Performance (issue #8: edgegen checks its 10,000-route output on every build, in a cold
// process, so most of this code runs before V8 has optimized it):
// - every field definition is compiled once into one class (CField) and every record
//   schema into a Compiled (field lookup, each field's value and verdict when absent,
//   required fields, checks), so property reads stay monomorphic;
// - the path is a stack copied only when an issue is reported; issues go to one list;
// - scalar fields remember the last value they accepted (`lastValid`), and some string
//   fields have a regex for plainly valid values (`fastAccept`);
// - entity checks declare the fields they read (`EntityCheck.reads`): they get the input
//   itself unless one of those fields needs a default or an expanded record (`checkView`);
//   the full defaults-filled record (`eff`) is only built for record-level validators;
// - plugin entries are validated once per distinct content per run (`memoByContent`);
// - hot loops index arrays instead of for-of and destructuring (unoptimized code
//   allocates iterators for those).
import {
  type CheckContext,
  type EntityCheck,
  type Field,
  type Issue,
  type PathSeg,
  type Rec,
  type RecordField,
  type SubSchema,
  formatPath,
  isRec,
} from './types.js';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const REQUIRED = 'required field missing';
export const UNKNOWN = 'unknown field';

export function isUuid(v: unknown): boolean {
  return typeof v === 'string' && UUID_RE.test(v);
}

/** Kong's `is_sequence`: a Lua table with keys 1..n (an empty map counts too). */
function isSequence(v: unknown): v is unknown[] {
  return Array.isArray(v) || (isRec(v) && Object.keys(v).length === 0);
}

/** Kong's `is_nonempty`. */
export function isNonEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isRec(v)) return Object.keys(v).length > 0;
  return true;
}

export function getPath(rec: unknown, dotted: string): unknown {
  if (!dotted.includes('.')) return isRec(rec) ? rec[dotted] : undefined;
  let cur: unknown = rec;
  for (const seg of dotted.split('.')) {
    if (!isRec(cur)) return undefined;
    cur = cur[seg];
  }
  return cur;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

/** Lua's `%d` on the limits of `between`. */
const d = (n: number): string => String(Math.trunc(n));

// --- reporting ------------------------------------------------------------------------
// `st` is the path of the enclosing container (segments are pushed while descending into
// containers and popped on the way back) and `seg` the value's own segment (undefined when
// `st` is already the value's path); `out` collects the issues of the whole run. A path is
// only copied when an issue is reported.

function add(st: PathSeg[], seg: PathSeg | undefined, out: Issue[], message: string): void {
  const path = st.slice();
  if (seg !== undefined) path.push(seg);
  out.push({ path, message });
}

// --- compiled fields -----------------------------------------------------------------------
// Field definitions come in many object shapes (each option set is a different literal), so
// property reads on them are megamorphic. Each Field is compiled once into a CField: one
// class, every option present, nested element/key/value fields compiled too.

const enum Kind {
  Any,
  Boolean,
  Integer,
  Number,
  String,
  Array,
  Set,
  Map,
  Record,
  NestedForeign,
}

const KINDS: Record<Field['type'], Kind> = {
  any: Kind.Any,
  boolean: Kind.Boolean,
  integer: Kind.Integer,
  number: Kind.Number,
  string: Kind.String,
  array: Kind.Array,
  set: Kind.Set,
  map: Kind.Map,
  record: Kind.Record,
  'nested-foreign': Kind.NestedForeign,
};

const NO_MATCHES: ReadonlyArray<{ re: RegExp; err: string }> = [];

class CField {
  readonly kind: Kind;
  readonly required: boolean;
  readonly eqNull: boolean;
  readonly err: string | undefined;
  readonly referenceable: boolean;
  // boolean
  readonly ne: boolean | undefined;
  // string / number
  readonly oneOf: ReadonlyArray<string | number> | undefined;
  readonly notOneOf: readonly string[] | undefined;
  readonly uuid: boolean;
  /** string: at least 1 unless set; array: undefined unless set. */
  readonly lenMin: number | undefined;
  readonly startsWith: string | undefined;
  readonly matchNone: ReadonlyArray<{ re: RegExp; err: string }>;
  readonly match: RegExp | undefined;
  readonly matchAny: { res: readonly RegExp[]; err: string } | undefined;
  readonly custom: ((v: string) => string | undefined) | undefined;
  /** A string field checked by length and `custom` only. */
  readonly lengthAndCustomOnly: boolean;
  readonly fastAccept: RegExp | undefined;
  readonly gt: number | undefined;
  readonly between: readonly [number, number] | undefined;
  // array / set
  readonly elements: CField | undefined;
  readonly lenEq: number | undefined;
  readonly contains: string | undefined;
  readonly exclusiveSubsets: ReadonlyArray<readonly string[]> | undefined;
  // map
  readonly keys: CField | undefined;
  readonly values: CField | undefined;
  // record
  readonly record: RecordField | undefined;
  /** The compiled record, on first use. */
  compiledRecord: Compiled | undefined = undefined;
  /**
   * The last string/number this field accepted: scalar checks are pure functions of the
   * value, and generated configs repeat values (protocols, hosts, timeouts) from entry to entry.
   */
  lastValid: string | number | undefined = undefined;

  constructor(f: Field) {
    this.kind = KINDS[f.type];
    this.required = f.required === true;
    this.eqNull = f.eqNull === true;
    this.err = f.err;
    this.referenceable = f.referenceable === true;
    this.ne = f.type === 'boolean' ? f.ne : undefined;
    const s = f.type === 'string' ? f : undefined;
    const n = f.type === 'integer' || f.type === 'number' ? f : undefined;
    const a = f.type === 'array' || f.type === 'set' ? f : undefined;
    this.oneOf = s?.oneOf ?? n?.oneOf;
    this.notOneOf = s?.notOneOf;
    this.uuid = s?.uuid === true;
    this.lenMin = s ? (s.lenMin ?? 1) : a?.lenMin;
    this.startsWith = s?.startsWith;
    this.matchNone = s?.matchNone ?? NO_MATCHES;
    this.match = s?.match;
    this.matchAny = s?.matchAny;
    this.custom = s?.custom;
    this.fastAccept = s?.fastAccept;
    this.lengthAndCustomOnly =
      this.oneOf === undefined &&
      this.notOneOf === undefined &&
      !this.uuid &&
      this.startsWith === undefined &&
      this.matchNone.length === 0 &&
      this.match === undefined &&
      this.matchAny === undefined;
    this.gt = n?.gt;
    this.between = n?.between;
    this.elements = a ? cfield(a.elements) : undefined;
    this.lenEq = a?.lenEq;
    this.contains = a?.contains;
    this.exclusiveSubsets = a?.exclusiveSubsets;
    this.keys = f.type === 'map' ? cfield(f.keys) : undefined;
    this.values = f.type === 'map' ? cfield(f.values) : undefined;
    this.record = f.type === 'record' ? f : undefined;
  }
}

const cfields = new WeakMap<Field, CField>();

function cfield(f: Field): CField {
  let c = cfields.get(f);
  if (!c) {
    c = new CField(f);
    cfields.set(f, c);
  }
  return c;
}

// --- scalar validators ------------------------------------------------------------------

function checkString(f: CField, v: string): string | undefined {
  if (f.lengthAndCustomOnly) {
    if (v.length < f.lenMin!) return `length must be at least ${f.lenMin}`;
    return f.custom === undefined ? undefined : f.custom(v);
  }
  if (f.notOneOf !== undefined && f.notOneOf.includes(v)) return `must not be one of: ${f.notOneOf.join(', ')}`;
  if (f.oneOf !== undefined && !f.oneOf.includes(v)) return `expected one of: ${f.oneOf.join(', ')}`;
  if (f.uuid && !UUID_RE.test(v)) return 'expected a valid UUID';
  const lenMin = f.lenMin!;
  if (v.length < lenMin) return `length must be at least ${lenMin}`;
  if (f.startsWith !== undefined && !v.startsWith(f.startsWith)) return `should start with: ${f.startsWith}`;
  const none = f.matchNone;
  for (let i = 0; i < none.length; i++) if (none[i]!.re.test(v)) return none[i]!.err;
  if (f.match !== undefined && !f.match.test(v)) return `invalid value: ${v}`;
  if (f.matchAny !== undefined && !matchesAny(f.matchAny.res, v)) return f.matchAny.err;
  return f.custom === undefined ? undefined : f.custom(v);
}

function matchesAny(res: readonly RegExp[], v: string): boolean {
  for (let i = 0; i < res.length; i++) if (res[i]!.test(v)) return true;
  return false;
}

function checkNumber(f: CField, v: number): string | undefined {
  if (f.oneOf !== undefined && !f.oneOf.includes(v)) return `expected one of: ${f.oneOf.join(', ')}`;
  if (f.gt !== undefined && !(v > f.gt)) return `value must be greater than ${f.gt}`;
  if (f.between !== undefined && (v < f.between[0] || v > f.between[1])) {
    return `value should be between ${d(f.between[0])} and ${d(f.between[1])}`;
  }
  return undefined;
}

// --- containers ---------------------------------------------------------------------------

function arrayInto(f: CField, v: unknown, st: PathSeg[], seg: PathSeg | undefined, out: Issue[]): void {
  if (!isSequence(v)) {
    add(st, seg, out, f.kind === Kind.Set ? 'expected a set' : 'expected an array');
    return;
  }
  const items: unknown[] = Array.isArray(v) ? v : [];
  const mark = out.length;
  const el = f.elements!;
  if (seg !== undefined) st.push(seg);
  for (let i = 0; i < items.length; i++) {
    if (!(i in items)) continue; // holes, as Array.prototype.forEach
    const item = items[i];
    if (item === null || item === undefined) add(st, i, out, REQUIRED);
    else fieldInto(el, item, st, i, out);
  }
  if (seg !== undefined) st.pop();
  if (out.length > mark) return;
  let msg: string | undefined;
  if (f.lenEq !== undefined && items.length !== f.lenEq) msg = `length must be ${f.lenEq}`;
  else if (f.lenMin !== undefined && items.length < f.lenMin) msg = `length must be at least ${f.lenMin}`;
  else if (f.contains !== undefined && !items.includes(f.contains)) msg = `expected to contain: ${f.contains}`;
  else if (f.exclusiveSubsets !== undefined) msg = exclusiveSubsets(f.exclusiveSubsets, items);
  if (msg) add(st, seg, out, f.err ?? msg);
}

function exclusiveSubsets(subsets: ReadonlyArray<readonly string[]>, items: unknown[]): string | undefined {
  let first: readonly string[] | undefined;
  let hit: Array<readonly string[]> | undefined;
  for (let i = 0; i < items.length; i++) {
    const it = items[i];
    let s: readonly string[] | undefined;
    for (let j = 0; j < subsets.length; j++) {
      if (subsets[j]!.includes(it as string)) {
        s = subsets[j];
        break;
      }
    }
    if (s === undefined || s === first) continue;
    if (first === undefined) first = s;
    else if (hit === undefined) hit = [first, s];
    else if (!hit.includes(s)) hit.push(s);
  }
  if (hit === undefined) return undefined;
  return `these sets are mutually exclusive: ${hit.map((s) => `(${s.map((x) => `'${x}'`).join(', ')})`).join(', ')}`;
}

function mapInto(f: CField, v: unknown, st: PathSeg[], seg: PathSeg | undefined, out: Issue[]): void {
  if (!isRec(v)) {
    add(st, seg, out, 'expected a map');
    return;
  }
  const mark = out.length;
  const keys = Object.keys(v);
  if (seg !== undefined) st.push(seg);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const val = v[k];
    fieldInto(f.keys!, k, st, k, out);
    if (out.length === mark) {
      if (val === null) add(st, k, out, REQUIRED);
      else fieldInto(f.values!, val, st, k, out);
    }
    if (out.length > mark) break;
  }
  if (seg !== undefined) st.pop();
}

const VAULT_PREFIX = '{vault://';

/** Validates one field value (Kong `Schema:validate_field`). `undefined` means absent. */
function fieldInto(f: CField, v: unknown, st: PathSeg[], seg: PathSeg | undefined, out: Issue[]): void {
  if (v === undefined) return;
  if (v === null) {
    if (f.required && !f.eqNull) add(st, seg, out, REQUIRED);
    return;
  }
  if (f.eqNull) {
    add(st, seg, out, f.err ?? 'value must be null');
    return;
  }
  switch (f.kind) {
    case Kind.Any:
      return;
    case Kind.Boolean:
      if (typeof v !== 'boolean') add(st, seg, out, 'expected a boolean');
      else if (f.ne === v) add(st, seg, out, f.err ?? `value must not be ${String(v)}`);
      return;
    case Kind.Integer:
    case Kind.Number: {
      if (typeof v !== 'number' || Number.isNaN(v)) {
        add(st, seg, out, f.kind === Kind.Integer ? 'expected an integer' : 'expected a number');
        return;
      }
      if (f.kind === Kind.Integer && !Number.isInteger(v)) {
        add(st, seg, out, 'expected an integer');
        return;
      }
      if (v === f.lastValid) return;
      const m = checkNumber(f, v);
      if (m) add(st, seg, out, f.err ?? m);
      else f.lastValid = v;
      return;
    }
    case Kind.String: {
      if (typeof v !== 'string') {
        add(st, seg, out, 'expected a string');
        return;
      }
      if (v === f.lastValid) return;
      const ref = v.startsWith(VAULT_PREFIX) && v.endsWith('}'); // isVaultReference
      if (f.referenceable && ref) return;
      if (!ref && f.fastAccept !== undefined && f.fastAccept.test(v)) return;
      const m = checkString(f, v);
      if (m) add(st, seg, out, f.err ?? m);
      else if (ref) {
        // Kong would not resolve it and would use the text literally.
        add(st, seg, out, `'${v}' is a vault reference, but this field is not referenceable (Kong would use the text literally)`);
      } else f.lastValid = v;
      return;
    }
    case Kind.Array:
    case Kind.Set:
      arrayInto(f, v, st, seg, out);
      return;
    case Kind.Map:
      mapInto(f, v, st, seg, out);
      return;
    case Kind.Record:
      recordInto((f.compiledRecord ??= compiled(f.record!)), v, st, seg, out);
      return;
    case Kind.NestedForeign:
      // Kong re-validates a nested entity with real foreign fields: `{id: <uuid>}` passes.
      if (!(isRec(v) && isUuid(v.id))) add(st, seg, out, f.err ?? 'value must be null');
      return;
  }
}

/** Validates one field value (Kong `Schema:validate_field`). `undefined` means absent. */
export function validateField(f: Field, v: unknown, path: PathSeg[]): Issue[] {
  const out: Issue[] = [];
  inRun(() => fieldInto(cfield(f), v, path.slice(), undefined, out));
  return out;
}

// --- shorthands --------------------------------------------------------------------------

function hasShorthand(def: RecordField, value: Rec): boolean {
  const shs = def.shorthands;
  if (shs === undefined) return false;
  for (let i = 0; i < shs.length; i++) if (value[shs[i]!.name] !== undefined) return true;
  return false;
}

/** Applies shorthand fields (e.g. service `url`, rate-limiting `redis_*`). */
export function applyShorthands(def: RecordField, value: Rec, path: PathSeg[]): { data: Rec; issues: Issue[] } {
  const issues: Issue[] = [];
  const data = shorthandsInto(def, value, path.slice(), issues);
  return { data, issues };
}

/** `st` is the record's path. */
function shorthandsInto(def: RecordField, value: Rec, st: PathSeg[], out: Issue[]): Rec {
  const data: Rec = { ...value };
  for (const sh of def.shorthands ?? []) {
    const v = data[sh.name];
    if (v === undefined) continue;
    delete data[sh.name];
    if (v === null) continue;
    const mark = out.length;
    fieldInto(cfield(sh.field), v, st, sh.name, out);
    if (out.length > mark) continue;
    if (sh.deprecatedPath) {
      const cur = getPath(data, sh.deprecatedPath.join('.'));
      if (cur !== undefined && cur !== null && !deepEqual(cur, v)) {
        add(
          st,
          sh.name,
          out,
          `both deprecated and new field are used but their values mismatch: ${sh.name} = ${String(v)} vs ${sh.deprecatedPath.join('.')} = ${String(cur)}`,
        );
        continue;
      }
    }
    for (const [k, nv] of Object.entries(sh.expand(v))) {
      const old = data[k];
      if (isRec(nv)) {
        const src = isRec(old) ? old : {};
        data[k] = sh.deprecatedPath ? { ...nv, ...stripNulls(src) } : { ...src, ...nv };
      } else if (!sh.deprecatedPath || old === undefined || old === null) {
        data[k] = nv;
      }
    }
  }
  return data;
}

function stripNulls(r: Rec): Rec {
  return Object.fromEntries(Object.entries(r).filter(([, v]) => v !== null && v !== undefined));
}

// --- compiled record schemas ------------------------------------------------------------

/** A field whose value is defined even when the input omits it (default or expanded record). */
class Absent {
  constructor(
    readonly key: string,
    /** `clone(default)`, or `effective(record, {})` for a record without default. Shared: never mutated. */
    readonly value: unknown,
    /** What validating `value` reports, relative to the field (computed once). */
    readonly issues: Issue[],
  ) {}
}

class Compiled {
  readonly lookup: Map<string, CField>;
  /** In field order; only fields whose absent value is defined. */
  readonly absent: Absent[] = [];
  /** The part of `absent` whose value does not validate (normally none). */
  readonly absentIssues: Absent[] = [];
  readonly absentByKey = new Map<string, unknown>();
  /** Records present in the input get expanded in `eff` (field order). */
  readonly records: Array<{ key: string; field: RecordField }> = [];
  /** Required fields that no default fills (field order). */
  readonly required: string[] = [];
  /** `eff` is only needed for entity checks and the record-level validator. */
  readonly needsEff: boolean;
  /** The record-level validator may read any field: it always gets `eff`. */
  readonly effAlways: boolean;
  /** The fields the checks read, and what `eff` holds there when the input differs. */
  readonly effReads: EffRead[] = [];
  /** The part of `effReads` where `eff` can differ from the input (a default or a record). */
  readonly effReadsThatDiffer: EffRead[] = [];
  readonly memoByContent: boolean;
  /** With a subschema merged in, per SubSchema object; the last one looked up. */
  readonly subs = new Map<SubSchema, Compiled>();
  lastSub: SubSchema | undefined = undefined;
  lastWithSub: Compiled | undefined = undefined;
  /** Where the next `memoByContent` entry goes once the memo is full. */
  memoNext = 0;

  constructor(
    readonly def: RecordField,
    /** The effective field set (record fields, then subschema fields). */
    readonly fields: Record<string, Field>,
    readonly checks: EntityCheck[],
  ) {
    this.lookup = new Map(Object.entries(fields).map(([k, f]) => [k, cfield(f)]));
    this.needsEff = checks.length > 0 || def.custom !== undefined;
    this.effAlways = def.custom !== undefined;
    this.memoByContent = def.memoByContent === true;
    for (const [key, f] of Object.entries(fields)) {
      let value: unknown;
      if (f.default !== undefined) value = clone(f.default);
      else if (f.type === 'record' && f.required !== false) value = effective(f, {});
      if (f.type === 'record') this.records.push({ key, field: f });
      if (value === undefined) {
        if (f.required && !f.eqNull) this.required.push(key);
        continue;
      }
      const issues: Issue[] = [];
      fieldInto(cfield(f), value, [], undefined, issues);
      const a = new Absent(key, value, issues);
      this.absent.push(a);
      if (issues.length > 0) this.absentIssues.push(a);
      this.absentByKey.set(key, value);
    }
    for (const key of new Set(checks.flatMap((check) => check.reads))) {
      const f = Object.hasOwn(fields, key) ? fields[key] : undefined;
      const read = new EffRead(key, this.absentByKey.get(key), f?.type === 'record' ? f : undefined);
      this.effReads.push(read);
      if (read.absent !== undefined || read.record !== undefined) this.effReadsThatDiffer.push(read);
    }
  }
}

class EffRead {
  constructor(
    readonly key: string,
    /** Filled in when the input lacks the field. */
    readonly absent: unknown,
    /** Expanded (`effective`) when the input holds a record. */
    readonly record: RecordField | undefined,
  ) {}
}

/**
 * What the entity checks see: `eff` on the fields they read (`EntityCheck.reads`). That is
 * the input itself when no read field gets a default or is a record to expand, else an
 * object holding just the read fields.
 */
function checkView(c: Compiled, data: Rec): Rec {
  const differ = c.effReadsThatDiffer;
  let i = 0;
  for (; i < differ.length; i++) {
    const r = differ[i]!;
    const v = data[r.key];
    if (v === undefined ? r.absent !== undefined : r.record !== undefined && isRec(v)) break;
  }
  if (i === differ.length) return data;
  const reads = c.effReads;
  const view: Rec = {};
  for (i = 0; i < reads.length; i++) {
    const r = reads[i]!;
    const v = data[r.key];
    if (v === undefined) {
      if (r.absent !== undefined) view[r.key] = r.absent;
    } else view[r.key] = r.record !== undefined && isRec(v) ? effective(r.record, v) : v;
  }
  return view;
}

/**
 * `effective` results of the current validation run, by input record: a plugin's checks
 * read the effective `config` the config's own validation built. Only set while a
 * validation runs (inputs could change between runs).
 */
let effMemo: WeakMap<Rec, { def: RecordField; eff: Rec }> | undefined;

/** A record validated by content: the first value seen, its shape and its issues (paths relative to it). */
interface MemoEntry {
  value: Rec;
  shape: Shape;
  issues: Issue[];
}

/** `memoByContent` records validated in the current run, per compiled record. */
let contentMemo: Map<Compiled, MemoEntry[]> | undefined;

/** Runs `fn` with a fresh `effMemo` and `contentMemo` (nested calls share the outer ones). */
function inRun<T>(fn: () => T): T {
  if (effMemo) return fn();
  effMemo = new WeakMap();
  contentMemo = new Map();
  try {
    return fn();
  } finally {
    effMemo = undefined;
    contentMemo = undefined;
  }
}

/** Distinct values remembered per `memoByContent` record (a config has a few plugin kinds). */
const MEMO_SIZE = 8;

/**
 * What validation can see of a value, for `sameContent`: primitives (compared with
 * `Object.is`), and plain objects and arrays with their own enumerable keys in order, holes
 * and prototypes (inherited properties are read for absent fields). Other objects compare
 * by identity.
 */
class Shape {
  constructor(
    readonly kind: ShapeKind,
    /** Primitive, or the object itself (`ShapeKind.Other`). */
    readonly value: unknown,
    readonly proto: object | null,
    /** Object keys; array indices as strings, `undefined` for holes. */
    readonly keys: ReadonlyArray<string | undefined>,
    readonly values: readonly Shape[],
  ) {}
}

const enum ShapeKind {
  Primitive,
  Object,
  Array,
  Other,
}

const NO_SHAPES: readonly Shape[] = [];

function shapeOf(v: unknown): Shape {
  if (typeof v !== 'object' || v === null) return new Shape(ShapeKind.Primitive, v, null, [], NO_SHAPES);
  const proto = Object.getPrototypeOf(v) as object | null;
  if (Array.isArray(v)) {
    if (proto !== Array.prototype) return new Shape(ShapeKind.Other, v, null, [], NO_SHAPES);
    const keys: Array<string | undefined> = [];
    const values: Shape[] = [];
    for (let i = 0; i < v.length; i++) {
      const has = i in v;
      keys.push(has ? String(i) : undefined);
      values.push(shapeOf(has ? v[i] : undefined));
    }
    return new Shape(ShapeKind.Array, undefined, proto, keys, values);
  }
  if (proto !== Object.prototype && proto !== null) return new Shape(ShapeKind.Other, v, null, [], NO_SHAPES);
  const keys = Object.keys(v);
  return new Shape(ShapeKind.Object, undefined, proto, keys, keys.map((k) => shapeOf((v as Rec)[k])));
}

/** Whether validating `v` gives what validating a value of this shape gave. */
function sameContent(shape: Shape, v: unknown): boolean {
  switch (shape.kind) {
    case ShapeKind.Primitive:
    case ShapeKind.Other:
      return Object.is(shape.value, v);
    case ShapeKind.Array: {
      if (!Array.isArray(v) || Object.getPrototypeOf(v) !== Array.prototype || v.length !== shape.keys.length) return false;
      for (let i = 0; i < v.length; i++) {
        const has = i in v;
        if (has !== (shape.keys[i] !== undefined) || !sameContent(shape.values[i]!, has ? v[i] : undefined)) return false;
      }
      return true;
    }
    case ShapeKind.Object: {
      if (typeof v !== 'object' || v === null || Array.isArray(v) || Object.getPrototypeOf(v) !== shape.proto) return false;
      const keys = shape.keys;
      let i = 0;
      for (const k in v) {
        if (!Object.hasOwn(v, k)) continue; // the order of Object.keys
        if (k !== keys[i] || !sameContent(shape.values[i]!, (v as Rec)[k])) return false;
        i++;
      }
      return i === keys.length;
    }
  }
}

/** `recordInto` for a `memoByContent` record: an equal value seen before this run replays its issues. */
function memoRecordInto(base: Compiled, value: Rec, st: PathSeg[], seg: PathSeg | undefined, out: Issue[]): void {
  let memo = contentMemo!.get(base);
  if (memo === undefined) contentMemo!.set(base, (memo = []));
  for (let m = 0; m < memo.length; m++) {
    const hit = memo[m]!;
    if (hit.value !== value && !sameContent(hit.shape, value)) continue;
    const issues = hit.issues;
    for (let i = 0; i < issues.length; i++) {
      const path = st.slice();
      if (seg !== undefined) path.push(seg);
      for (const p of issues[i]!.path) path.push(p);
      out.push({ path, message: issues[i]!.message });
    }
    return;
  }
  const start = out.length;
  if (seg !== undefined) st.push(seg);
  const prefix = st.length;
  recordBody(base, value, st, out);
  if (seg !== undefined) st.pop();
  const entry = { value, shape: shapeOf(value), issues: out.slice(start).map((i) => ({ path: i.path.slice(prefix), message: i.message })) };
  if (memo.length < MEMO_SIZE) memo.push(entry);
  else memo[base.memoNext++ % MEMO_SIZE] = entry; // replace the oldest
}

const compiledRecords = new WeakMap<RecordField, Compiled>();

function compiled(def: RecordField): Compiled {
  let c = compiledRecords.get(def);
  if (!c) {
    c = new Compiled(def, def.fields, def.checks ?? []);
    compiledRecords.set(def, c);
  }
  return c;
}

/** The compiled record with a subschema merged in (subschemas must be stable objects to be cached). */
function compiledWith(base: Compiled, sub: SubSchema | undefined): Compiled {
  if (!sub) return base;
  if (sub === base.lastSub) return base.lastWithSub!;
  let c = base.subs.get(sub);
  if (!c) {
    const def = base.def;
    const fields = sub.fields ? { ...def.fields, ...sub.fields } : def.fields;
    c = new Compiled(def, fields, [...(def.checks ?? []), ...(sub.checks ?? [])]);
    base.subs.set(sub, c);
  }
  base.lastSub = sub;
  base.lastWithSub = c;
  return c;
}

/** The subschema for `data`, selected by the key field with its default filled in. */
function selectSub(base: Compiled, data: Rec): SubSchema | undefined {
  const s = base.def.subschema!;
  const v = data[s.key];
  return s.select(v !== undefined ? v : base.absentByKey.get(s.key));
}

/** `fillDefaults` on a compiled field set; the result is only read. */
function effOf(c: Compiled, data: Rec): Rec {
  const out: Rec = { ...data };
  const absent = c.absent;
  for (let i = 0; i < absent.length; i++) {
    const a = absent[i]!;
    if (out[a.key] === undefined) out[a.key] = a.value;
  }
  const records = c.records;
  for (let i = 0; i < records.length; i++) {
    const { key, field } = records[i]!;
    const v = out[key];
    if (isRec(v) && v === data[key]) out[key] = effective(field, v);
  }
  return out;
}

/** Fills defaults and expands missing records (Kong's records are required by default). */
export function fillDefaults(fields: Record<string, Field>, data: Rec): Rec {
  const out: Rec = { ...data };
  for (const [k, f] of Object.entries(fields)) {
    const v = out[k];
    if (v === undefined) {
      if (f.default !== undefined) out[k] = clone(f.default);
      else if (f.type === 'record' && f.required !== false) out[k] = effective(f, {});
    } else if (f.type === 'record' && isRec(v)) {
      out[k] = effective(f, v);
    }
  }
  return out;
}

/** The record as Kong sees it after `process_auto_fields`: shorthands applied, defaults filled. */
export function effective(def: RecordField, value: Rec): Rec {
  const hit = effMemo?.get(value);
  if (hit !== undefined && hit.def === def) return hit.eff;
  const base = compiled(def);
  const data = hasShorthand(def, value) ? shorthandsInto(def, value, [], []) : value;
  const eff = effOf(compiledWith(base, def.subschema ? selectSub(base, data) : undefined), data);
  effMemo?.set(value, { def, eff });
  return eff;
}

const NO_ERRORS: CheckContext = { hasError: () => false };

/** Validates a record (Kong `Schema:validate` on the auto-processed copy). */
function recordInto(base: Compiled, value: unknown, st: PathSeg[], seg: PathSeg | undefined, out: Issue[]): void {
  if (!isRec(value)) {
    add(st, seg, out, 'expected a record');
    return;
  }
  if (base.memoByContent && contentMemo !== undefined) {
    memoRecordInto(base, value, st, seg, out);
    return;
  }
  if (seg !== undefined) st.push(seg);
  recordBody(base, value, st, out);
  if (seg !== undefined) st.pop();
}

/** `st` is the record's path. */
function recordBody(base: Compiled, value: Rec, st: PathSeg[], out: Issue[]): void {
  const def = base.def;
  const start = out.length;
  const data = def.shorthands !== undefined && hasShorthand(def, value) ? shorthandsInto(def, value, st, out) : value;
  let sub: SubSchema | undefined;
  if (def.subschema) {
    const { key, unknown } = def.subschema;
    const kv = data[key];
    if (unknown && (kv === undefined || kv === null)) {
      out.length = start;
      add(st, key, out, REQUIRED);
      return;
    }
    sub = selectSub(base, data);
    if (!sub && unknown) {
      const msg = unknown(kv);
      if (msg) {
        out.length = start;
        add(st, key, out, msg);
        return;
      }
    }
  }
  const c = compiledWith(base, sub);
  // Kong's order: the input's fields, then the defaults it lacked, then required fields.
  const lookup = c.lookup;
  for (const k in data) {
    if (!Object.hasOwn(data, k)) continue; // the order of Object.keys
    const f = lookup.get(k);
    if (f === undefined) add(st, k, out, UNKNOWN);
    else fieldInto(f, data[k], st, k, out);
  }
  const absentIssues = c.absentIssues;
  for (let i = 0; i < absentIssues.length; i++) {
    const a = absentIssues[i]!;
    if (a.key in data) continue;
    for (const issue of a.issues) out.push({ path: [...st, a.key, ...issue.path], message: issue.message });
  }
  const required = c.required;
  for (let i = 0; i < required.length; i++) if (data[required[i]!] === undefined) add(st, required[i]!, out, REQUIRED);
  if (!c.needsEff) return;

  let eff: Rec;
  if (c.effAlways) {
    // what `effective(def, value)` returns
    eff = effOf(c, data);
    effMemo?.set(value, { def, eff });
  } else eff = checkView(c, data);
  const before = out.length - start;
  let ctx = NO_ERRORS;
  if (before > 0) {
    const prefix = formatPath(st);
    const errored = new Set(out.slice(start).map((i) => formatPath(i.path).slice(prefix.length).replace(/^\./, '')));
    ctx = {
      hasError: (field) => [...errored].some((e) => e === field || e.startsWith(`${field}.`) || e.startsWith(`${field}[`)),
    };
  }
  const checks = c.checks;
  for (let i = 0; i < checks.length; i++) {
    const found = checks[i]!(eff, ctx);
    for (let j = 0; j < found.length; j++) {
      const ci = found[j]!;
      out.push({ path: ci.field ? [...st, ...ci.field.split('.')] : st.slice(), message: ci.message });
    }
  }
  if (def.custom && before === 0 && out.length === start) {
    const m = def.custom(eff);
    if (m) add(st, undefined, out, m);
  }
}

/** Validates a record (Kong `Schema:validate` on the auto-processed copy). */
export function validateRecord(def: RecordField, value: unknown, path: PathSeg[]): Issue[] {
  const out: Issue[] = [];
  inRun(() => recordInto(compiled(def), value, path.slice(), undefined, out));
  return out;
}

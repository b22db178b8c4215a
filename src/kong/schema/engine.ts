// Validation engine for the field DSL in types.ts. Follows kong/db/schema/init.lua:
// defaults are filled in before entity checks run, validators run in Kong's order
// and the first failing validator of a field wins.
import {
  type ArrayField,
  type CheckContext,
  type Field,
  type Issue,
  type MapField,
  type NumberField,
  type PathSeg,
  type Rec,
  type RecordField,
  type StringField,
  formatPath,
  isRec,
  isVaultReference,
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

const issue = (path: PathSeg[], message: string): Issue[] => [{ path, message }];

/** Lua's `%d` on the limits of `between`. */
const d = (n: number): string => String(Math.trunc(n));

function checkString(f: StringField, v: string): string | undefined {
  if (f.notOneOf?.includes(v)) return `must not be one of: ${f.notOneOf.join(', ')}`;
  if (f.oneOf && !f.oneOf.includes(v)) return `expected one of: ${f.oneOf.join(', ')}`;
  if (f.uuid && !UUID_RE.test(v)) return 'expected a valid UUID';
  const lenMin = f.lenMin ?? 1;
  if (v.length < lenMin) return `length must be at least ${lenMin}`;
  if (f.startsWith !== undefined && !v.startsWith(f.startsWith)) return `should start with: ${f.startsWith}`;
  for (const m of f.matchNone ?? []) if (m.re.test(v)) return m.err;
  if (f.match && !f.match.test(v)) return `invalid value: ${v}`;
  if (f.matchAny && !f.matchAny.res.some((re) => re.test(v))) return f.matchAny.err;
  return f.custom?.(v);
}

function checkNumber(f: NumberField, v: number): string | undefined {
  if (f.oneOf && !f.oneOf.includes(v)) return `expected one of: ${f.oneOf.join(', ')}`;
  if (f.gt !== undefined && !(v > f.gt)) return `value must be greater than ${f.gt}`;
  if (f.between && (v < f.between[0] || v > f.between[1])) {
    return `value should be between ${d(f.between[0])} and ${d(f.between[1])}`;
  }
  return undefined;
}

function validateArray(f: ArrayField, v: unknown, path: PathSeg[]): Issue[] {
  if (!isSequence(v)) return issue(path, f.type === 'set' ? 'expected a set' : 'expected an array');
  const items = Array.isArray(v) ? v : [];
  const out: Issue[] = [];
  items.forEach((el, i) => {
    if (el === null || el === undefined) out.push({ path: [...path, i], message: REQUIRED });
    else out.push(...validateField(f.elements, el, [...path, i]));
  });
  if (out.length > 0) return out;
  let msg: string | undefined;
  if (f.lenEq !== undefined && items.length !== f.lenEq) msg = `length must be ${f.lenEq}`;
  else if (f.lenMin !== undefined && items.length < f.lenMin) msg = `length must be at least ${f.lenMin}`;
  else if (f.contains !== undefined && !items.includes(f.contains)) msg = `expected to contain: ${f.contains}`;
  else if (f.exclusiveSubsets) msg = exclusiveSubsets(f.exclusiveSubsets, items);
  return msg ? issue(path, f.err ?? msg) : [];
}

function exclusiveSubsets(subsets: ReadonlyArray<readonly string[]>, items: unknown[]): string | undefined {
  const hit: Array<readonly string[]> = [];
  for (const it of items) {
    const s = subsets.find((sub) => sub.includes(it as string));
    if (s && !hit.includes(s)) hit.push(s);
  }
  if (hit.length <= 1) return undefined;
  return `these sets are mutually exclusive: ${hit.map((s) => `(${s.map((x) => `'${x}'`).join(', ')})`).join(', ')}`;
}

function validateMap(f: MapField, v: unknown, path: PathSeg[]): Issue[] {
  if (!isRec(v)) return issue(path, 'expected a map');
  for (const [k, val] of Object.entries(v)) {
    const ki = validateField(f.keys, k, [...path, k]);
    if (ki.length > 0) return ki;
    if (val === null) return issue([...path, k], REQUIRED);
    const vi = validateField(f.values, val, [...path, k]);
    if (vi.length > 0) return vi;
  }
  return [];
}

/** Validates one field value (Kong `Schema:validate_field`). `undefined` means absent. */
export function validateField(f: Field, v: unknown, path: PathSeg[]): Issue[] {
  if (v === undefined) return [];
  if (v === null) return f.required && !f.eqNull ? issue(path, REQUIRED) : [];
  if (f.eqNull) return issue(path, f.err ?? 'value must be null');
  switch (f.type) {
    case 'any':
      return [];
    case 'boolean':
      if (typeof v !== 'boolean') return issue(path, 'expected a boolean');
      return f.ne === v ? issue(path, f.err ?? `value must not be ${String(v)}`) : [];
    case 'integer':
    case 'number': {
      if (typeof v !== 'number' || Number.isNaN(v)) {
        return issue(path, f.type === 'integer' ? 'expected an integer' : 'expected a number');
      }
      if (f.type === 'integer' && !Number.isInteger(v)) return issue(path, 'expected an integer');
      const m = checkNumber(f, v);
      return m ? issue(path, f.err ?? m) : [];
    }
    case 'string': {
      if (typeof v !== 'string') return issue(path, 'expected a string');
      if (f.referenceable && isVaultReference(v)) return [];
      const m = checkString(f, v);
      if (m) return issue(path, f.err ?? m);
      if (isVaultReference(v)) {
        // Kong would not resolve it and would use the text literally.
        return issue(path, `'${v}' is a vault reference, but this field is not referenceable (Kong would use the text literally)`);
      }
      return [];
    }
    case 'array':
    case 'set':
      return validateArray(f, v, path);
    case 'map':
      return validateMap(f, v, path);
    case 'record':
      return validateRecord(f, v, path);
    case 'nested-foreign':
      // Kong re-validates a nested entity with real foreign fields: `{id: <uuid>}` passes.
      if (isRec(v) && isUuid(v.id)) return [];
      return issue(path, f.err ?? 'value must be null');
  }
}

/** Applies shorthand fields (e.g. service `url`, rate-limiting `redis_*`). */
export function applyShorthands(def: RecordField, value: Rec, path: PathSeg[]): { data: Rec; issues: Issue[] } {
  const data: Rec = { ...value };
  const issues: Issue[] = [];
  for (const sh of def.shorthands ?? []) {
    const v = data[sh.name];
    if (v === undefined) continue;
    delete data[sh.name];
    if (v === null) continue;
    const fi = validateField(sh.field, v, [...path, sh.name]);
    if (fi.length > 0) {
      issues.push(...fi);
      continue;
    }
    if (sh.deprecatedPath) {
      const cur = getPath(data, sh.deprecatedPath.join('.'));
      if (cur !== undefined && cur !== null && !deepEqual(cur, v)) {
        issues.push({
          path: [...path, sh.name],
          message: `both deprecated and new field are used but their values mismatch: ${sh.name} = ${String(v)} vs ${sh.deprecatedPath.join('.')} = ${String(cur)}`,
        });
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
  return { data, issues };
}

function stripNulls(r: Rec): Rec {
  return Object.fromEntries(Object.entries(r).filter(([, v]) => v !== null && v !== undefined));
}

function resolveFields(def: RecordField, data: Rec): { fields: Record<string, Field>; sub?: ReturnType<NonNullable<RecordField['subschema']>['select']> } {
  if (!def.subschema) return { fields: def.fields };
  const withDefaults = fillDefaults(def.fields, data);
  const sub = def.subschema.select(withDefaults);
  return { fields: sub?.fields ? { ...def.fields, ...sub.fields } : def.fields, sub };
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
  const { data } = applyShorthands(def, value, []);
  return fillDefaults(resolveFields(def, data).fields, data);
}

/** Validates a record (Kong `Schema:validate` on the auto-processed copy). */
export function validateRecord(def: RecordField, value: unknown, path: PathSeg[]): Issue[] {
  if (!isRec(value)) return issue(path, 'expected a record');
  const { data, issues } = applyShorthands(def, value, path);
  if (def.subschema) {
    const { key, unknown } = def.subschema;
    const kv = data[key];
    if (unknown && (kv === undefined || kv === null)) return issue([...path, key], REQUIRED);
    const probe = resolveFields(def, data);
    if (!probe.sub && unknown) {
      const msg = unknown(kv);
      if (msg) return issue([...path, key], msg);
    }
  }
  const { fields, sub } = resolveFields(def, data);
  const eff = fillDefaults(fields, data);
  for (const k of Object.keys(eff)) {
    const f = fields[k];
    if (!f) {
      issues.push({ path: [...path, k], message: UNKNOWN });
      continue;
    }
    const v = k in data ? data[k] : eff[k];
    issues.push(...validateField(f, v, [...path, k]));
  }
  for (const [k, f] of Object.entries(fields)) {
    if (f.required && !f.eqNull && eff[k] === undefined) issues.push({ path: [...path, k], message: REQUIRED });
  }
  const base = formatPath(path);
  const errored = new Set(issues.map((i) => formatPath(i.path).slice(base.length).replace(/^\./, '')));
  const ctx: CheckContext = {
    hasError: (field) => [...errored].some((e) => e === field || e.startsWith(`${field}.`) || e.startsWith(`${field}[`)),
  };
  const before = issues.length;
  for (const check of [...(def.checks ?? []), ...(sub?.checks ?? [])]) {
    for (const ci of check(eff, ctx)) {
      issues.push({ path: ci.field ? [...path, ...ci.field.split('.')] : path, message: ci.message });
    }
  }
  if (def.custom && before === 0 && issues.length === 0) {
    const m = def.custom(eff);
    if (m) issues.push({ path, message: m });
  }
  return issues;
}

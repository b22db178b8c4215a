// Cross-entity rules of a declarative config (declarative_config.lua `flatten`):
// format migration, deterministic ids, uniqueness and foreign references.
import { isUuid } from './engine.js';
import type { EntityDef } from './entities.js';
import { normalizeUri } from './fields.js';
import { entityUuid } from './ids.js';
import type { Model } from './model.js';
import { type Issue, type PathSeg, type Rec, isRec } from './types.js';

// --- _format_version 1.1 / 2.1 on-the-fly migration ----------------------------------

const RESERVED = new Set([0x21, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2f, 0x3a, 0x3b, 0x3d, 0x3f, 0x40, 0x5b, 0x5d]);
const REGEX_META: Record<number, string> = { 0x2e: '\\.', 0x5e: '\\^', 0x2d: '\\-', 0x7b: '\\{', 0x7d: '\\}', 0x5c: '\\\\', 0x7c: '\\|' };

/** kong/db/migrations/migrate_path_280_300.lua: non-plain paths become regexes. */
export function migratePath(p: string): string {
  if (/^[a-zA-Z0-9.\-_~/%]*$/.test(p)) return normalizeUri(p);
  return `~${p.replace(/%([0-9A-Fa-f]{2})/g, (m, hex: string) => {
    const n = parseInt(hex, 16);
    return RESERVED.has(n) ? m.toUpperCase() : (REGEX_META[n] ?? String.fromCharCode(n));
  })}`;
}

function migrateRoutes(routes: unknown): void {
  if (!Array.isArray(routes)) return;
  for (const r of routes) {
    if (isRec(r) && Array.isArray(r.paths)) r.paths = r.paths.map((p) => (typeof p === 'string' ? migratePath(p) : p));
  }
}

/** kong/db/declarative/migrations/route_path.lua; returns a migrated copy. */
export function migrateFormat(doc: Rec): Rec {
  if (doc._format_version !== '1.1' && doc._format_version !== '2.1') return doc;
  const copy = JSON.parse(JSON.stringify(doc)) as Rec;
  migrateRoutes(copy.routes);
  if (Array.isArray(copy.services)) for (const s of copy.services) if (isRec(s)) migrateRoutes(s.routes);
  return copy;
}

// --- entity graph -------------------------------------------------------------------

interface Instance {
  entity: EntityDef;
  item: Rec;
  path: PathSeg[];
  parent?: Instance;
  /** The child's foreign key that points at `parent`. */
  childKey?: string;
  id: string;
}

let randomIds = 0;

/** `build_cache_key`: undefined when Kong cannot derive a deterministic key. */
function cacheKey(e: EntityDef, item: Rec, parent?: Instance, childKey?: string): string | undefined {
  const ck = [e.name, '*'];
  for (const k of e.cacheKey ?? []) {
    if (e.autoFields?.includes(k)) return undefined;
    const v = item[k];
    if (typeof v === 'string') ck.push(v);
    else if (v === undefined) {
      if (k === childKey && parent) ck.push(parent.id);
      else if (e.foreign[k]?.required || e.fields[k]?.required) return undefined;
      else ck.push('');
    }
  }
  return ck.join(':');
}

/** `get_key_for_uuid_gen` + `generate_uuid`. */
function instanceId(e: EntityDef, item: Rec, parent?: Instance, childKey?: string): string {
  if (item.id !== undefined && item.id !== null) return String(item.id);
  if (e.cacheKey) {
    const key = cacheKey(e, item, parent, childKey);
    return key === undefined ? `random:${++randomIds}` : entityUuid(e.name, key);
  }
  const ek = e.endpointKey ? item[e.endpointKey] : undefined;
  if (ek !== undefined && ek !== null) return entityUuid(e.name, String(ek));
  return `random:${++randomIds}`;
}

function collect(m: Model, doc: Rec): Instance[] {
  const out: Instance[] = [];
  const walk = (e: EntityDef, list: unknown, path: PathSeg[], parent?: Instance, childKey?: string): void => {
    if (!Array.isArray(list)) return;
    list.forEach((item, i) => {
      if (!isRec(item)) return;
      const inst: Instance = { entity: e, item, path: [...path, i], parent, childKey, id: instanceId(e, item, parent, childKey) };
      out.push(inst);
      for (const { child, fk } of m.children.get(e.name) ?? []) walk(child, item[child.name], [...inst.path, child.name], inst, fk);
    });
  };
  for (const e of m.entities) walk(e, doc[e.name], [e.name]);
  return out;
}

const uniqueness = (entity: string, key: string, value: string) =>
  `uniqueness violation: '${entity}' entity with ${key} set to '${value}' already declared`;

/** Uniqueness, references and nesting rules over the whole document. */
export function validateGraph(m: Model, doc: Rec): Issue[] {
  const issues: Issue[] = [];
  const insts = collect(m, doc);
  const byKey = new Map<string, Map<string, Instance>>();
  const byId = new Map<string, Map<string, Instance>>();
  const bucket = (map: Map<string, Map<string, Instance>>, e: string) => {
    if (!map.has(e)) map.set(e, new Map());
    return map.get(e)!;
  };

  // populate_references: endpoint keys, then primary keys (explicit or generated)
  for (const inst of insts) {
    const { entity: e, item } = inst;
    let failed = false;
    const key = e.endpointKey && e.uniqueKey ? item[e.endpointKey] : undefined;
    if (typeof key === 'string') {
      const keys = bucket(byKey, e.name);
      if (keys.has(key)) {
        issues.push({ path: inst.path, message: uniqueness(e.name, e.endpointKey!, key) });
        failed = true;
      } else keys.set(key, inst);
    }
    const ids = bucket(byId, e.name);
    if (!failed && ids.has(inst.id)) issues.push({ path: inst.path, message: uniqueness(e.name, 'primary key', inst.id) });
    else if (!ids.has(inst.id)) ids.set(inst.id, inst);
  }

  const find = (ref: string, key: string) => byKey.get(ref)?.get(key) ?? byId.get(ref)?.get(key);

  for (const inst of insts) {
    const { entity: e, item, parent } = inst;
    for (const [fk, def] of Object.entries(e.foreign)) {
      const v = item[fk];
      if (v === undefined || v === null) continue;
      let found: Instance | undefined;
      if (parent) {
        // nested: a string is already "value must be null"; `{id}` objects are looked up
        if (!isRec(v)) continue;
        found = isUuid(v.id) ? find(def.reference, v.id as string) : undefined;
      } else {
        if (typeof v !== 'string') continue;
        found = find(def.reference, v);
      }
      if (!found) {
        const shown = typeof v === 'string' ? v : JSON.stringify(v);
        issues.push({ path: inst.path, message: `invalid reference '${fk}: ${shown}' (no such entry in '${def.reference}')` });
        if (e.name === 'basicauth_credentials' && fk === 'consumer') issues.push(basicauthTransform(inst));
      }
    }
    if (e.name === 'basicauth_credentials' && parent && typeof item.consumer === 'string') issues.push(basicauthTransform(inst));
    if (e.name === 'plugins' && parent?.entity.name === 'consumers' && typeof item.name === 'string' && m.plugins[item.name]?.noConsumer) {
      issues.push({
        path: inst.path,
        message: `plugin '${item.name}' cannot be configured on a consumer (its schema sets 'consumer' to null)`,
      });
    }
  }

  // flatten: other unique fields (e.g. consumers.custom_id)
  const seen = new Map<string, Set<string>>();
  for (const inst of insts) {
    for (const f of inst.entity.uniqueFields ?? []) {
      const v = inst.item[f];
      if (typeof v !== 'string') continue;
      const k = `${inst.entity.name}.${f}`;
      if (!seen.has(k)) seen.set(k, new Set());
      if (seen.get(k)!.has(v)) issues.push({ path: inst.path, message: uniqueness(inst.entity.name, f, v) });
      else seen.get(k)!.add(v);
    }
  }
  return issues;
}

/** basic-auth hashes the password with the consumer id; Kong fails when that id is unknown. */
function basicauthTransform(inst: Instance): Issue {
  return { path: inst.path, message: "all or none of these fields must be set: 'password', 'consumer.id'" };
}

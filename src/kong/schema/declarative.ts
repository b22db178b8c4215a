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
//
// Every entity gets a primary key: its explicit `id`, a UUIDv5 generated from its cache
// key or endpoint key, or a random id. A 10,000-route config has over 10,000 entities and
// a UUID costs a SHA-1, so generated ids are compared by the key they derive from and the
// UUID is computed only when its value matters (a reference or a message quoting it):
// - two generated ids of one entity type are equal exactly when their keys are (UUIDv5);
// - a generated id can only equal an explicit id of UUID length: an entity type with such
//   explicit ids compares real UUIDs throughout (EntityState `real`);
// - a child's cache key may hold its parent's id (nested plugins). It holds a token for a
//   generated parent id instead (`parentToken`), when that cannot change which cache keys
//   are equal: see `tokenSafe`.
// The first pass over the document assumes no explicit id of UUID length and safe tokens;
// if it finds otherwise, a second pass does it all again (`validateGraph`).

const UUID_LENGTH = 36;

interface Instance {
  entity: EntityDef;
  item: Rec;
  index: number;
  parent?: Instance;
  /** The child's foreign key that points at `parent`. */
  childKey?: string;
  /** The primary key, when known (always for explicit and random ids). */
  id?: string;
  /** The key a generated id derives from (well-formed UTF-16, as it is hashed as UTF-8). */
  genKey?: string;
  /** `genKey` holds parent tokens: the real key is rebuilt with the parent's real id. */
  tokenized?: boolean;
  /** `parentToken` of this instance, once computed. */
  token?: string;
}

let randomIds = 0;

/** The document path of an instance: `services[3].routes[1]`. */
function pathOf(inst: Instance): PathSeg[] {
  const path = inst.parent ? pathOf(inst.parent) : [];
  path.push(inst.entity.name, inst.index);
  return path;
}

/** The real primary key (computes a generated UUID on first use). */
function idOf(inst: Instance): string {
  if (inst.id === undefined) {
    const key = inst.tokenized ? wellFormed(cacheKey(inst.entity, inst.item, inst.parent, inst.childKey, idOf)!) : inst.genKey!;
    inst.id = entityUuid(inst.entity.name, key);
  }
  return inst.id;
}

const LONE_SURROGATE = /[\uD800-\uDFFF]/;

/** UTF-8 encoding replaces lone surrogates with U+FFFD: keys that hash alike compare alike. */
function wellFormed(key: string): string {
  return LONE_SURROGATE.test(key) ? Buffer.from(key, 'utf8').toString('utf8') : key;
}

/** Longer than a UUID and without ':' (with the escaped key after it). */
const TOKEN_PREFIX = `#${'~'.repeat(UUID_LENGTH)}#`;

/**
 * Stands for a parent's id inside a child's cache key: the id itself when it is explicit
 * or random, else a token that is unique per (entity type, key), has no ':' and is longer
 * than a UUID.
 */
function parentToken(parent: Instance): string {
  const key = parent.genKey;
  if (key === undefined) return parent.id!;
  if (parent.token === undefined) {
    const escaped = /[:%]/.test(key) ? key.replace(/[:%]/g, (c) => (c === ':' ? '%3A' : '%25')) : key;
    parent.token = `${TOKEN_PREFIX}${parent.entity.name}/${escaped}`;
  }
  return parent.token;
}

/**
 * `build_cache_key`: undefined when Kong cannot derive a deterministic key. The parent's
 * id comes from `parentId`.
 */
function cacheKey(
  e: EntityDef,
  item: Rec,
  parent: Instance | undefined,
  childKey: string | undefined,
  parentId: (parent: Instance) => string,
): string | undefined {
  const ck = [e.name, '*'];
  const keys = e.cacheKey ?? [];
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (e.autoFields?.includes(k)) return undefined;
    const v = item[k];
    if (typeof v === 'string') ck.push(v);
    else if (v === undefined) {
      if (k === childKey && parent) ck.push(parentId(parent));
      else if (e.foreign[k]?.required || e.fields[k]?.required) return undefined;
      else ck.push('');
    }
  }
  return ck.join(':');
}

/** `get_key_for_uuid_gen` + `generate_uuid`: sets `id` (explicit, random) or `genKey`. */
function assignId(inst: Instance, tokens: boolean): void {
  const { entity: e, item, parent, childKey } = inst;
  if (item.id !== undefined && item.id !== null) {
    inst.id = String(item.id);
    return;
  }
  let key: string | undefined;
  if (e.cacheKey) {
    key = cacheKey(e, item, parent, childKey, tokens ? parentToken : idOf);
    inst.tokenized = tokens && parent !== undefined && parent.genKey !== undefined;
  } else {
    const ek = e.endpointKey ? item[e.endpointKey] : undefined;
    if (ek !== undefined && ek !== null) key = String(ek);
  }
  if (key === undefined) inst.id = `random:${++randomIds}`;
  else inst.genKey = wellFormed(key);
}

/**
 * Whether tokens may stand for parent ids in the cache keys of this instance's entity type.
 * Cache keys are compared as lists of their ':'-separated atoms. With tokens, every atom of
 * length >= 36 is a parent's generated id: a real UUID (36 characters) or its token (longer),
 * one-to-one, provided that no explicit id anywhere has the length of a UUID (so two parents
 * have equal ids exactly when their tokens are equal) and that every other part of the
 * entity's cache keys (string fields, explicit parent ids) is shorter than a UUID.
 */
function tokenSafe(inst: Instance): boolean {
  const keys = inst.entity.cacheKey!;
  for (let i = 0; i < keys.length; i++) {
    const v = inst.item[keys[i]!];
    if (typeof v === 'string' && v.length >= UUID_LENGTH) return false;
  }
  const pid = inst.parent?.item.id;
  return pid === undefined || pid === null || String(pid).length < UUID_LENGTH;
}

const uniqueness = (entity: string, key: string, value: string) =>
  `uniqueness violation: '${entity}' entity with ${key} set to '${value}' already declared`;

interface Foreign {
  fk: string;
  def: EntityDef['foreign'][string];
}

const KEY_DUP = 1;
const ID_DUP = 2;

/**
 * Per entity type: what the rules need, and what populate_references has seen (unique
 * endpoint keys, primary keys) and flatten (other unique fields).
 *
 * Most generated ids derive from a string endpoint key ("keyed": routes, services by name):
 * their keys are not stored twice. `endpoint` holds them, except the ones first seen on an
 * entry whose id is not keyed (`endpointNotKeyed`), which are kept in `keyedShadowed`.
 */
class EntityState {
  readonly foreign: Foreign[];
  readonly children: ReadonlyArray<{ child: EntityDef; fk: string }> | undefined;
  /** Generated ids of this entity type may be keyed. */
  private readonly keyedIds: boolean;
  /** Unique endpoint keys seen. */
  readonly endpoint = new Set<string>();
  private readonly endpointNotKeyed = new Set<string>();
  private readonly keyedShadowed = new Set<string>();
  /** Explicit and random ids; every id once `real`. */
  private readonly plain = new Set<string>();
  /** Keys of generated ids that are not keyed (not used once `real`). */
  private readonly generated = new Set<string>();
  /** The instances whose key holds parent tokens (their UUIDs need the parent's). */
  private readonly tokenized: Instance[] = [];
  /** Generated ids as real UUIDs, for lookups by a UUID. */
  private genIds?: Set<string>;
  /** Values seen per other unique field (`uniqueFields`). */
  readonly unique = new Map<string, Set<string>>();

  constructor(
    readonly entity: EntityDef,
    m: Model,
    /** An explicit id may equal a generated UUID: compare real ids throughout. */
    private readonly real: boolean,
    /** Tokens stand for generated parent ids in this entity's cache keys. */
    readonly tokens: boolean,
  ) {
    this.foreign = Object.entries(entity.foreign).map(([fk, def]) => ({ fk, def }));
    this.children = m.children.get(entity.name);
    this.keyedIds = !real && entity.endpointKey !== undefined && entity.uniqueKey === true && entity.cacheKey === undefined;
  }

  /**
   * Adds the instance's endpoint key (`key`, a string or undefined) and primary key.
   * Returns which was already there: KEY_DUP and/or ID_DUP.
   */
  add(inst: Instance, key: string | undefined): number {
    const keyed = this.keyedIds && key !== undefined && inst.genKey === key;
    let keyDup = false;
    if (key !== undefined) {
      if (this.endpoint.has(key)) {
        keyDup = true;
        if (keyed && this.endpointNotKeyed.has(key)) this.keyedShadowed.add(key);
      } else {
        this.endpoint.add(key);
        if (!keyed) this.endpointNotKeyed.add(key);
      }
    }
    let idDup: boolean;
    if (keyed) {
      // a keyed id is new when its endpoint key is (only a non-keyed id can equal it then)
      idDup = keyDup || this.generated.has(key);
    } else if (this.real || inst.genKey === undefined) {
      const id = this.real ? idOf(inst) : inst.id!;
      idDup = this.plain.has(id);
      if (!idDup) this.plain.add(id);
    } else {
      const g = inst.genKey;
      if (inst.tokenized) this.tokenized.push(inst);
      idDup = this.isKeyed(g) || this.generated.has(g);
      if (!idDup) this.generated.add(g);
    }
    return (keyDup ? KEY_DUP : 0) | (idDup ? ID_DUP : 0);
  }

  /** Whether `g` is the key of a keyed id. */
  private isKeyed(g: string): boolean {
    return (this.endpoint.has(g) && !this.endpointNotKeyed.has(g)) || this.keyedShadowed.has(g);
  }

  /** Whether `id` is the primary key of an added instance (after all are added). */
  hasId(id: string): boolean {
    if (this.plain.has(id)) return true;
    if (id.length !== UUID_LENGTH) return false;
    if (!this.genIds) {
      // equal keys mean equal UUIDs, tokens included
      const byToken = new Map(this.tokenized.map((i) => [i.genKey!, i]));
      const keys = [...this.generated, ...this.keyedShadowed, ...[...this.endpoint].filter((k) => this.isKeyed(k))];
      this.genIds = new Set(keys.map((k) => (byToken.has(k) ? idOf(byToken.get(k)!) : entityUuid(this.entity.name, k))));
    }
    return this.genIds.has(id);
  }
}

const newInstance = (): Instance => ({
  entity: undefined as unknown as EntityDef,
  item: {},
  index: 0,
  parent: undefined,
  childKey: undefined,
  id: undefined,
  genKey: undefined,
  tokenized: false,
  token: undefined,
});

/**
 * One pass over the document in Kong's order (entity types in dependency order, each
 * entry before its nested entities): ids, populate_references (endpoint keys, then
 * primary keys), flatten's other unique fields, and the entries the reference rules
 * apply to. The first pass assumes tokens are safe and no entity type needs real UUIDs
 * (no explicit id of UUID length); when it finds otherwise, a second pass redoes it all.
 */
class Graph {
  private readonly states = new Map<EntityDef, EntityState>();
  /** Found by the first pass: entity types with an explicit id of UUID length. */
  readonly real = new Set<string>();
  /** Found by the first pass: entity types whose cache keys cannot hold tokens. */
  readonly unsafe = new Set<EntityDef>();
  readonly keyIssues: Issue[] = [];
  readonly uniqueIssues: Issue[] = [];
  readonly withReferences: Instance[] = [];
  private readonly scratch = newInstance();

  constructor(
    private readonly m: Model,
    /** For the second pass: what the first one found. */
    private readonly first?: Graph,
  ) {}

  state(e: EntityDef): EntityState {
    let s = this.states.get(e);
    if (!s) {
      const f = this.first;
      const tokens = f === undefined || (f.real.size === 0 && !f.unsafe.has(e));
      s = new EntityState(e, this.m, f !== undefined && f.real.has(e.name), tokens);
      this.states.set(e, s);
    }
    return s;
  }

  /** The entries of one list (a small loop: V8 optimizes it apart from `visit`). */
  walk(e: EntityDef, list: unknown, parent: Instance | undefined, childKey: string | undefined): void {
    if (!Array.isArray(list)) return;
    const state = this.state(e);
    for (let i = 0; i < list.length; i++) {
      if (!(i in list)) continue; // holes, as Array.prototype.forEach
      const item: unknown = list[i];
      if (isRec(item)) this.visit(state, item, i, parent, childKey);
    }
  }

  /** One entry: its id, populate_references, flatten, then its nested entities. */
  private visit(state: EntityState, item: Rec, i: number, parent: Instance | undefined, childKey: string | undefined): void {
    const e = state.entity;
    const children = state.children;
    // Entries without nested entities or references (most routes) need no Instance of
    // their own once populated: they go through `scratch`.
    const refs = hasReferenceRules(e, item, parent, state);
    let keep = refs;
    if (!keep && children) {
      for (let j = 0; j < children.length; j++) if (Array.isArray(item[children[j]!.child.name])) keep = true;
    }
    let inst = keep ? newInstance() : this.scratch;
    inst.entity = e;
    inst.item = item;
    inst.index = i;
    inst.parent = parent;
    inst.childKey = childKey;
    inst.id = undefined;
    inst.genKey = undefined;
    inst.tokenized = false;
    inst.token = undefined;
    assignId(inst, state.tokens);
    if (inst.tokenized && !keep) {
      inst = { ...inst }; // the EntityState keeps tokenized instances
      keep = true;
    }
    if (this.first === undefined) {
      if (inst.genKey === undefined && item.id !== undefined && item.id !== null && inst.id!.length === UUID_LENGTH) this.real.add(e.name);
      if (e.cacheKey !== undefined && !tokenSafe(inst)) this.unsafe.add(e);
    }
    this.populate(inst, state);
    if (refs) this.withReferences.push(inst);
    if (keep && children) {
      for (let j = 0; j < children.length; j++) {
        const { child, fk } = children[j]!;
        this.walk(child, item[child.name], inst, fk);
      }
    }
  }

  /** Whether the first pass got ids and uniqueness right (else run a second one). */
  get sufficient(): boolean {
    return this.real.size === 0 && this.unsafe.size === 0;
  }

  private populate(inst: Instance, state: EntityState): void {
    const { entity: e, item } = inst;
    const ek = e.endpointKey && e.uniqueKey ? item[e.endpointKey] : undefined;
    const key = typeof ek === 'string' ? ek : undefined;
    const dup = state.add(inst, key);
    if (dup & KEY_DUP) this.keyIssues.push({ path: pathOf(inst), message: uniqueness(e.name, e.endpointKey!, key!) });
    else if (dup & ID_DUP) this.keyIssues.push({ path: pathOf(inst), message: uniqueness(e.name, 'primary key', idOf(inst)) });
    const uniqueFields = e.uniqueFields;
    if (uniqueFields === undefined) return;
    for (const f of uniqueFields) {
      const v = item[f];
      if (typeof v !== 'string') continue;
      let seen = state.unique.get(f);
      if (!seen) state.unique.set(f, (seen = new Set()));
      if (seen.has(v)) this.uniqueIssues.push({ path: pathOf(inst), message: uniqueness(e.name, f, v) });
      else seen.add(v);
    }
  }

  /** Whether `key` is an endpoint key or primary key of a `ref` entity. */
  find(ref: string, key: string): boolean {
    const e = this.m.byName.get(ref);
    const s = e && this.states.get(e);
    return s !== undefined && (s.endpoint.has(key) || s.hasId(key));
  }
}

/** Whether the reference rules have anything to look at for this entry. */
function hasReferenceRules(e: EntityDef, item: Rec, parent: Instance | undefined, state: EntityState): boolean {
  if (e.name === 'basicauth_credentials' || (e.name === 'plugins' && parent?.entity.name === 'consumers')) return true;
  const foreign = state.foreign;
  for (let i = 0; i < foreign.length; i++) {
    const v = item[foreign[i]!.fk];
    if (v !== undefined && v !== null) return true;
  }
  return false;
}

function runGraph(m: Model, doc: Rec, first?: Graph): Graph {
  const g = new Graph(m, first);
  for (const e of m.entities) g.walk(e, doc[e.name], undefined, undefined);
  return g;
}

/** Uniqueness, references and nesting rules over the whole document. */
export function validateGraph(m: Model, doc: Rec): Issue[] {
  const firstRandom = randomIds;
  let g = runGraph(m, doc);
  if (!g.sufficient) {
    randomIds = firstRandom; // Kong numbers random ids in document order, once
    g = runGraph(m, doc, g);
  }

  const refIssues: Issue[] = [];
  for (const inst of g.withReferences) {
    const { entity: e, item, parent } = inst;
    for (const { fk, def } of g.state(e).foreign) {
      const v = item[fk];
      if (v === undefined || v === null) continue;
      let found: boolean;
      if (parent) {
        // nested: a string is already "value must be null"; `{id}` objects are looked up
        if (!isRec(v)) continue;
        found = isUuid(v.id) ? g.find(def.reference, v.id as string) : false;
      } else {
        if (typeof v !== 'string') continue;
        found = g.find(def.reference, v);
      }
      if (!found) {
        const shown = typeof v === 'string' ? v : JSON.stringify(v);
        refIssues.push({ path: pathOf(inst), message: `invalid reference '${fk}: ${shown}' (no such entry in '${def.reference}')` });
        if (e.name === 'basicauth_credentials' && fk === 'consumer') refIssues.push(basicauthTransform(inst));
      }
    }
    if (e.name === 'basicauth_credentials' && parent && typeof item.consumer === 'string') refIssues.push(basicauthTransform(inst));
    if (e.name === 'plugins' && parent?.entity.name === 'consumers' && typeof item.name === 'string' && m.plugins[item.name]?.noConsumer) {
      refIssues.push({
        path: pathOf(inst),
        message: `plugin '${item.name}' cannot be configured on a consumer (its schema sets 'consumer' to null)`,
      });
    }
  }
  return [...g.keyIssues, ...refIssues, ...g.uniqueIssues];
}

/** basic-auth hashes the password with the consumer id; Kong fails when that id is unknown. */
function basicauthTransform(inst: Instance): Issue {
  return { path: pathOf(inst), message: "all or none of these fields must be set: 'password', 'consumer.id'" };
}

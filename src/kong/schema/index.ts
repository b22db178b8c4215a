// Static validator for Kong 3.9 (OSS) DB-less declarative configuration (kong.yaml).
// It encodes the rules of Kong's own schemas so edgegen can check its output without
// running Kong. See the file headers for the Kong sources each part follows.
//
// Approximations (Kong behaviour we cannot reproduce exactly):
// - regex paths: PCRE2 and the ATC router's Rust regex are emulated with JS RegExp (regex.ts);
// - route expressions (router_flavor expressions): the ATC grammar, field schema and type rules are re-read in
//   atc.ts, and regex operands with the Rust regex crate's meaning in rust-regex.ts (a few constructs are not
//   modelled there and are accepted unchecked);
// - request-transformer templates: only `$(...)` balance is checked, not the Lua expression;
// - `custom_fields_by_lua` code is not sandbox-compiled;
// - PEM parsing/matching uses node:crypto instead of OpenSSL via lua-resty-openssl;
// - generated ids (duplicate plugins/targets/acls) follow declarative_config.lua; the id
//   algorithm is UUIDv5 as in lua-resty-jit-uuid, checked against its test vectors;
// - stricter than Kong on purpose: vault references in non-referenceable fields, consumer-
//   nested plugins whose schema forbids consumers, bundled plugins and collections that are
//   not modelled here (their config could not be checked), keyauth `ttl` type.
import { yamlLib } from '../../spec/yaml-lib.js';
import { validateRecord } from './engine.js';
import { migrateFormat, validateGraph } from './declarative.js';
import { buildModel, type Model } from './model.js';
import { KONG_SHARED_DICTS } from './plugins.js';
import type { RouterFlavor } from './routes.js';
import { type KongSchemaError, formatPath, isRec } from './types.js';

export type { KongSchemaError } from './types.js';
export type { RouterFlavor } from './routes.js';
export { BUNDLED_PLUGINS } from './plugins.js';

export interface KongValidateOptions {
  /** kong.conf `database = off` (default true): rate-limiting `policy` loses `cluster`. */
  dbless?: boolean;
  /** Extra lua_shared_dict names injected via KONG_NGINX_HTTP_LUA_SHARED_DICT (proxy-cache). */
  sharedDicts?: readonly string[];
  /** kong.conf `router_flavor` (KONG_ROUTER_FLAVOR), default `traditional_compatible` as in Kong 3.9. */
  routerFlavor?: RouterFlavor;
}

const models = new Map<string, Model>();

function model(opts: KongValidateOptions): Model {
  const dbless = opts.dbless ?? true;
  const sharedDicts = [...KONG_SHARED_DICTS, ...(opts.sharedDicts ?? [])];
  const routerFlavor = opts.routerFlavor ?? 'traditional_compatible';
  const key = `${dbless}|${routerFlavor}|${sharedDicts.join(',')}`;
  let m = models.get(key);
  if (!m) {
    m = buildModel({ dbless, sharedDicts, routerFlavor });
    models.set(key, m);
  }
  return m;
}

/** Validates a parsed declarative config; an empty array means Kong would accept it. */
export function validateKongConfig(doc: unknown, opts: KongValidateOptions = {}): KongSchemaError[] {
  if (!isRec(doc)) return [{ path: '', message: 'expected a record' }];
  const m = model(opts);
  const migrated = migrateFormat(doc);
  const issues = [...validateRecord(m.root, migrated, []), ...validateGraph(m, migrated)];
  const seen = new Set<string>();
  const out: KongSchemaError[] = [];
  for (const i of issues) {
    const e = { path: formatPath(i.path), message: i.message };
    const k = `${e.path}\u0000${e.message}`;
    if (!seen.has(k)) {
      seen.add(k);
      out.push(e);
    }
  }
  return out;
}

/**
 * Parses like Kong's libyaml-based loader (YAML 1.1: `yes`/`no` are booleans, an
 * unquoted `3.0` is a number, `{vault://...}` unquoted is a flow mapping), then validates.
 * Timestamps stay strings, as lyaml has no date type.
 */
export function validateKongYaml(text: string, opts: KongValidateOptions = {}): KongSchemaError[] {
  let doc: unknown;
  try {
    doc = yamlLib().parse(text, {
      version: '1.1',
      customTags: (tags) => tags.filter((t) => typeof t === 'string' || t.tag !== 'tag:yaml.org,2002:timestamp'),
    });
  } catch (e) {
    return [{ path: '', message: `failed parsing declarative configuration: ${(e as Error).message}` }];
  }
  return validateKongConfig(doc, opts);
}

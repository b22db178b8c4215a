// The declarative-config schema: root keys, entity collections and nesting
// (after kong/db/schema/others/declarative_config.lua `build_fields`).
import {
  acls,
  basicauthCredentials,
  caCertificates,
  certificates,
  consumers,
  type EntityDef,
  jwtSecrets,
  keyauthCredentials,
  pluginEntity,
  services,
  snis,
  vaults,
} from './entities.js';
import { defineCheck } from './checks.js';
import { arr, record, str } from './fields.js';
import type { PluginOptions, PluginSchema } from './plugin-types.js';
import { BUNDLED_PLUGINS, pluginSchemas } from './plugins.js';
import { routesEntity, type RouterFlavor } from './routes.js';
import type { EntityCheck, Field, RecordField, SubSchema } from './types.js';
import { targets, upstreams } from './upstreams.js';

/** Collections that exist in OSS Kong 3.9 but that this validator does not model. */
export const UNMODELLED_COLLECTIONS = [
  'workspaces', 'parameters', 'clustering_data_planes', 'key_sets', 'keys', 'filter_chains',
  'hmacauth_credentials', 'oauth2_credentials', 'oauth2_authorization_codes', 'oauth2_tokens',
  'sessions', 'acme_storage', 'ratelimiting_metrics',
];

export interface Model {
  /** Entities in Kong's dependency order. */
  entities: EntityDef[];
  byName: Map<string, EntityDef>;
  /** Parent collection -> child entities that can be nested in it, with the child's foreign key. */
  children: Map<string, Array<{ child: EntityDef; fk: string }>>;
  plugins: Record<string, PluginSchema>;
  root: RecordField;
}

function pluginSubschema(plugins: Record<string, PluginSchema>): NonNullable<RecordField['subschema']> {
  // One SubSchema object per plugin: the engine caches the compiled record per object.
  const subs = new Map<string, SubSchema>();
  return {
    key: 'name',
    select: (name) => {
      const p = typeof name === 'string' && Object.hasOwn(plugins, name) ? plugins[name] : undefined;
      if (!p) return undefined;
      let sub = subs.get(name as string);
      if (!sub) {
        const fields: Record<string, Field> = { config: p.config };
        if (p.protocols) fields.protocols = p.protocols;
        if (p.noConsumer) fields.consumer = { type: 'any', eqNull: true };
        sub = { fields, checks: p.checks };
        subs.set(name as string, sub);
      }
      return sub;
    },
    unknown: (v) => {
      const name = typeof v === 'string' ? v : JSON.stringify(v);
      if ((BUNDLED_PLUGINS as readonly string[]).includes(name)) {
        return `plugin '${name}' is bundled with Kong 3.9 but edgegen's validator has no schema for it, so its config cannot be checked`;
      }
      return `plugin '${name}' not enabled; add it to the 'plugins' configuration property`;
    },
  };
}

/** The record schema of one entity, top-level (references are strings) or nested (no references). */
function entityRecord(m: Omit<Model, 'root'>, e: EntityDef, nested: boolean): RecordField {
  const fields: Record<string, Field> = { ...e.fields };
  for (const [k, fk] of Object.entries(e.foreign)) {
    fields[k] = nested ? { type: 'nested-foreign', reference: fk.reference } : str({ required: fk.required });
  }
  fields._comment = str({ referenceable: true }); // free text: never flagged as a vault reference
  fields._ignore = arr({ type: 'any' });
  for (const { child } of m.children.get(e.name) ?? []) fields[child.name] = arr(entityRecord(m, child, true));
  return record(fields, { checks: e.checks, shorthands: e.shorthands, subschema: e.subschema, memoByContent: e.memoByContent });
}

const unmodelled: EntityCheck = defineCheck(UNMODELLED_COLLECTIONS, (rec) =>
  UNMODELLED_COLLECTIONS.filter((k) => Array.isArray(rec[k]) && (rec[k] as unknown[]).length > 0).map((k) => ({
    field: k,
    message: `collection '${k}' exists in Kong 3.9 but edgegen's validator does not model it, so its entries cannot be checked`,
  })),
);

export function buildModel(o: PluginOptions & { routerFlavor: RouterFlavor }): Model {
  const plugins = pluginSchemas(o);
  const routes = routesEntity(o.routerFlavor);
  const entities: EntityDef[] = [
    consumers, certificates, services, routes, snis, upstreams, targets, pluginEntity(pluginSubschema(plugins)),
    caCertificates, vaults, keyauthCredentials, jwtSecrets, basicauthCredentials, acls,
  ];
  const byName = new Map(entities.map((e) => [e.name, e]));
  const children = new Map<string, Array<{ child: EntityDef; fk: string }>>();
  for (const e of entities) {
    for (const [fk, def] of Object.entries(e.foreign)) {
      const list = children.get(def.reference) ?? [];
      list.push({ child: e, fk });
      children.set(def.reference, list);
    }
  }
  const partial = { entities, byName, children, plugins };
  const rootFields: Record<string, Field> = {
    _format_version: str({ required: true, oneOf: ['1.1', '2.1', '3.0'] }),
    _transform: { type: 'boolean', default: true },
    _comment: str({ referenceable: true }),
    _ignore: arr({ type: 'any' }),
  };
  for (const e of entities) rootFields[e.name] = arr(entityRecord(partial, e, false));
  for (const k of UNMODELLED_COLLECTIONS) rootFields[k] = arr({ type: 'any' });
  return { ...partial, root: record(rootFields, { checks: [unmodelled] }) };
}

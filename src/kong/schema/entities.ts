// Core entity schemas (Kong 3.9.3 kong/db/schema/entities/*.lua and the
// plugin-owned credential daos). Routes and upstreams live in their own files.
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { atLeastOneOf, conditional, customCheck, mutuallyRequired } from './checks.js';
import {
  protocols,
  bool,
  common,
  host,
  int,
  num,
  parseUrl,
  path,
  protocol,
  record,
  str,
  utf8Name,
  uuid,
  wildcardHost,
  arr,
} from './fields.js';
import type { EntityCheck, Field, Rec, RecordField, Shorthand, StringField, SubSchema } from './types.js';

export interface ForeignKey {
  reference: string;
  required?: boolean;
}

/** One entity type, as the declarative schema sees it. */
export interface EntityDef {
  name: string;
  /** Regular fields (foreign keys excluded). */
  fields: Record<string, Field>;
  foreign: Record<string, ForeignKey>;
  checks?: EntityCheck[];
  shorthands?: Shorthand[];
  subschema?: RecordField['subschema'];
  /** Field used to reference the entity by name; `uniqueKey` false for targets. */
  endpointKey?: string;
  uniqueKey?: boolean;
  /** Other unique fields (checked after references, like Kong's flatten). */
  uniqueFields?: string[];
  /** Cache key used to derive the entity id (duplicates collide). */
  cacheKey?: string[];
  /** Fields with `auto = true`: Kong gives up on a deterministic id when one is in the cache key. */
  autoFields?: string[];
  /** See RecordField.memoByContent. */
  memoByContent?: boolean;
}

const notHttpsOrTls = (v: unknown) => v !== 'https' && v !== 'tls';
const mustBeNull = (v: unknown) => (v === null ? undefined : 'value must be null');

function serviceUrl(value: unknown): Rec {
  const u = parseUrl(String(value));
  const portNum = u.port !== undefined && /^\d+$/.test(u.port) ? Number(u.port) : undefined;
  const byPort = portNum === 80 ? 'http' : portNum === 443 ? 'https' : undefined;
  const proto = u.scheme ?? byPort ?? 'http';
  return {
    protocol: proto,
    host: u.host ?? null,
    port: portNum ?? u.port ?? (proto === 'http' ? 80 : proto === 'https' ? 443 : 80),
    path: u.path ?? null,
  };
}

export const services: EntityDef = {
  name: 'services',
  endpointKey: 'name',
  uniqueKey: true,
  fields: {
    ...common(),
    name: utf8Name(),
    retries: int({ default: 5, between: [0, 32767] }),
    protocol: protocol({ required: true, default: 'http' }),
    host: host({ required: true }),
    port: int({ required: true, default: 80, between: [0, 65535] }),
    path: path(),
    connect_timeout: int({ default: 60000, between: [1, 2 ** 31 - 2] }),
    write_timeout: int({ default: 60000, between: [1, 2 ** 31 - 2] }),
    read_timeout: int({ default: 60000, between: [1, 2 ** 31 - 2] }),
    tls_verify: bool(),
    tls_verify_depth: int({ between: [0, 64] }),
    ca_certificates: arr(uuid()),
    enabled: bool({ required: true, default: true }),
  },
  foreign: { client_certificate: { reference: 'certificates' } },
  shorthands: [{ name: 'url', field: str(), expand: serviceUrl }],
  checks: [
    conditional({
      ifField: 'protocol',
      ifMatch: (v) => ['tcp', 'tls', 'udp', 'grpc', 'grpcs'].includes(v as string),
      thenField: 'path',
      thenMatch: mustBeNull,
    }),
    ...['client_certificate', 'tls_verify', 'tls_verify_depth', 'ca_certificates'].map((f) =>
      conditional({ ifField: 'protocol', ifMatch: notHttpsOrTls, thenField: f, thenMatch: mustBeNull }),
    ),
  ],
};

export const consumers: EntityDef = {
  name: 'consumers',
  endpointKey: 'username',
  uniqueKey: true,
  uniqueFields: ['custom_id'],
  fields: { ...common(), username: str(), custom_id: str() },
  foreign: {},
  checks: [atLeastOneOf(['custom_id', 'username'])],
};

// --- certificates ------------------------------------------------------------

function pemError(kind: 'certificate' | 'key', pem: string): string | undefined {
  try {
    if (kind === 'certificate') new X509Certificate(pem);
    else createPrivateKey(pem);
    return undefined;
  } catch (e) {
    return `invalid ${kind}: ${(e as Error).message}`;
  }
}

type StrOpts = Partial<Omit<StringField, 'type'>>;
const certificate = (o: StrOpts = {}): StringField => str({ custom: (v) => pemError('certificate', v), ...o });
const privateKey = (o: StrOpts = {}): StringField => str({ custom: (v) => pemError('key', v), ...o });

const spki = (pem: string, isKey: boolean): string =>
  (isKey ? createPublicKey(createPrivateKey(pem)) : new X509Certificate(pem).publicKey).export({ type: 'spki', format: 'pem' }).toString();

export const certificates: EntityDef = {
  name: 'certificates',
  fields: {
    ...common(),
    cert: certificate({ required: true, referenceable: true }),
    key: privateKey({ required: true, referenceable: true }),
    cert_alt: certificate({ referenceable: true }),
    key_alt: privateKey({ referenceable: true }),
  },
  foreign: {},
  checks: [
    mutuallyRequired(['cert_alt', 'key_alt']),
    customCheck(['cert', 'key'], (r) =>
      spki(r.cert as string, false) === spki(r.key as string, true) ? undefined : 'certificate does not match key',
    ),
    customCheck(['cert_alt', 'key_alt'], (r) =>
      spki(r.cert_alt as string, false) === spki(r.key_alt as string, true) ? undefined : 'alternative certificate does not match key',
    ),
    customCheck(['cert', 'cert_alt'], (r) =>
      new X509Certificate(r.cert as string).publicKey.asymmetricKeyType ===
      new X509Certificate(r.cert_alt as string).publicKey.asymmetricKeyType
        ? 'certificate and alternative certificate need to have different type (e.g. RSA and ECDSA), the provided certificates were both of the same type'
        : undefined,
    ),
  ],
};

export const snis: EntityDef = {
  name: 'snis',
  endpointKey: 'name',
  uniqueKey: true,
  fields: { ...common(), name: wildcardHost({ required: true }) },
  foreign: { certificate: { reference: 'certificates', required: true } },
};

const CERT_TAG = '-----BEGIN CERTIFICATE-----';

export const caCertificates: EntityDef = {
  name: 'ca_certificates',
  fields: { ...common(), cert: certificate({ required: true }), cert_digest: str() },
  foreign: {},
  checks: [
    customCheck(['cert'], (r) => {
      const pem = r.cert as string;
      if (pem.indexOf(CERT_TAG) !== pem.lastIndexOf(CERT_TAG)) return 'please submit only one certificate at a time';
      const x = new X509Certificate(pem);
      if (Date.parse(x.validTo) < Date.now()) return 'certificate expired, "Not After" time is in the past';
      if (!x.ca) return 'certificate does not appear to be a CA because it is missing the "CA" basic constraint';
      return undefined;
    }),
  ],
};

// --- vaults ------------------------------------------------------------------

/** Vault types bundled with OSS Kong 3.9 (kong/constants.lua BUNDLED_VAULTS). */
export const BUNDLED_VAULTS = ['env'] as const;

const VAULT_CONFIGS: Record<string, RecordField> = {
  env: record({ prefix: str({ match: /^[A-Za-z_-][A-Za-z0-9_-]*$/ }) }),
};
const VAULT_SUBSCHEMAS: Record<string, SubSchema> = Object.fromEntries(
  Object.entries(VAULT_CONFIGS).map(([name, cfg]) => [name, { fields: { config: cfg } }]),
);

export const vaults: EntityDef = {
  name: 'vaults',
  endpointKey: 'prefix',
  uniqueKey: true,
  cacheKey: ['prefix'],
  fields: {
    ...common(),
    prefix: str({ required: true, match: /^[a-z][a-z0-9-]*[a-z0-9]$/, notOneOf: BUNDLED_VAULTS }),
    name: str({ required: true }),
    description: str(),
    config: { type: 'any' },
  },
  foreign: {},
  subschema: {
    key: 'name',
    select: (name) => (typeof name === 'string' && Object.hasOwn(VAULT_SUBSCHEMAS, name) ? VAULT_SUBSCHEMAS[name] : undefined),
    unknown: (v) => `vault '${String(v)}' is not installed`,
  },
};

// --- credentials (plugin daos) ---------------------------------------------------

const consumerFk = { consumer: { reference: 'consumers', required: true } };

export const keyauthCredentials: EntityDef = {
  name: 'keyauth_credentials',
  endpointKey: 'key',
  uniqueKey: true,
  cacheKey: ['key'],
  autoFields: ['key'],
  // `ttl` is not validated by Kong (schema ttl = true); we still require a number.
  fields: { ...common(), key: str(), ttl: num({ between: [0, 100000000] }) },
  foreign: consumerFk,
};

const JWT_ALGORITHMS = ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'EdDSA'];

export const jwtSecrets: EntityDef = {
  name: 'jwt_secrets',
  endpointKey: 'key',
  uniqueKey: true,
  cacheKey: ['key'],
  autoFields: ['key'],
  fields: {
    ...common(),
    key: str(),
    secret: str(),
    rsa_public_key: str(),
    algorithm: str({ default: 'HS256', oneOf: JWT_ALGORITHMS }),
  },
  foreign: consumerFk,
  checks: [
    conditional({
      ifField: 'algorithm',
      ifMatch: (v) => /^(RS|PS)(256|384|512)$|^EdDSA$/.test(v as string),
      thenField: 'rsa_public_key',
      thenRequired: true,
      thenMatch: (v) => {
        try {
          createPublicKey(v as string);
          return undefined;
        } catch {
          return 'invalid key';
        }
      },
    }),
  ],
};

export const basicauthCredentials: EntityDef = {
  name: 'basicauth_credentials',
  endpointKey: 'username',
  uniqueKey: true,
  cacheKey: ['username'],
  fields: { ...common(), username: str({ required: true }), password: str({ required: true }) },
  foreign: consumerFk,
};

export const acls: EntityDef = {
  name: 'acls',
  cacheKey: ['consumer', 'group'],
  fields: { ...common(), group: str({ required: true }) },
  foreign: consumerFk,
};

// --- plugins (the entity; configs are in plugins.ts) ---------------------------------

export function pluginEntity(subschema: NonNullable<RecordField['subschema']>): EntityDef {
  return {
    name: 'plugins',
    memoByContent: true,
    endpointKey: 'instance_name',
    uniqueKey: true,
    cacheKey: ['name', 'route', 'service', 'consumer'],
    fields: {
      ...common(),
      name: str({ required: true }),
      instance_name: utf8Name(),
      config: { type: 'any' },
      protocols: protocols(),
      enabled: bool({ required: true, default: true }),
    },
    foreign: {
      route: { reference: 'routes' },
      service: { reference: 'services' },
      consumer: { reference: 'consumers' },
    },
    subschema,
  };
}

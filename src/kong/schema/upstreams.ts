// Upstreams and targets: kong/db/schema/entities/upstreams.lua, targets.lua (Kong 3.9.3).
import { conditional, distinct } from './checks.js';
import type { EntityDef } from './entities.js';
import {
  arr,
  bool,
  common,
  cookieName,
  headerName,
  headers,
  hostWithOptionalPort,
  int,
  num,
  path,
  record,
  sni,
  str,
} from './fields.js';
import { normalizeIp } from './ip.js';
import type { EntityCheck, Field, Rec } from './types.js';

const HASH_ON = ['none', 'consumer', 'ip', 'header', 'cookie', 'path', 'query_arg', 'uri_capture'];

const seconds = (dflt: number): Field => num({ between: [0, 65535], default: dflt });
const oneByte = (dflt: number): Field => int({ between: [0, 255], default: dflt });
const statuses = (dflt: number[]): Field => arr(int({ between: [100, 999] }), { default: dflt });
const checkType = (): Field => str({ oneOf: ['tcp', 'http', 'https', 'grpc', 'grpcs'], default: 'http' });

const healthchecks = record({
  threshold: num({ default: 0, between: [0, 100] }),
  active: record({
    type: checkType(),
    timeout: seconds(1),
    concurrency: int({ between: [1, 2 ** 31], default: 10 }),
    http_path: path({ default: '/' }),
    https_sni: sni({ required: false }),
    https_verify_certificate: bool({ default: true, required: true }),
    headers: headers(),
    healthy: record({ interval: seconds(0), http_statuses: statuses([200, 302]), successes: oneByte(0) }),
    unhealthy: record({
      interval: seconds(0),
      http_statuses: statuses([429, 404, 500, 501, 502, 503, 504, 505]),
      tcp_failures: oneByte(0),
      timeouts: oneByte(0),
      http_failures: oneByte(0),
    }),
  }),
  passive: record({
    type: checkType(),
    healthy: record({
      http_statuses: statuses([200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 306, 307, 308]),
      successes: oneByte(0),
    }),
    unhealthy: record({
      http_statuses: statuses([429, 500, 503]),
      tcp_failures: oneByte(0),
      timeouts: oneByte(0),
      http_failures: oneByte(0),
    }),
  }),
});

function upstreamName(name: string): string | undefined {
  const label = `Invalid name ('${name}')`;
  const r = normalizeIp(name);
  if ('err' in r) return `${label}; must be a valid hostname`;
  if (r.ok.type !== 'name') return `${label}; no ip addresses allowed`;
  if (r.ok.port !== undefined) return `${label}; no port allowed`;
  return undefined;
}

const is = (want: string) => (v: unknown) => v === want;
const required = (ifField: string, when: string, thenField: string): EntityCheck =>
  conditional({ ifField, ifMatch: is(when), thenField, thenRequired: true });
const fallbackIn = (when: string, allowed: string[]): EntityCheck =>
  conditional({
    ifField: 'hash_on',
    ifMatch: is(when),
    thenField: 'hash_fallback',
    thenMatch: (v) => (v === null || allowed.includes(v as string) ? undefined : `expected one of: ${allowed.join(', ')}`),
  });

export const upstreams: EntityDef = {
  name: 'upstreams',
  endpointKey: 'name',
  uniqueKey: true,
  fields: {
    ...common(),
    name: str({ required: true, custom: upstreamName }),
    algorithm: str({ default: 'round-robin', oneOf: ['consistent-hashing', 'least-connections', 'round-robin', 'latency'] }),
    hash_on: str({ default: 'none', oneOf: HASH_ON }),
    hash_fallback: str({ default: 'none', oneOf: HASH_ON }),
    hash_on_header: headerName(),
    hash_fallback_header: headerName(),
    hash_on_cookie: cookieName(),
    hash_on_cookie_path: path({ default: '/' }),
    hash_on_query_arg: str(),
    hash_fallback_query_arg: str(),
    hash_on_uri_capture: str(),
    hash_fallback_uri_capture: str(),
    slots: int({ default: 10000, between: [10, 2 ** 16] }),
    healthchecks,
    host_header: hostWithOptionalPort(),
    use_srv_name: bool({ default: false }),
  },
  foreign: { client_certificate: { reference: 'certificates' } },
  // Kong silently rewrites algorithm/hash_on (upstreams.lua shorthand_fields).
  shorthands: [
    {
      name: 'algorithm',
      field: str(),
      expand: (v): Rec => (v === 'least-connections' || v === 'latency' ? { algorithm: v, hash_on: null } : { algorithm: v }),
    },
    {
      name: 'hash_on',
      field: str(),
      expand: (v): Rec => ({ hash_on: v, algorithm: v === 'none' ? 'round-robin' : 'consistent-hashing' }),
    },
  ],
  checks: [
    required('hash_on', 'header', 'hash_on_header'),
    required('hash_fallback', 'header', 'hash_fallback_header'),
    required('hash_on', 'cookie', 'hash_on_cookie'),
    required('hash_fallback', 'cookie', 'hash_on_cookie'),
    fallbackIn('none', ['none']),
    fallbackIn('cookie', ['none']),
    fallbackIn('consumer', ['none', 'ip', 'header', 'cookie', 'path', 'query_arg', 'uri_capture']),
    fallbackIn('ip', ['none', 'consumer', 'header', 'cookie', 'path', 'query_arg', 'uri_capture']),
    fallbackIn('path', ['none', 'consumer', 'header', 'cookie', 'query_arg', 'ip', 'uri_capture']),
    distinct(['hash_on_header', 'hash_fallback_header']),
    required('hash_on', 'query_arg', 'hash_on_query_arg'),
    required('hash_fallback', 'query_arg', 'hash_fallback_query_arg'),
    distinct(['hash_on_query_arg', 'hash_fallback_query_arg']),
    required('hash_on', 'uri_capture', 'hash_on_uri_capture'),
    required('hash_fallback', 'uri_capture', 'hash_fallback_uri_capture'),
    distinct(['hash_on_uri_capture', 'hash_fallback_uri_capture']),
  ],
};

function validateTarget(t: string): string | undefined {
  return 'err' in normalizeIp(t) ? `Invalid target ('${t}'); not a valid hostname or ip address` : undefined;
}

export const targets: EntityDef = {
  name: 'targets',
  endpointKey: 'target',
  uniqueKey: false,
  cacheKey: ['upstream', 'target'],
  fields: {
    ...common(),
    created_at: num({ gt: 0, err: 'expected a valid timestamp' }),
    target: str({ required: true, custom: validateTarget }),
    weight: int({ default: 100, between: [0, 65535] }),
  },
  foreign: { upstream: { reference: 'upstreams', required: true } },
};

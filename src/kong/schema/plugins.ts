// Plugin config schemas (kong/plugins/<name>/schema.lua, Kong 3.9.3) and the plugin registry.
import { atLeastOneOf, conditional, customCheck, onlyOneOf } from './checks.js';
import { arr, bool, headerName, host, int, ipOrCidr, num, path, port, protocols, record, set, str, sni, timeout } from './fields.js';
import { protocolsHttp, type PluginOptions, type PluginSchema } from './plugin-types.js';
import { httpLog, loggly, tcpLog, udpLog } from './plugins-log.js';
import { requestTransformer, responseTransformer } from './plugins-transform.js';
import { pcreCompileError } from './regex.js';
import type { Rec, Shorthand } from './types.js';

/** Plugins bundled with OSS Kong 3.9.3 (kong/constants.lua), all loaded by `plugins = bundled`. */
export const BUNDLED_PLUGINS = [
  'jwt', 'acl', 'correlation-id', 'cors', 'oauth2', 'tcp-log', 'udp-log', 'file-log', 'http-log', 'key-auth',
  'hmac-auth', 'basic-auth', 'ip-restriction', 'request-transformer', 'response-transformer',
  'request-size-limiting', 'rate-limiting', 'response-ratelimiting', 'syslog', 'loggly', 'datadog', 'ldap-auth',
  'statsd', 'bot-detection', 'aws-lambda', 'request-termination', 'prometheus', 'proxy-cache', 'session', 'acme',
  'grpc-gateway', 'grpc-web', 'pre-function', 'post-function', 'azure-functions', 'zipkin', 'opentelemetry',
  'ai-proxy', 'ai-prompt-decorator', 'ai-prompt-template', 'ai-prompt-guard', 'ai-request-transformer',
  'ai-response-transformer', 'standard-webhooks', 'redirect',
] as const;

/** lua_shared_dict names from Kong 3.9.3's kong/templates/nginx_kong.lua. */
export const KONG_SHARED_DICTS = [
  'kong', 'kong_locks', 'kong_healthchecks', 'kong_cluster_events', 'kong_rate_limiting_counters',
  'kong_core_db_cache', 'kong_core_db_cache_miss', 'kong_db_cache', 'kong_db_cache_miss', 'kong_secrets',
  'kong_dns_cache',
];

const keyAuth: PluginSchema = {
  noConsumer: true,
  protocols: protocolsHttp(),
  config: record({
    key_names: arr(headerName(), { required: true, default: ['apikey'] }),
    hide_credentials: bool({ required: true, default: false }),
    anonymous: str(),
    key_in_header: bool({ required: true, default: true }),
    key_in_query: bool({ required: true, default: true }),
    key_in_body: bool({ required: true, default: false }),
    run_on_preflight: bool({ required: true, default: true }),
    realm: str({ required: false }),
  }),
};

const jwt: PluginSchema = {
  noConsumer: true,
  protocols: protocolsHttp(),
  config: record({
    uri_param_names: set(str(), { default: ['jwt'] }),
    cookie_names: set(str(), { default: [] }),
    key_claim_name: str({ default: 'iss' }),
    secret_is_base64: bool({ required: true, default: false }),
    claims_to_verify: set(str({ oneOf: ['exp', 'nbf'] })),
    anonymous: str(),
    run_on_preflight: bool({ required: true, default: true }),
    maximum_expiration: num({ default: 0, between: [0, 31536000] }),
    header_names: set(str(), { default: ['authorization'] }),
    realm: str({ required: false }),
  }),
  checks: [
    conditional({
      ifField: 'config.maximum_expiration',
      ifMatch: (v) => typeof v === 'number' && v > 0,
      thenField: 'config.claims_to_verify',
      thenMatch: (v) => (Array.isArray(v) && !v.includes('exp') ? 'expected to contain: exp' : undefined),
    }),
  ],
};

const basicAuth: PluginSchema = {
  noConsumer: true,
  protocols: protocolsHttp(),
  config: record({
    anonymous: str(),
    hide_credentials: bool({ required: true, default: false }),
    realm: str({ required: true, default: 'service' }),
  }),
};

const acl: PluginSchema = {
  noConsumer: true,
  protocols: protocolsHttp(),
  config: record({
    allow: arr(str()),
    deny: arr(str()),
    hide_groups_header: bool({ required: true, default: false }),
    always_use_authenticated_groups: bool({ required: true, default: false }),
  }),
  checks: [onlyOneOf(['config.allow', 'config.deny']), atLeastOneOf(['config.allow', 'config.deny'])],
};

// --- rate-limiting -------------------------------------------------------------

const PERIODS = ['second', 'minute', 'hour', 'day', 'month', 'year'] as const;

function rateLimitingRules(c: Rec): string | undefined {
  for (let i = 0; i < PERIODS.length; i++) {
    const v1 = c[PERIODS[i]!];
    if (typeof v1 !== 'number') continue;
    for (let j = i + 1; j < PERIODS.length; j++) {
      const v2 = c[PERIODS[j]!];
      if (typeof v2 === 'number' && v2 < v1) {
        return `The limit for ${PERIODS[j]}(${v2.toFixed(1)}) cannot be lower than the limit for ${PERIODS[i]}(${v1.toFixed(1)})`;
      }
    }
  }
  if (c.policy !== 'redis' && c.sync_rate !== -1) return 'sync_rate can only be used with the redis policy';
  if (c.policy === 'redis' && c.sync_rate !== -1 && (c.sync_rate as number) < 0.02) {
    return 'sync_rate must be greater than 0.02, or -1 to disable';
  }
  return undefined;
}

/** kong/tools/redis/schema.lua (3.6+ layout). */
const redisRecord = () =>
  record({
    host: host(),
    port: port({ default: 6379 }),
    timeout: timeout({ default: 2000 }),
    username: str({ referenceable: true }),
    password: str({ referenceable: true, lenMin: 0 }),
    database: int({ default: 0 }),
    ssl: bool({ required: false, default: false }),
    ssl_verify: bool({ required: false, default: false }),
    server_name: sni({ required: false }),
  });

/** Deprecated flat `redis_*` aliases (removed in 4.0): they never override `redis.*`. */
const redisAliases = (): Shorthand[] =>
  (
    [
      ['host', str()],
      ['port', int()],
      ['password', str({ lenMin: 0, referenceable: true })],
      ['username', str({ referenceable: true })],
      ['ssl', bool()],
      ['ssl_verify', bool()],
      ['server_name', str()],
      ['timeout', int()],
      ['database', int()],
    ] as const
  ).map(([k, field]) => ({ name: `redis_${k}`, field, deprecatedPath: ['redis', k], expand: (v: unknown) => ({ redis: { [k]: v } }) }));

function rateLimiting(o: PluginOptions): PluginSchema {
  const limit = () => num({ gt: 0 });
  const whenRedis = (f: string) =>
    conditional({ ifField: 'config.policy', ifMatch: (v) => v === 'redis', thenField: `config.redis.${f}`, thenRequired: true });
  return {
    protocols: protocolsHttp(),
    config: record(
      {
        second: limit(), minute: limit(), hour: limit(), day: limit(), month: limit(), year: limit(),
        limit_by: str({ default: 'consumer', oneOf: ['consumer', 'credential', 'ip', 'service', 'header', 'path'] }),
        header_name: headerName(),
        path: path(),
        // kong.conf `database = off` (or role control_plane) drops `cluster`.
        policy: str({ default: 'local', lenMin: 0, oneOf: o.dbless ? ['local', 'redis'] : ['local', 'cluster', 'redis'] }),
        fault_tolerant: bool({ required: true, default: true }),
        redis: redisRecord(),
        hide_client_headers: bool({ required: true, default: false }),
        error_code: num({ default: 429, gt: 0 }),
        error_message: str({ default: 'API rate limit exceeded' }),
        sync_rate: num({ required: true, default: -1 }),
      },
      { custom: rateLimitingRules, shorthands: redisAliases() },
    ),
    checks: [
      atLeastOneOf(PERIODS.map((p) => `config.${p}`)),
      whenRedis('host'),
      whenRedis('port'),
      whenRedis('timeout'),
      conditional({ ifField: 'config.limit_by', ifMatch: (v) => v === 'header', thenField: 'config.header_name', thenRequired: true }),
      conditional({ ifField: 'config.limit_by', ifMatch: (v) => v === 'path', thenField: 'config.path', thenRequired: true }),
    ],
  };
}

// --- traffic / misc ----------------------------------------------------------------

function proxyCache(o: PluginOptions): PluginSchema {
  return {
    protocols: protocols(),
    config: record({
      response_code: arr(int({ between: [100, 900] }), { default: [200, 301, 404], lenMin: 1, required: true }),
      request_method: arr(str({ oneOf: ['HEAD', 'GET', 'POST', 'PATCH', 'PUT'] }), { default: ['GET', 'HEAD'], required: true }),
      content_type: arr(str(), { default: ['text/plain', 'application/json'], required: true }),
      cache_ttl: int({ default: 300, gt: 0 }),
      // strategies.STRATEGY_TYPES is { "memory" } in OSS.
      strategy: str({ oneOf: ['memory'], required: true }),
      cache_control: bool({ default: false, required: true }),
      ignore_uri_case: bool({ default: false, required: false }),
      storage_ttl: int(),
      memory: record({ dictionary_name: str({ required: true, default: 'kong_db_cache' }) }),
      vary_query_params: arr(str()),
      vary_headers: arr(str()),
      response_headers: record({
        age: bool({ default: true }),
        'X-Cache-Status': bool({ default: true }),
        'X-Cache-Key': bool({ default: true }),
      }),
    }),
    checks: [
      customCheck(['config'], (r) => {
        const c = r.config as Rec;
        const name = (c.memory as Rec | null)?.dictionary_name;
        return c.strategy === 'memory' && typeof name === 'string' && !o.sharedDicts.includes(name)
          ? `missing shared dict '${name}'`
          : undefined;
      }),
    ],
  };
}

const CORS_METHODS = ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT'];

const cors: PluginSchema = {
  noConsumer: true,
  protocols: protocolsHttp(),
  config: record({
    origins: arr(str({ custom: (v) => (v === '*' || !pcreCompileError(v) ? undefined : `'${v}' is not a valid regex`) })),
    headers: arr(str()),
    exposed_headers: arr(str()),
    methods: arr(str({ oneOf: CORS_METHODS }), { default: CORS_METHODS }),
    max_age: num(),
    credentials: bool({ required: true, default: false }),
    private_network: bool({ required: true, default: false }),
    preflight_continue: bool({ required: true, default: false }),
  }),
};

const correlationId: PluginSchema = {
  protocols: protocolsHttp(),
  config: record({
    header_name: str({ default: 'Kong-Request-ID' }),
    generator: str({ default: 'uuid#counter', required: true, oneOf: ['uuid', 'uuid#counter', 'tracker'] }),
    echo_downstream: bool({ required: true, default: false }),
  }),
};

// The `prometheus_metrics` shared dict is injected whenever the plugin is loaded.
const prometheus: PluginSchema = {
  protocols: protocols(),
  config: record(
    Object.fromEntries(
      ['per_consumer', 'status_code_metrics', 'ai_metrics', 'latency_metrics', 'bandwidth_metrics', 'upstream_health_metrics'].map(
        (k) => [k, bool({ default: false })],
      ),
    ),
  ),
};

const ipRestriction: PluginSchema = {
  protocols: protocols(undefined, ['http', 'https', 'tcp', 'tls', 'grpc', 'grpcs']),
  config: record({ allow: arr(ipOrCidr()), deny: arr(ipOrCidr()), status: num({ required: false }), message: str({ required: false }) }),
  checks: [atLeastOneOf(['config.allow', 'config.deny'])],
};

const requestSizeLimiting: PluginSchema = {
  protocols: protocolsHttp(),
  config: record({
    allowed_payload_size: int({ default: 128 }),
    size_unit: str({ required: true, default: 'megabytes', oneOf: ['megabytes', 'kilobytes', 'bytes'] }),
    require_content_length: bool({ required: true, default: false }),
  }),
};

/** Plugins whose config we check in depth; other bundled plugins are rejected as unmodelled. */
export function pluginSchemas(o: PluginOptions): Record<string, PluginSchema> {
  return {
    'key-auth': keyAuth,
    jwt,
    'basic-auth': basicAuth,
    acl,
    'rate-limiting': rateLimiting(o),
    'proxy-cache': proxyCache(o),
    cors,
    'correlation-id': correlationId,
    prometheus,
    'ip-restriction': ipRestriction,
    'request-size-limiting': requestSizeLimiting,
    'request-transformer': requestTransformer,
    'response-transformer': responseTransformer,
    'http-log': httpLog,
    'tcp-log': tcpLog,
    'udp-log': udpLog,
    loggly,
  };
}


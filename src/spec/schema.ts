import { z } from 'zod';
import {
  address, consumerName, duration, durationMs, DURATION_RE, filePath, fsPath, headerName, headerValue, hostname, hostOrIp, httpMethod, ipCidr, mimeType,
  name, port, routeHost, secret, urlPath,
} from './primitives.js';

/** The edgegen topology spec (version 1). Every object is strict: unknown keys are errors. */

/** Timeouts reach HAProxy and Kong as 32-bit milliseconds: at most 24 days. */
const timeout = duration.refine((d) => !DURATION_RE.test(d) || durationMs(d) <= 2_147_483_646, { message: 'a timeout is at most 24d (HAProxy and Kong count milliseconds in 32 bits)' });

const ports = z
  .object({
    http: port.optional().describe('plain HTTP listener port'),
    https: port.optional().describe('HTTPS listener port (used when the TLS strategy makes this layer terminate TLS)'),
  })
  .strict();

const healthCheck = z
  .object({
    path: urlPath.default('/healthz'),
    // HAProxy's own default: with fall 3 (and fastinter) a dead instance is confirmed within about 4 s.
    interval: timeout.default('2s'),
    timeout: timeout.default('2s'),
    rise: z.number().int().min(1).max(100).default(2),
    fall: z.number().int().min(1).max(100).default(3),
    expectStatus: z.number().int().min(100).max(599).default(200),
  })
  .strict();

const nextLayerCheck = healthCheck.extend({
  path: urlPath.optional().describe("health path on the next layer's status port; default: the engine's own (Kong /status/ready, NGINX /healthz)"),
});

const layerCommon = {
  instances: z.number().int().min(1).max(64).default(1).describe('how many identical instances run this layer'),
  hosts: z.array(hostOrIp).optional().describe('host name of each instance as the previous layer reaches it; default <layer>-<n>'),
  bind: hostOrIp.optional().describe('listen address; default all interfaces'),
  ports,
  image: z.string().regex(/^[a-z0-9][a-z0-9._\/-]*(:[A-Za-z0-9._-]+)?(@sha256:[a-f0-9]{64})?$/).max(256).optional()
    .describe('container image override for the Docker runtime'),
};

const lbTimeouts = z
  .object({ connect: timeout.default('5s'), client: timeout.default('60s'), server: timeout.default('60s'),
    httpRequest: timeout.default('10s'), queue: timeout.default('30s') })
  .strict();

export const loadBalancer = z
  .object({
    ...layerCommon,
    mode: z.enum(['http', 'tcp']).default('http'),
    algorithm: z.enum(['roundrobin', 'leastconn', 'source', 'random', 'uri', 'header']).default('roundrobin'),
    hashHeader: headerName.optional().describe('header to hash on when algorithm is "header"'),
    weights: z.array(z.number().int().min(0).max(256)).optional().describe('weight of each next-layer instance (weighted round robin)'),
    healthCheck: nextLayerCheck.optional().describe('active health check of the next layer (or of the services when they come next)'),
    sticky: z.object({ cookie: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/) }).strict().optional(),
    retries: z.number().int().min(0).max(10).default(2),
    redispatch: z.boolean().default(true),
    maxConnections: z.number().int().min(1).max(1_000_000).default(4096),
    stats: z.object({ port, path: urlPath.default('/stats'), bind: hostOrIp.default('127.0.0.1') }).strict().optional(),
    timeouts: lbTimeouts.prefault({}),
  })
  .strict();

const consumer = z
  .object({
    name: consumerName,
    customId: z.string().regex(/^[A-Za-z0-9._~-]{1,128}$/).optional(),
    keys: z.array(secret).optional().describe('API keys (key-auth)'),
    jwt: z
      .array(z.object({ key: z.string().regex(/^[A-Za-z0-9._~:-]{1,256}$/), secret, algorithm: z.enum(['HS256', 'HS384', 'HS512']).default('HS256') }).strict())
      .optional()
      .describe('JWT credentials: key is the value of the key claim (iss by default), secret signs the token'),
  })
  .strict();

export const auth = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('key'),
    keyNames: z.array(headerName).min(1).default(['apikey']),
    inQuery: z.boolean().default(false),
    hideCredentials: z.boolean().default(true),
  }).strict(),
  z.object({
    type: z.literal('jwt'),
    keyClaim: z.string().regex(/^[A-Za-z0-9_]{1,64}$/).default('iss'),
    claims: z.array(z.enum(['exp', 'nbf'])).default(['exp']),
    header: headerName.default('Authorization'),
  }).strict(),
]);

export const rateLimit = z
  .object({
    second: z.number().int().min(1).optional(),
    minute: z.number().int().min(1).optional(),
    hour: z.number().int().min(1).optional(),
    by: z.enum(['consumer', 'ip', 'route']).default('consumer'),
    policy: z.enum(['local', 'redis']).default('local'),
    redis: z.object({ host: hostname, port: port.default(6379), password: secret.optional(), database: z.number().int().min(0).max(15).default(0) }).strict().optional(),
  })
  .strict();

export const cache = z
  .object({
    ttl: duration.default('30s'),
    methods: z.array(z.enum(['GET', 'HEAD', 'POST'])).min(1).default(['GET', 'HEAD']),
    statuses: z.array(z.number().int().min(100).max(599)).min(1).default([200, 301, 404]),
    contentTypes: z.array(mimeType).min(1).default(['application/json', 'application/json; charset=utf-8', 'text/plain', 'text/html']),
    key: z.array(z.union([z.enum(['scheme', 'method', 'host', 'uri', 'args']), z.string().regex(/^header:[A-Za-z0-9-]{1,64}$/)]))
      .min(1).default(['scheme', 'method', 'host', 'uri']).describe('parts of the cache key; "header:Name" adds a request header'),
    statusHeader: headerName.default('X-Cache-Status'),
    size: z.string().regex(/^\d{1,6}[km]$/).default('64m').describe('memory for cache keys (nginx keys_zone)'),
    maxSize: z.string().regex(/^\d{1,6}[kmg]$/).default('1g'),
  })
  .strict();

export const cors = z
  .object({
    origins: z.array(z.string().max(256).regex(/^(\*|https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?)$/, { message: 'an origin is "*" or scheme://host[:port], e.g. "https://app.example.com"' })).min(1).max(64),
    methods: z.array(httpMethod).default(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']),
    headers: z.array(headerName).default([]),
    exposedHeaders: z.array(headerName).default([]),
    credentials: z.boolean().default(false),
    maxAge: z.number().int().min(0).max(86400).default(600),
  })
  .strict();

const headerTransform = z
  .object({ add: z.record(headerName, headerValue).default({}), remove: z.array(headerName).default([]) })
  .strict();

const policies = {
  auth: auth.optional(),
  rateLimit: rateLimit.optional(),
  cache: cache.optional(),
  cors: cors.optional(),
  requestHeaders: headerTransform.optional(),
  responseHeaders: headerTransform.optional(),
};

export const gateway = z
  .object({
    ...layerCommon,
    engine: z.enum(['kong', 'nginx']).default('kong').describe('kong (DB-less declarative config) or nginx (the same policies compiled to an NGINX gateway)'),
    consumers: z.array(consumer).default([]),
    ...policies,
    correlationId: z.object({ header: headerName.default('X-Request-ID'), echo: z.boolean().default(true) }).strict().optional(),
    metrics: z.boolean().default(false).describe('Prometheus metrics on the status listener'),
    statusPort: port.default(8100).describe('Kong status API port (health: /status/ready)'),
    timeouts: z.object({ connect: timeout.default('5s'), read: timeout.default('60s'), write: timeout.default('60s') }).strict().prefault({}),
    retries: z.number().int().min(0).max(32767).default(2),
  })
  .strict();

const staticLocation = z
  .object({
    prefix: urlPath.refine((p) => p.endsWith('/'), { message: 'a static prefix ends with "/" (e.g. "/static/")' }),
    root: fsPath,
    expires: duration.default('7d'),
    immutable: z.boolean().default(false),
  })
  .strict();

const securityHeaders = z
  .object({
    contentTypeOptions: z.boolean().default(true),
    frameOptions: z.union([z.enum(['DENY', 'SAMEORIGIN']), z.literal(false)]).default('DENY'),
    referrerPolicy: z.union([z.enum(['no-referrer', 'same-origin', 'strict-origin', 'strict-origin-when-cross-origin', 'no-referrer-when-downgrade']), z.literal(false)])
      .default('strict-origin-when-cross-origin'),
    contentSecurityPolicy: headerValue.regex(/^[^"\\$%]*$/, { message: 'a CSP must not contain quotes, "\\", "$" or "%"' }).optional(),
  })
  .strict();

export const proxy = z
  .object({
    ...layerCommon,
    cache: cache.optional(),
    static: z.array(staticLocation).default([]),
    gzip: z.object({ enabled: z.boolean().default(true), types: z.array(mimeType).default(['application/json', 'text/plain', 'text/css', 'application/javascript']),
      minLength: z.number().int().min(0).default(1024) }).strict().prefault({}),
    forwardedHeaders: z.object({ realIp: z.boolean().default(true), forwardedFor: z.boolean().default(true),
      forwardedProto: z.boolean().default(true), host: z.boolean().default(true) }).strict().prefault({}),
    trustForwardedFrom: z.array(ipCidr).max(64).default([])
      .describe('addresses whose X-Forwarded-For is trusted (real_ip); the previous layers are trusted automatically'),
    securityHeaders: securityHeaders.prefault({}),
    serverTokens: z.boolean().default(false),
    clientMaxBodySize: z.string().regex(/^\d{1,6}[kmg]?$/).default('1m'),
    timeouts: z.object({ connect: timeout.default('5s'), read: timeout.default('60s'), send: timeout.default('60s'),
      clientHeader: timeout.default('10s'), clientBody: timeout.default('30s'), keepalive: timeout.default('65s') }).strict().prefault({}),
    keepalive: z.number().int().min(0).max(1024).default(32).describe('idle keepalive connections per upstream'),
    workerConnections: z.number().int().min(64).max(65535).default(4096),
    statusPort: port.default(8081).describe('loopback-only status listener: /healthz and stub_status'),
  })
  .strict();

const instance = z
  .object({ address, weight: z.number().int().min(0).max(256).default(1), backup: z.boolean().default(false) })
  .strict();

export const service = z
  .object({
    name: name('a service name'),
    instances: z.array(instance).min(1, { message: 'a service needs at least one instance' }),
    protocol: z.enum(['http', 'https']).default('http'),
    algorithm: z.enum(['roundrobin', 'leastconn', 'iphash', 'random', 'hash']).default('roundrobin'),
    healthCheck: healthCheck.optional(),
    timeouts: z.object({ connect: timeout.default('5s'), read: timeout.default('60s'), send: timeout.default('60s'),
      tunnel: timeout.default('1h').describe('idle timeout of an upgraded connection (WebSocket) once the upgrade went through; read and send govern ordinary requests') })
      .strict().prefault({}),
    retries: z.number().int().min(0).max(10).default(2),
  })
  .strict();

const match = z
  .object({
    path: z.string().min(1).max(1024),
    pathType: z.enum(['prefix', 'exact', 'regex']).default('prefix'),
    hosts: z.array(routeHost).max(64).default([]),
    methods: z.array(httpMethod).default([]),
    headers: z.record(headerName, z.array(headerValue.regex(/^[A-Za-z0-9._~:/ -]*$/, { message: 'a header match value holds only letters, digits, spaces and . _ ~ : / -' })).min(1).max(32)).default({}),
  })
  .strict();

/** A route's header transform is merged onto the gateway's: the route's wins for each header name it names. */
const ROUTE_TRANSFORM = (what: string, to: string) =>
  `${what} headers ${to} on this route (applied by the gateway layer), merged onto gateway.${what}Headers: the route's add entries ` +
  `override the gateway's for the same name, remove lists are unioned, a header the route removes drops the gateway's add of it, and a header the ` +
  `route adds is sent with the route's value even when a remove list names it (removed first, then added). false turns the gateway's off for the route`;

export const route = z
  .object({
    name: name('a route name'),
    match,
    service: name('a service reference'),
    stripPrefix: z.boolean().default(false),
    rewrite: urlPath.optional().describe('replace the matched prefix with this path'),
    auth: z.union([auth, z.literal(false)]).optional(),
    rateLimit: z.union([rateLimit, z.literal(false)]).optional(),
    cache: z.union([cache, z.literal(false)]).optional(),
    cors: z.union([cors, z.literal(false)]).optional(),
    requestHeaders: z.union([headerTransform, z.literal(false)]).optional().describe(ROUTE_TRANSFORM('request', 'sent to the service')),
    responseHeaders: z.union([headerTransform, z.literal(false)]).optional().describe(ROUTE_TRANSFORM('response', 'sent to the client')),
    timeouts: z.object({ connect: timeout.optional(), read: timeout.optional(), send: timeout.optional(),
      tunnel: timeout.optional().describe('idle timeout of an upgraded connection (WebSocket) on this route; default: the service\'s') }).strict().optional(),
  })
  .strict();

export const tls = z
  .object({
    strategy: z.enum(['terminate', 'passthrough', 'reencrypt']).describe(
      'terminate: the entry layer decrypts, inner hops are plain HTTP; passthrough: the load balancer forwards TLS untouched and the next layer decrypts; reencrypt: the entry layer decrypts and every inner hop is TLS again'),
    certificate: filePath,
    key: filePath,
    ca: filePath.optional().describe('CA bundle that inner hops verify when they re-encrypt; without it inner TLS is not verified'),
    profile: z.enum(['intermediate', 'modern']).default('intermediate'),
    redirectHttp: z.boolean().default(true),
    hsts: z.union([z.object({ maxAge: z.number().int().min(0).max(63072000).default(31536000), includeSubDomains: z.boolean().default(true),
      preload: z.boolean().default(false) }).strict(), z.literal(false)]).prefault({}),
  })
  .strict();

export const targets = z
  .object({
    nginx: z.string().regex(/^1\.\d{1,2}$/).default('1.27'),
    haproxy: z.string().regex(/^[23]\.\d{1,2}$/).default('2.8'),
    kong: z.literal('3.9').default('3.9'),
  })
  .strict();

export const spec = z
  .object({
    $schema: z.string().optional(),
    version: z.literal(1),
    name: name('the stack name'),
    targets: targets.prefault({}),
    tls: tls.optional(),
    loadBalancer: loadBalancer.optional(),
    gateway: gateway.optional(),
    proxy: proxy.optional(),
    lint: z
      .object({ rules: z.record(z.string().regex(/^[a-z][a-z0-9-]{1,63}$/), z.enum(['off', 'info', 'warn', 'error'])).default({}) })
      .strict()
      .optional()
      .describe('turn lint rules off or change their severity: lint: { rules: { rule-id: off|info|warn|error } }'),
    services: z.array(service).min(1, { message: 'a spec needs at least one service' }),
    routes: z.array(route).min(1, { message: 'a spec needs at least one route' }),
  })
  .strict();

export type Spec = z.infer<typeof spec>;
export type SpecInput = z.input<typeof spec>;

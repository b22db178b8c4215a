import type { Secret } from '../spec/primitives.js';
import type { Spec } from '../spec/schema.js';

/** The resolved model: everything the emitters, lint and runtimes read. Built once from a valid spec. */

export type LayerKind = 'loadBalancer' | 'gateway' | 'proxy';
export const LAYER_ORDER: readonly LayerKind[] = ['loadBalancer', 'gateway', 'proxy'];
export type PortKind = 'http' | 'https' | 'status';

/** Where a model element came from in the spec (for lint and error messages). */
/** Where a model element comes from in the spec (its position is looked up only when a finding needs it). */
export interface Origin { path: (string | number)[] }

export interface HealthCheck { path: string; intervalMs: number; timeoutMs: number; rise: number; fall: number; expectStatus: number }

export interface Layer<K extends LayerKind, S> {
  kind: K;
  instances: number;
  /** Listener ports this layer really uses, decided by the TLS strategy. */
  listen: { http?: number; https?: number; status?: number };
  /** Does this layer decrypt TLS on its https port? */
  terminatesTls: boolean;
  /** Does this layer reach the next hop over TLS? */
  upstreamTls: boolean;
  settings: S;
  origin: Origin;
}

export type LoadBalancerLayer = Layer<'loadBalancer', NonNullable<Spec['loadBalancer']>> & { passthrough: boolean };
export type GatewayLayer = Layer<'gateway', NonNullable<Spec['gateway']>>;
export type ProxyLayer = Layer<'proxy', NonNullable<Spec['proxy']>>;
export type AnyLayer = LoadBalancerLayer | GatewayLayer | ProxyLayer;

export interface ServiceInstance { index: number; address: string; host: string; port: number; weight: number; backup: boolean }

export interface Service {
  name: string;
  /** Identifier for engine configs: "svc_<name>" with "-" kept (names are validated to [a-z0-9-]). */
  id: string;
  protocol: 'http' | 'https';
  algorithm: 'roundrobin' | 'leastconn' | 'iphash' | 'random' | 'hash';
  instances: ServiceInstance[];
  healthCheck?: HealthCheck;
  /** tunnelMs: how long an upgraded connection (WebSocket) may idle. */
  timeouts: { connectMs: number; readMs: number; sendMs: number; tunnelMs: number };
  retries: number;
  origin: Origin;
}

export type AuthPolicy = NonNullable<Spec['gateway']>['auth'] & {};
export type RateLimitPolicy = NonNullable<NonNullable<Spec['gateway']>['rateLimit']>;
export type CachePolicy = NonNullable<NonNullable<Spec['proxy']>['cache']>;
export type CorsPolicy = NonNullable<NonNullable<Spec['gateway']>['cors']>;
export type HeaderTransform = NonNullable<NonNullable<Spec['gateway']>['requestHeaders']>;

/** A policy as it applies to one route, with where it was declared. */
export interface Applied<P> { policy: P; origin: Origin }

export interface Route {
  name: string;
  id: string;
  /** Position in the one total precedence order every emitter honours (0 = tried first). */
  order: number;
  specIndex: number;
  pathType: 'prefix' | 'exact' | 'regex';
  path: string;
  hosts: string[];
  methods: string[];
  headers: Record<string, string[]>;
  service: Service;
  stripPrefix: boolean;
  rewrite?: string;
  auth?: Applied<AuthPolicy>;
  rateLimit?: Applied<RateLimitPolicy>;
  /** Where the response cache for this route lives, if any. */
  cache?: Applied<CachePolicy> & { layer: 'gateway' | 'proxy' };
  cors?: Applied<CorsPolicy>;
  /** The gateway's transforms merged with the route's (model/headers.ts); routes with the same content share one object. */
  requestHeaders?: HeaderTransform;
  responseHeaders?: HeaderTransform;
  timeouts: { connectMs: number; readMs: number; sendMs: number; tunnelMs: number };
  origin: Origin;
}

export interface Consumer {
  name: string;
  customId?: string;
  keys: Secret[];
  jwt: { key: string; secret: Secret; algorithm: 'HS256' | 'HS384' | 'HS512' }[];
  origin: Origin;
}

export interface Tls {
  strategy: 'terminate' | 'passthrough' | 'reencrypt';
  certificate: string;
  key: string;
  ca?: string;
  profile: 'intermediate' | 'modern';
  redirectHttp: boolean;
  hsts: false | { maxAge: number; includeSubDomains: boolean; preload: boolean };
  origin: Origin;
}

export interface Model {
  name: string;
  /** The spec file name as given, for output headers. */
  source: string;
  targets: Spec['targets'];
  /** Present layers, outermost first. */
  chain: LayerKind[];
  loadBalancer?: LoadBalancerLayer;
  gateway?: GatewayLayer;
  proxy?: ProxyLayer;
  services: Service[];
  /** Routes in precedence order. */
  routes: Route[];
  consumers: Consumer[];
  tls?: Tls;
  /** Layers taken out of the chain for a local run (reported as bypassed, never as passed). */
  bypassed?: LayerKind[];
}

/** The layer after `kind` in the chain, or undefined when services come next. */
export function nextLayer(model: Model, kind: LayerKind): AnyLayer | undefined {
  const i = model.chain.indexOf(kind);
  const next = model.chain[i + 1];
  return next ? model[next] : undefined;
}

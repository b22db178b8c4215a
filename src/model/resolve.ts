import type { ParsedSpec } from '../spec/parse.js';
import { durationMs, splitHostPort } from '../spec/primitives.js';
import { routeTransform } from './headers.js';
import type { Spec } from '../spec/schema.js';
import type {
  AnyLayer, Consumer, GatewayLayer, HealthCheck, LayerKind, LoadBalancerLayer, Model, Origin, ProxyLayer, Route, Service,
} from './types.js';
import { LAYER_ORDER } from './types.js';

type Path = (string | number)[];

function healthCheck(h: NonNullable<Spec['services'][number]['healthCheck']> | undefined): HealthCheck | undefined {
  if (!h) return undefined;
  return { path: h.path, intervalMs: durationMs(h.interval), timeoutMs: durationMs(h.timeout), rise: h.rise, fall: h.fall, expectStatus: h.expectStatus };
}

/** The parts of a route's precedence that take work to compute, computed once per route (sorting compares each often). */
const ranks = new WeakMap<Route, { host: number; kind: number; constraints: number }>();
const KIND_RANK = { exact: 0, regex: 1, prefix: 2 };
function rankOf(r: Route): { host: number; kind: number; constraints: number } {
  let k = ranks.get(r);
  if (!k) {
    k = {
      host: r.hosts.length === 0 ? 2 : r.hosts.some((h) => h.startsWith('*')) ? 1 : 0,
      kind: KIND_RANK[r.pathType],
      constraints: (r.methods.length ? 1 : 0) + Object.keys(r.headers).length,
    };
    ranks.set(r, k);
  }
  return k;
}

/** Route precedence: host-specific first, then exact, regex (in spec order), prefix (longest first), then more constraints. */
export function routeOrder(a: Route, b: Route): number {
  const ra = rankOf(a);
  const rb = rankOf(b);
  return (
    ra.host - rb.host ||
    ra.kind - rb.kind ||
    (a.pathType === 'prefix' ? b.path.length - a.path.length : 0) ||
    (a.pathType === 'exact' ? (a.path < b.path ? -1 : a.path > b.path ? 1 : 0) : 0) ||
    rb.constraints - ra.constraints ||
    a.specIndex - b.specIndex
  );
}

/** Turn a valid spec into the model every later stage reads. */
export function resolve(spec: Spec, parsed: ParsedSpec): Model {
  const origin = (path: Path): Origin => ({ path });
  const present = LAYER_ORDER.filter((l) => spec[l]);
  const entry = present[0];
  const tls = spec.tls;

  const layer = <K extends LayerKind>(kind: K): AnyLayer | undefined => {
    const s = spec[kind];
    if (!s) return undefined;
    const idx = present.indexOf(kind);
    const isEntry = kind === entry;
    const strategy = tls?.strategy;
    let http: number | undefined = s.ports.http;
    let https: number | undefined;
    let terminates = false;
    if (strategy === 'terminate' && isEntry) { https = s.ports.https; terminates = true; }
    if (strategy === 'passthrough') {
      if (isEntry) https = s.ports.https;
      else if (idx === 1) { https = s.ports.https; terminates = true; http = undefined; }
    }
    if (strategy === 'reencrypt') {
      https = s.ports.https;
      terminates = true;
      if (!isEntry) http = undefined;
    }
    if (isEntry && tls && !tls.redirectHttp && strategy !== undefined) http = s.ports.http;
    const status = kind === 'loadBalancer' ? spec.loadBalancer!.stats?.port : kind === 'gateway' ? spec.gateway!.statusPort : spec.proxy!.statusPort;
    const upstreamTls = strategy === 'reencrypt' && idx < present.length - 1;
    const base = { kind, instances: s.instances, listen: { http, https, status }, terminatesTls: terminates, upstreamTls, settings: s, origin: origin([kind]) };
    return (kind === 'loadBalancer' ? { ...base, passthrough: strategy === 'passthrough' } : base) as unknown as AnyLayer;
  };

  const services: Service[] = spec.services.map((s, i) => ({
    name: s.name,
    id: `svc_${s.name}`,
    protocol: s.protocol,
    algorithm: s.algorithm,
    instances: s.instances.map((inst, j) => {
      // host without brackets ("::1" for "[::1]:8080"); each emitter writes an IPv6 host its own way.
      const { host, port } = splitHostPort(inst.address)!;
      return { index: j, address: inst.address, host, port, weight: inst.weight, backup: inst.backup };
    }),
    healthCheck: healthCheck(s.healthCheck),
    timeouts: { connectMs: durationMs(s.timeouts.connect), readMs: durationMs(s.timeouts.read), sendMs: durationMs(s.timeouts.send), tunnelMs: durationMs(s.timeouts.tunnel) },
    retries: s.retries,
    origin: origin(['services', i]),
  }));

  const gw = spec.gateway;
  const pick = <P>(routeValue: P | false | undefined, routePath: Path, layerValue: P | undefined, layerPath: Path) =>
    routeValue === false ? undefined
      : routeValue !== undefined ? { policy: routeValue, origin: origin(routePath) }
        : layerValue !== undefined ? { policy: layerValue, origin: origin(layerPath) } : undefined;

  const byName = new Map(services.map((s) => [s.name, s]));
  const routes: Route[] = spec.routes.map((r, i) => {
    const svc = byName.get(r.service)!;
    const cacheLayer: 'proxy' | 'gateway' = spec.proxy ? 'proxy' : 'gateway';
    const layerCache = spec.proxy ? spec.proxy.cache : gw?.cache;
    const cache = pick(r.cache, ['routes', i, 'cache'], layerCache, [cacheLayer, 'cache']);
    return {
      name: r.name,
      id: `route_${r.name}`,
      order: 0,
      specIndex: i,
      pathType: r.match.pathType,
      path: r.match.path,
      hosts: r.match.hosts,
      methods: r.match.methods,
      headers: r.match.headers,
      service: svc,
      stripPrefix: r.stripPrefix,
      rewrite: r.rewrite,
      auth: gw ? pick(r.auth, ['routes', i, 'auth'], gw.auth, ['gateway', 'auth']) : undefined,
      rateLimit: gw ? pick(r.rateLimit, ['routes', i, 'rateLimit'], gw.rateLimit, ['gateway', 'rateLimit']) : undefined,
      cors: gw ? pick(r.cors, ['routes', i, 'cors'], gw.cors, ['gateway', 'cors']) : undefined,
      cache: cache ? { ...cache, layer: cacheLayer } : undefined,
      requestHeaders: routeTransform(spec, i, 'requestHeaders'),
      responseHeaders: routeTransform(spec, i, 'responseHeaders'),
      timeouts: {
        connectMs: r.timeouts?.connect ? durationMs(r.timeouts.connect) : svc.timeouts.connectMs,
        readMs: r.timeouts?.read ? durationMs(r.timeouts.read) : svc.timeouts.readMs,
        sendMs: r.timeouts?.send ? durationMs(r.timeouts.send) : svc.timeouts.sendMs,
        tunnelMs: r.timeouts?.tunnel ? durationMs(r.timeouts.tunnel) : svc.timeouts.tunnelMs,
      },
      origin: origin(['routes', i]),
    };
  });
  routes.sort(routeOrder);
  routes.forEach((r, i) => { r.order = i; });

  const consumers: Consumer[] = (gw?.consumers ?? []).map((c, i) => ({
    name: c.name, customId: c.customId, keys: c.keys ?? [], jwt: c.jwt ?? [], origin: origin(['gateway', 'consumers', i]),
  }));

  return {
    name: spec.name,
    source: parsed.file.split('/').pop()!,
    targets: spec.targets,
    chain: present,
    loadBalancer: layer('loadBalancer') as LoadBalancerLayer | undefined,
    gateway: layer('gateway') as GatewayLayer | undefined,
    proxy: layer('proxy') as ProxyLayer | undefined,
    services,
    routes,
    consumers,
    tls: tls ? { ...tls, origin: origin(['tls']) } : undefined,
  };
}

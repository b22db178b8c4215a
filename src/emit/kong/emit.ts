import type { AddressPlan } from '../../model/plan.js';
import { nextLayer, type Model, type Service } from '../../model/types.js';
import { globalPlugins, routePlugins } from './plugins.js';
import { kongRouteEntity, staticRouteEntities } from './routes.js';
import { resolveSecret, type Env } from './secrets.js';
import { healthchecks } from './upstreams.js';
import { writeKongYaml } from './yaml-writer.js';
import { decodedPaths } from '../../model/paths.js';

type Entity = Record<string, unknown>;

export interface KongOutput {
  /** kong.yaml text (YAML 1.1, strings quoted, "3.0" format). */
  yaml: string;
  /** True when a secret from the environment was written into the file (write it 0600). */
  holdsSecrets: boolean;
  /** The declarative config as data (what the yaml text serializes). */
  config: Record<string, unknown>;
}

/** Kong declarative config for the gateway layer, built as data and serialized by the data writer (same bytes as the yaml package). */
export function emitKong(specModel: Model, plan: AddressPlan, env: Env): KongOutput {
  // Kong's router matches a path decoded except for reserved bytes: encoded route paths are written decoded.
  const model = decodedPaths(specModel);
  const gw = model.gateway!;
  const next = nextLayer(model, 'gateway');
  const upstreams: Entity[] = [];
  const services: Entity[] = [];
  let holdsSecrets = false;
  const ms = (n: number) => Math.max(1, n);

  // With a proxy behind, every Kong service goes to the proxy pool; the proxy picks the service instance.
  const proxyPool = next ? 'proxy-pool' : undefined;
  if (next) {
    const port = gw.upstreamTls ? 'https' : 'http';
    // Proxies that cache get each path from one instance (cache locality): consistent hashing on the path.
    const caching = next.instances > 1 && model.routes.some((r) => r.cache?.layer === 'proxy');
    upstreams.push({
      name: proxyPool,
      algorithm: caching ? 'consistent-hashing' : 'round-robin',
      ...(caching ? { hash_on: 'path' } : {}),
      ...healthchecks(undefined, 'proxy-pool'),
      targets: Array.from({ length: next.instances }, (_, i) => {
        const ep = plan.reach(next.kind, i, port);
        return { target: kongTarget(ep.host, ep.port), weight: 100 };
      }),
    });
  }
  const serviceUpstream = (s: Service): string => {
    if (proxyPool) return proxyPool;
    const name = `${s.name}-upstream`;
    if (!upstreams.some((u) => u.name === name)) {
      upstreams.push({
        name,
        algorithm: s.algorithm === 'leastconn' ? 'least-connections' : s.algorithm === 'iphash' || s.algorithm === 'hash' ? 'consistent-hashing' : 'round-robin',
        ...(s.algorithm === 'iphash' ? { hash_on: 'ip' } : s.algorithm === 'hash' ? { hash_on: 'path' } : {}),
        ...(s.healthCheck ? healthchecks(s.healthCheck) : {}),
        targets: s.instances.map((inst) => {
          const ep = plan.service(s.name, inst.index);
          return { target: kongTarget(ep.host, ep.port), weight: Math.max(0, inst.weight * 100) };
        }),
      });
    }
    return name;
  };

  const n = model.routes.length;
  const serviceByName = new Map<string, Entity>();
  const pluginMemo = new WeakMap();
  for (const r of model.routes) {
    const s = r.service;
    // A proxy behind the gateway does the path rewriting; otherwise Kong does it with strip_path and the service path.
    const rewrites = !next && (r.stripPrefix || r.rewrite) && r.pathType !== 'regex';
    // Kong keeps timeouts and the rewrite path on the service: a route that differs gets a service of its own.
    const ownTimeouts = r.timeouts.connectMs !== s.timeouts.connectMs || r.timeouts.readMs !== s.timeouts.readMs || r.timeouts.sendMs !== s.timeouts.sendMs;
    const svcName = (rewrites && r.rewrite) || ownTimeouts ? `${s.name}--${r.name}` : s.name;
    let svc = serviceByName.get(svcName);
    if (!svc) {
      const port = next ? (gw.upstreamTls ? next.listen.https! : next.listen.http!) : s.instances[0].port;
      svc = {
        name: svcName,
        protocol: next ? (gw.upstreamTls ? 'https' : 'http') : s.protocol,
        // Re-encrypted hops are verified against tls.ca (KONG_NGINX_PROXY_PROXY_SSL_TRUSTED_CERTIFICATE in kong.env).
        ...(next && gw.upstreamTls && model.tls?.ca ? { tls_verify: true } : {}),
        host: serviceUpstream(s),
        port,
        ...(rewrites && r.rewrite ? { path: r.rewrite } : {}),
        connect_timeout: ms(r.timeouts.connectMs),
        read_timeout: ms(r.timeouts.readMs),
        write_timeout: ms(r.timeouts.sendMs),
        retries: s.retries,
        routes: [] as Entity[],
      };
      services.push(svc);
      serviceByName.set(svcName, svc);
    }
    // Kong chooses as the model does: an expression with every condition, priority from the model's order (routes.ts).
    const route = kongRouteEntity(r, n, Boolean(rewrites));
    const plugins = routePlugins(r, pluginMemo);
    if (plugins.length) route.plugins = plugins;
    (svc.routes as Entity[]).push(route);
  }

  // Static files live on the proxy: the gateway forwards their prefixes untouched and unauthenticated.
  const statics = model.proxy?.settings.static ?? [];
  if (proxyPool && statics.length) {
    services.push({
      name: 'proxy-static',
      protocol: gw.upstreamTls ? 'https' : 'http',
      host: proxyPool,
      port: gw.upstreamTls ? next!.listen.https! : next!.listen.http!,
      routes: staticRouteEntities(statics.map((st) => st.prefix), n),
    });
  }

  const consumers = model.consumers.map((c) => {
    const entity: Entity = { username: c.name };
    if (c.customId) entity.custom_id = c.customId;
    if (c.keys.length) entity.keyauth_credentials = c.keys.map((k, i) => {
      const { value, fromEnv } = resolveSecret(k, env, `API key ${i + 1} of consumer "${c.name}"`);
      holdsSecrets ||= fromEnv;
      return { key: value };
    });
    if (c.jwt.length) entity.jwt_secrets = c.jwt.map((j) => {
      const { value, fromEnv } = resolveSecret(j.secret, env, `JWT secret "${j.key}" of consumer "${c.name}"`);
      holdsSecrets ||= fromEnv || typeof j.secret === 'string';
      return { key: j.key, secret: value, algorithm: j.algorithm };
    });
    if (c.keys.some((k) => typeof k === 'string')) holdsSecrets = true;
    return entity;
  });

  const sigs = new WeakMap<object, string>();
  const sig = (p: object) => {
    let text = sigs.get(p);
    if (text === undefined) sigs.set(p, (text = JSON.stringify(p)));
    return text;
  };
  for (const svc of services) hoistSharedPlugins(svc, sig);

  const config: Entity = {
    _format_version: '3.0',
    _transform: true,
    services,
    upstreams,
  };
  if (consumers.length) config.consumers = consumers;
  const plugins = globalPlugins(model);
  if (plugins.length) config.plugins = plugins;

  const text = writeKongYaml(config);
  return { yaml: `# generated by edgegen from ${model.source} (stack ${model.name}, layer gateway); do not edit\n${text}`, holdsSecrets, config };
}

/**
 * A plugin that every route of a service carries with the same config moves to the service: one plugin instance
 * instead of one per route (Kong applies it to each of those routes the same way; routes added later are not in the spec).
 */
function hoistSharedPlugins(svc: Entity, sig: (p: object) => string): void {
  const routes = svc.routes as Entity[];
  if (routes.length < 2) return;
  // Each plugin's content as text (computed once per plugin object; routes with one policy share its plugin).
  const sigs = routes.map((r) => ((r.plugins as Entity[] | undefined) ?? []).map(sig));
  const shared = new Set(sigs[0].filter((sig) => sigs.every((list) => list.includes(sig))));
  if (!shared.size) return;
  svc.plugins = (routes[0].plugins as Entity[]).filter((_, i) => shared.has(sigs[0][i]));
  routes.forEach((r, j) => {
    const rest = (r.plugins as Entity[]).filter((_, i) => !shared.has(sigs[j][i]));
    if (rest.length) r.plugins = rest;
    else delete r.plugins;
  });
}

/** A Kong upstream target: host:port, an IPv6 address in brackets ([::1]:8080). */
function kongTarget(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

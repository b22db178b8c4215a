import type { Model, Route } from '../../model/types.js';
import { durationMs } from '../../spec/primitives.js';
import { vaultReference } from './secrets.js';

type Plugin = { name: string; config: Record<string, unknown> };

/** One plugin object per policy object: routes that share a policy share its plugin (emitKong compares them cheaply). */
export type PluginMemo = WeakMap<object, Plugin>;

/** Kong plugins for one route's effective policies (route overrides already resolved in the model). */
export function routePlugins(r: Route, memo: PluginMemo = new WeakMap()): Plugin[] {
  const out: Plugin[] = [];
  const add = (policy: object, make: () => Plugin) => {
    let p = memo.get(policy);
    if (!p) memo.set(policy, (p = make()));
    out.push(p);
  };
  const auth = r.auth?.policy;
  if (auth?.type === 'key') {
    add(auth, () => ({ name: 'key-auth', config: { key_names: auth.keyNames.map((k) => k.toLowerCase()), key_in_header: true, key_in_query: auth.inQuery, key_in_body: false, hide_credentials: auth.hideCredentials, run_on_preflight: true } }));
  } else if (auth?.type === 'jwt') {
    add(auth, () => ({ name: 'jwt', config: { key_claim_name: auth.keyClaim, claims_to_verify: auth.claims, header_names: [auth.header.toLowerCase()], uri_param_names: [], cookie_names: [], secret_is_base64: false, run_on_preflight: true } }));
  }
  const rl = r.rateLimit?.policy;
  if (rl) add(rl, () => {
    const config: Record<string, unknown> = {
      limit_by: rl.by === 'route' ? 'service' : rl.by,
      policy: rl.policy,
      fault_tolerant: true,
      hide_client_headers: false,
      error_code: 429,
      error_message: 'API rate limit exceeded',
    };
    for (const p of ['second', 'minute', 'hour'] as const) if (rl[p] !== undefined) config[p] = rl[p];
    if (rl.policy === 'redis' && rl.redis) {
      config.redis = { host: rl.redis.host, port: rl.redis.port, database: rl.redis.database, timeout: 2000,
        ...(rl.redis.password ? { password: vaultReference(rl.redis.password) } : {}) };
    }
    return { name: 'rate-limiting', config };
  });
  const cache = r.cache?.layer === 'gateway' ? r.cache.policy : undefined;
  if (cache) {
    add(cache, () => ({ name: 'proxy-cache', config: {
      strategy: 'memory',
      cache_ttl: Math.max(1, Math.round(durationMs(cache.ttl) / 1000)),
      request_method: cache.methods,
      response_code: cache.statuses,
      content_type: cache.contentTypes,
      cache_control: false,
      vary_headers: cache.key.filter((k) => k.startsWith('header:')).map((k) => k.slice(7).toLowerCase()),
      response_headers: { age: true, 'X-Cache-Status': true, 'X-Cache-Key': false },
    } }));
  }
  const cors = r.cors?.policy;
  if (cors) {
    add(cors, () => ({ name: 'cors', config: { origins: cors.origins, methods: cors.methods, headers: cors.headers, exposed_headers: cors.exposedHeaders, credentials: cors.credentials, max_age: cors.maxAge, preflight_continue: false } }));
  }
  const rq = r.requestHeaders;
  if (rq && (Object.keys(rq.add).length || rq.remove.length)) {
    add(rq, () => ({ name: 'request-transformer', config: { remove: { headers: rq.remove }, add: { headers: Object.entries(rq.add).map(([k, v]) => `${k}:${v}`) } } }));
  }
  const rs = r.responseHeaders;
  if (rs && (Object.keys(rs.add).length || rs.remove.length)) {
    add(rs, () => ({ name: 'response-transformer', config: { remove: { headers: rs.remove }, add: { headers: Object.entries(rs.add).map(([k, v]) => `${k}:${v}`) } } }));
  }
  return out;
}

/** Plugins that apply to every request through the gateway. */
export function globalPlugins(model: Model): Plugin[] {
  const gw = model.gateway!.settings;
  const out: Plugin[] = [];
  if (gw.correlationId) out.push({ name: 'correlation-id', config: { header_name: gw.correlationId.header, generator: 'uuid#counter', echo_downstream: gw.correlationId.echo } });
  if (gw.metrics) out.push({ name: 'prometheus', config: { status_code_metrics: true, latency_metrics: true, bandwidth_metrics: true, upstream_health_metrics: true, per_consumer: false } });
  return out;
}

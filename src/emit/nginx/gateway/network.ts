import type { AddressPlan } from '../../../model/plan.js';
import { nextLayer, type Model, type Service } from '../../../model/types.js';
import { durationMs, isIpAddress } from '../../../spec/primitives.js';
import { idleTimeout, KEEPALIVE_REQUESTS, passiveHealth, SERVICE_IDLE_MS } from '../failover.js';
import { hostPort, ident, num, time, type NgxArg } from '../quote.js';
import type { MapBlock } from './values.js';

/** Addresses of the layers before the gateway (private ranges when they are host names): they may set X-Forwarded-For. */
export function trustedProxies(model: Model, plan: AddressPlan): string[] {
  const out = new Set<string>();
  for (const layer of model.chain.slice(0, model.chain.indexOf('gateway'))) for (let i = 0; i < model[layer]!.instances; i++) {
    const host = plan.reach(layer, i, model[layer]!.listen.http !== undefined ? 'http' : 'https').host;
    if (isIpAddress(host)) out.add(host);
    else ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'].forEach((x) => out.add(x));
  }
  return [...out].sort();
}

/**
 * Forwarding headers as Kong sends them: the client's X-Forwarded-For only from trusted previous layers (with the
 * PROXY protocol, or as the entry, only the client address), their X-Forwarded-Proto likewise, Host preserved.
 */
export function forwardingMaps(isEntry: boolean, proxyProtocol: boolean): MapBlock[] {
  const forwardedFor = isEntry || proxyProtocol ? ['default $remote_addr']
    : ['"" $realip_remote_addr', 'default "$http_x_forwarded_for, $realip_remote_addr"'];
  const m = (source: string, target: string, entries: string[]) => ({ source, target, entries }) as unknown as MapBlock;
  return [
    m('$http_x_forwarded_for', '$edgegen_forwarded_for', forwardedFor),
    m('$http_x_forwarded_proto', '$edgegen_forwarded_proto', ['default $scheme', ...(isEntry ? [] : ['https https', 'http http'])]),
    m('$http_host', '$edgegen_host', ['"" $host', 'default $http_host']),
  ];
}

function serviceUpstream(s: Service, plan: AddressPlan) {
  const balance = { roundrobin: '', leastconn: 'least_conn', iphash: 'ip_hash', random: 'random two least_conn', hash: 'hash $request_uri consistent' }[s.algorithm];
  const servers = s.instances.map((inst) => {
    const ep = plan.service(s.name, inst.index);
    const backup = inst.backup && !['hash', 'iphash', 'random'].includes(s.algorithm) ? ' backup' : '';
    return `${hostPort(ep.host, ep.port)} weight=${num(Math.max(1, inst.weight))} ${passiveHealth(s.healthCheck)}${backup}` as NgxArg;
  });
  return { name: ident(s.id), balance: balance || false, servers, ...reuse(time(SERVICE_IDLE_MS)) };
}

export const NEXT_LAYER_POOL = 'edgegen_next_layer';

/** The proxy layer has no active check from here: a failed instance is tried again with a live request after 5 s. */
const POOL_FAIL_TIMEOUT_MS = 5000;

/** Upstream keepalive (see ../failover.ts): idle connections close before the next server closes them. */
function reuse(idle: NgxArg) {
  return { keepalive: num(32), keepaliveTimeout: idle, keepaliveRequests: num(KEEPALIVE_REQUESTS) };
}

/** The next layer's instances as one pool (the proxy picks the service), or one upstream per routed service. */
export function upstreams(model: Model, plan: AddressPlan) {
  const next = nextLayer(model, 'gateway');
  if (!next) return model.services.filter((svc) => model.routes.some((r) => r.service === svc)).map((svc) => serviceUpstream(svc, plan));
  const port = model.gateway!.upstreamTls ? 'https' : 'http';
  const servers = Array.from({ length: next.instances }, (_, i) => {
    const ep = plan.reach(next.kind, i, port);
    return `${hostPort(ep.host, ep.port)} ${passiveHealth(undefined, POOL_FAIL_TIMEOUT_MS)}` as NgxArg;
  });
  const nextKeepalive = next.kind === 'proxy' ? durationMs(model.proxy!.settings.timeouts.keepalive) : 60_000;
  return [{ name: ident(NEXT_LAYER_POOL), balance: false as const, servers, ...reuse(idleTimeout(nextKeepalive)) }];
}

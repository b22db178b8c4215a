import { isPublicBind, isPublicIpv4 } from '../net.js';
import type { Finding, Rule } from '../types.js';

export const adminEndpointPublic: Rule = {
  id: 'admin-endpoint-public',
  defaultSeverity: 'warning',
  title: 'A stats or metrics endpoint listens on a public interface',
  rationale:
    "HAProxy's stats page and Prometheus /metrics, and Kong's status listener with metrics, publish the topology: backend " +
    'names and addresses, instance health, traffic per route and consumer. They have no authentication. Bound to 0.0.0.0 on ' +
    'the entry host, or to a public address, they hand that map to anyone on the internet and add an unauthenticated ' +
    'endpoint to the attack surface.',
  fix:
    'Bind the endpoint to loopback or a private management address (loadBalancer.stats.bind: 127.0.0.1 or 10.x; gateway.bind ' +
    'on a private address) and scrape it from inside.',
  check({ model }) {
    const out: Finding[] = [];
    const stats = model.loadBalancer?.settings.stats;
    if (stats && isPublicBind(stats.bind)) {
      out.push({ path: ['loadBalancer', 'stats', 'bind'],
        message: `HAProxy stats (${stats.path}) and Prometheus /metrics listen on ${stats.bind}:${stats.port} of the entry layer, reachable from the internet` });
    }
    const gw = model.gateway;
    // The gateway's status listener stays on loopback when the gateway is the entry; behind a balancer it uses gateway.bind
    // (all interfaces of an inner host by default, which the load balancer's health checks need).
    const statusBind = gw && model.chain[0] !== 'gateway' ? gw.settings.bind : undefined;
    if (gw?.settings.metrics && statusBind && isPublicIpv4(statusBind)) {
      out.push({ path: ['gateway', 'metrics'],
        message: `Kong serves Prometheus metrics on its status listener ${statusBind}:${gw.settings.statusPort}, a public address` });
    }
    return out;
  },
};

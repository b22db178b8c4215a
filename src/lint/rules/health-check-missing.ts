import { LAYER_ENGINE, routedServices, serviceFacingLayer, serviceIndex } from '../chain.js';
import type { Finding, Rule } from '../types.js';

export const healthCheckMissing: Rule = {
  id: 'health-check-missing',
  defaultSeverity: 'warning',
  title: 'A pool of several instances has no active health check',
  rationale:
    'A balancer that does not probe its pool\'s health keeps sending each instance its share of requests after it hung or ' +
    'stopped serving: an instance that still accepts connections is never taken out. Without loadBalancer.healthCheck HAProxy ' +
    "only checks that each instance accepts TCP connections (a crashed one leaves at its first refused connection), and Kong " +
    "adds no active check to a service's upstream without the service's healthCheck. (NGINX open source has passive checks " +
    "only, so a pool reached by the proxy is not flagged; a service's healthCheck there sets fail_timeout.)",
  fix:
    'Add loadBalancer.healthCheck for the next layer, or a healthCheck (path, interval, rise, fall) on the service, pointing at ' +
    'an endpoint that fails when the instance cannot serve.',
  check({ model }) {
    const out: Finding[] = [];
    const lb = model.loadBalancer;
    const next = model.chain[1];
    if (lb && next && model[next]!.instances > 1 && !lb.settings.healthCheck) {
      out.push({ path: ['loadBalancer'], message: `the load balancer spreads requests over ${model[next]!.instances} ${next} instances without a health check (HAProxy only sees whether they accept connections)` });
    }
    const last = serviceFacingLayer(model);
    if (last === 'proxy') return out;
    for (const s of routedServices(model)) {
      if (s.instances.length > 1 && !s.healthCheck) {
        out.push({ path: ['services', serviceIndex(s)],
          message: `service "${s.name}" has ${s.instances.length} instances but no healthCheck: ${LAYER_ENGINE[last]} (${last}) ${last === 'loadBalancer' ? 'only sees whether they accept connections' : 'never probes them'}` });
      }
    }
    return out;
  },
};

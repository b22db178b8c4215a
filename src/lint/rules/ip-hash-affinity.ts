import { routedServices, serviceIndex } from '../chain.js';
import type { Finding, Rule } from '../types.js';

export const ipHashAffinity: Rule = {
  id: 'ip-hash-affinity',
  defaultSeverity: 'info',
  title: 'Balancing by client IP skews load behind shared NATs',
  rationale:
    'Source-IP hashing sends every client behind one address to the same instance. Corporate networks, mobile carriers ' +
    '(carrier-grade NAT) and other proxies put thousands of users behind a handful of addresses, so one instance takes a ' +
    'whole office or carrier while others idle, and the affinity it gives is no substitute for shared session state.',
  fix:
    'Prefer roundrobin or leastconn with stateless instances; if affinity is really needed, hash on something per user (a ' +
    'header or cookie) at a layer that sees HTTP.',
  check({ model }) {
    const out: Finding[] = [];
    const lb = model.loadBalancer;
    if (lb?.settings.algorithm === 'source') {
      out.push({ path: ['loadBalancer', 'algorithm'], message: `the load balancer hashes on the client IP: every client behind one NAT lands on the same ${model.chain[1] ?? 'service'} instance` });
    }
    for (const s of routedServices(model)) {
      if (s.algorithm === 'iphash' && s.instances.length > 1) {
        out.push({ path: ['services', serviceIndex(s), 'algorithm'], message: `service "${s.name}" is balanced by client IP: every client behind one NAT lands on the same instance` });
      }
    }
    return out;
  },
};

import type { Rule } from '../types.js';

const L7_ALGORITHMS = { uri: 'the request URI', header: 'a request header' } as const;

export const passthroughL7Feature: Rule = {
  id: 'passthrough-l7-feature',
  defaultSeverity: 'error',
  title: 'A passthrough load balancer is asked to balance on HTTP data it cannot see',
  rationale:
    'Under strategy "passthrough" HAProxy forwards the TLS stream untouched at layer 4: it never sees the path, the headers or ' +
    'the cookies inside. Layer-7 features configured there (URI or header hashing; cookie stickiness is already rejected by ' +
    'validation) cannot work: HAProxy falls back to plain round robin on the TLS connections, so the affinity the spec asks for ' +
    'silently does not happen.',
  fix:
    'Balance the passthrough pool with algorithm: source (or roundrobin/leastconn), and move URI or header based affinity to a ' +
    'layer that decrypts; or let the load balancer terminate TLS (strategy terminate or reencrypt) if it must see HTTP.',
  check({ model }) {
    const lb = model.loadBalancer;
    if (!lb?.passthrough) return [];
    const algorithm = lb.settings.algorithm;
    if (algorithm !== 'uri' && algorithm !== 'header') return [];
    const what = algorithm === 'header' ? `${L7_ALGORITHMS.header} (${lb.settings.hashHeader})` : L7_ALGORITHMS.uri;
    return [{
      path: ['loadBalancer', 'algorithm'],
      message: `algorithm "${algorithm}" hashes on ${what}, but with tls.strategy passthrough the load balancer only sees encrypted TCP`,
    }];
  },
};

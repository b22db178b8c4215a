import { layerHops, routedServices, serviceIndex } from '../chain.js';
import type { Finding, Rule } from '../types.js';

export const tlsPlaintextBeforeTls: Rule = {
  id: 'tls-plaintext-before-tls',
  defaultSeverity: 'warning',
  title: 'A service that requires TLS receives requests that crossed plain HTTP on the way',
  rationale:
    'A service declared with protocol: https says its traffic must be encrypted. When an earlier hop of the chain is plain HTTP ' +
    '(the client hop without TLS, or an inner hop under strategy terminate or after a passthrough layer), the same request, with ' +
    'its credentials and payload, has already travelled in clear text before it is encrypted again for the service: the ' +
    'encryption of the last hop protects nothing the earlier hop did not already expose.',
  fix:
    'Use tls.strategy: reencrypt so every inner hop is TLS (with tls.ca to verify it), or, if the inner network is trusted and ' +
    'the service does not need TLS, set the service to protocol: http.',
  check({ model }) {
    const plain = layerHops(model).filter((h) => !h.tls);
    if (plain.length === 0) return [];
    const where = plain.map((h) => `${h.from} -> ${h.to}`).join(', ');
    return routedServices(model)
      .filter((s) => s.protocol === 'https')
      .map((s): Finding => ({
        path: ['services', serviceIndex(s), 'protocol'],
        message: `service "${s.name}" is reached over TLS (protocol: https), but its requests already crossed plain HTTP on ${where}`,
      }));
  },
};

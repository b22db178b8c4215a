import type { Rule } from '../types.js';

export const tlsTerminatedTwice: Rule = {
  id: 'tls-terminated-twice',
  defaultSeverity: 'warning',
  title: 'TLS is decrypted at several layers but the re-encrypted hops are not verified',
  rationale:
    'With strategy "reencrypt" every layer decrypts TLS again, so each one holds the edge private key and pays a handshake per ' +
    'connection. That cost buys something only when the inner hops are authenticated: without tls.ca the load balancer and ' +
    'gateway connect to the next layer with certificate verification off, so anyone on the inner network who can answer on ' +
    "the next layer's address reads and rewrites the traffic, exactly as if the hop were plain HTTP.",
  fix:
    'Set tls.ca to the CA that signed the inner layers\' certificates so every re-encrypted hop is verified; or, when the inner ' +
    'network is trusted, terminate once (strategy: terminate) or forward TLS to the layer that needs it (strategy: passthrough).',
  check({ model }) {
    const tls = model.tls;
    if (!tls || tls.strategy !== 'reencrypt' || tls.ca) return [];
    const decrypting = model.chain.filter((k) => model[k]!.terminatesTls);
    if (decrypting.length < 2) return [];
    return [{
      path: ['tls', 'strategy'],
      message: `TLS is decrypted ${decrypting.length} times (${decrypting.join(', ')}) but the re-encrypted hops are not verified (no tls.ca): ` +
        'each layer holds the edge key and none can tell the next layer from an impostor',
    }];
  },
};

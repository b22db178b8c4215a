import type { LayerKind, Model } from '../model/types.js';

/** Mozilla server-side TLS profiles (https://ssl-config.mozilla.org), without DHE suites so no dhparam file is needed. */
export const TLS_PROFILES = {
  intermediate: {
    protocols: ['TLSv1.2', 'TLSv1.3'],
    ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305',
  },
  modern: { protocols: ['TLSv1.3'], ciphers: '' },
} as const;

export function hstsValue(h: { maxAge: number; includeSubDomains: boolean; preload: boolean }): string {
  return `max-age=${h.maxAge}${h.includeSubDomains ? '; includeSubDomains' : ''}${h.preload ? '; preload' : ''}`;
}

/**
 * The layer that sends Strict-Transport-Security: the first one that speaks HTTP to the client after its TLS is
 * decrypted. That is the entry when it terminates TLS; under passthrough the layer behind the load balancer (which
 * decrypts); behind a load balancer that decrypts in tcp mode (it cannot add headers), the next layer. Undefined
 * without TLS or HSTS, or when no layer can (a tcp load balancer straight to the services).
 */
export function hstsLayer(model: Model): LayerKind | undefined {
  if (!model.tls?.hsts) return undefined;
  const at = model.chain.findIndex((k) => model[k]!.terminatesTls);
  if (at < 0) return undefined;
  const kind = model.chain[at];
  return kind === 'loadBalancer' && model.loadBalancer!.settings.mode === 'tcp' ? model.chain[at + 1] : kind;
}

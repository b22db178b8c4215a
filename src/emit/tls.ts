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

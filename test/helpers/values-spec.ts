/** A header value a nginx emitter could misread: "$" before a digit (a capture), a real variable, a braced name. */
export const PRICE = '$5.00 for $host and ${HOME}';

/**
 * Issue 16's values in one stack: HAProxy terminating TLS with a certificate under a directory with a space, the NGINX
 * gateway engine with a consumer named by an email address and a "$" header value, a service at an IPv6 address.
 */
export const VALUES_SPEC = [
  'version: 1', 'name: values',
  'tls: { strategy: terminate, certificate: "/etc/edge certs/edge.crt", key: "/etc/edge certs/edge.key" }',
  'loadBalancer: { ports: { http: 80, https: 443 } }',
  'gateway:', '  engine: nginx', '  ports: { http: 8000 }',
  '  auth: { type: key }',
  '  consumers: [{ name: alice@example.com, keys: [alice-key] }]',
  `  requestHeaders: { add: { X-Price: '${PRICE}' } }`,
  'services:',
  '  - name: shop',
  '    instances: [{ address: "[2001:db8::10]:8080" }] # edgegen-lint-disable-line single-instance -- a test stack',
  'routes:',
  '  - { name: shop, match: { path: /shop }, service: shop }',
].join('\n');

/** A versioned API on the NGINX gateway engine: v2 and v3 add their own X-API-Version, the gateway adds X-Edge everywhere. */
export const ROUTE_HEADERS_SPEC = [
  'version: 1', 'name: route-headers',
  'gateway:', '  engine: nginx', '  ports: { http: 8000 }',
  '  requestHeaders: { add: { X-Edge: gw }, remove: [X-Debug] }',
  '  responseHeaders: { add: { X-Served-By: edgegen } }',
  'services:',
  '  - name: app',
  '    instances: [{ address: 127.0.0.1:3000 }] # edgegen-lint-disable-line single-instance -- a test stack',
  'routes:',
  '  - name: v2',
  '    match: { path: /api/v2 }',
  '    service: app',
  '    requestHeaders: { add: { X-API-Version: "2", X-Debug: route-v2 } }',
  '    responseHeaders: { add: { X-Route: v2 } }',
  '  - name: v3',
  '    match: { path: /api/v3 }',
  '    service: app',
  '    requestHeaders: { add: { X-API-Version: "3" } }',
  '  - { name: api, match: { path: /api }, service: app }',
  '  - { name: bare, match: { path: /bare }, service: app, requestHeaders: false, responseHeaders: false }',
  // A header the gateway sets itself: the route's add cannot show (smoke reports it not run).
  '  - { name: fwd, match: { path: /fwd }, service: app, requestHeaders: { add: { X-Forwarded-Host: spoofed.example } } }',
].join('\n');

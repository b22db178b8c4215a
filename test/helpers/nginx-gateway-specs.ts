/** Every gateway policy the nginx engine supports, with route overrides, hosts, methods, headers and regex paths. */
export const POLICIES_SPEC = `version: 1
name: gw-policies
gateway:
  engine: nginx
  ports: { http: 8000 }
  auth: { type: key, keyNames: [apikey, X-Api-Key], inQuery: true }
  rateLimit: { second: 10, minute: 100, hour: 1000, by: consumer }
  cors: { origins: ["https://app.example.com", "https://admin.example.com:8443"], credentials: true, exposedHeaders: [X-Request-ID] }
  requestHeaders: { add: { X-Gateway: "edge 1" }, remove: [X-Debug] }
  responseHeaders: { add: { X-Served-By: edgegen }, remove: [X-Powered-By] }
  correlationId: { header: X-Correlation-ID }
  cache: { ttl: 10s, key: [method, host, uri, "header:Accept"] }
  metrics: true
  consumers:
    - name: alice
      customId: alice-42
      keys: [alice-key]
      jwt: [{ key: alice-issuer, secret: alice-secret, algorithm: HS384 }]
services:
  - name: users
    instances: [{ address: users-1:3000 }, { address: users-2:3000, backup: true }]
  - name: files
    protocol: https
    algorithm: leastconn
    instances: [{ address: files-1:8443 }]
routes:
  - name: users-read
    match: { path: /users, methods: [GET], headers: { X-Version: ["2"] } }
    service: users
  - name: users
    match: { path: /users }
    service: users
    rateLimit: { minute: 5, by: ip }
  - name: tokens
    match: { path: /tokens, hosts: [api.example.com] }
    service: users
    auth: { type: jwt, claims: [exp, nbf] }
    rateLimit: { minute: 20, by: route }
    cors: { origins: ["*"] }
  - name: files
    match: { path: "^/files/[0-9]+$", pathType: regex }
    service: files
    auth: false
    cache: false
    cors: false
  - name: status
    match: { path: /status, pathType: exact }
    service: users
    rewrite: /healthz
    rateLimit: false
`;

/** The live test's gateway: key auth with a 5/min limit, JWT (HS256 and HS512), CORS, header transforms. */
export const LIVE_SPEC = `version: 1
name: gw-live
gateway:
  engine: nginx
  ports: { http: 8000 }
  correlationId: { header: X-Request-ID }
  requestHeaders: { add: { X-Gateway: "nginx edge" } }
  responseHeaders: { add: { X-Served-By: edgegen }, remove: [X-Upstream-Secret] }
  metrics: true
  consumers:
    - name: alice
      customId: alice-42
      keys: [alice-live-key]
    - name: jwt-user
      jwt: [{ key: hs256-issuer, secret: hs256-secret }]
    - name: jwt-user-512
      jwt: [{ key: hs512-issuer, secret: hs512-secret-that-is-long, algorithm: HS512 }]
services:
  - name: echo
    instances: [{ address: echo-1:3000 }]
routes:
  - name: keyed
    match: { path: /keyed }
    service: echo
    auth: { type: key, keyNames: [apikey], inQuery: true }
    rateLimit: { minute: 5, by: consumer }
  - name: tokens
    match: { path: /jwt }
    service: echo
    auth: { type: jwt, claims: [exp, nbf] }
  - name: open
    match: { path: /open }
    service: echo
    stripPrefix: true
    cors: { origins: ["https://app.example.com", "https://admin.example.com"], credentials: true }
  - name: burst
    match: { path: /burst }
    service: echo
    rateLimit: { second: 3, by: ip }
`;

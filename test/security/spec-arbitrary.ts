import fc from 'fast-check';

/**
 * Valid-by-construction specs for the property tests: random layers, TLS strategy, services, routes and policies,
 * with field values drawn from each field's full grammar (quotes, ";", "(", "'", "#", "{", "%" where allowed), and
 * every cross-field rule of src/spec/references.ts honoured. A spec this generates that edgegen refuses is a bug in
 * one of the two, and the property test prints it.
 */

type G = fc.GeneratorValue;
type Obj = Record<string, unknown>;

const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const ALNUM = `${LOWER}0123456789`;
const PATH_CHARS = `${ALNUM}ABCXYZ_~!&'()*+,;=:@-`;
const HEADER_MATCH_CHARS = `${ALNUM}._~:/ -`;
/** Printable ASCII without "$" (header values). */
const TEXT_CHARS = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).filter((c) => c !== '$').join('');
const CSP_CHARS = TEXT_CHARS.replace(/["\\%]/g, '');
/** Header values take "$" too (never "$(": a Kong template, nor "${{": decK). */
const HEADER_CHARS = `${TEXT_CHARS}$$$`;
const headerValue = (g: G) => str(g, HEADER_CHARS, 1, 40).replace(/\$\(/g, '$x(').replace(/\$\{\{/g, '${x{');
const SECRET_CHARS = Array.from({ length: 94 }, (_, i) => String.fromCharCode(33 + i)).join('');

const units = new Map<string, fc.Arbitrary<string>>();
const unit = (chars: string) => units.get(chars) ?? units.set(chars, fc.constantFrom(...chars)).get(chars)!;
const str = (g: G, chars: string, min: number, max: number) => g(fc.string, { unit: unit(chars), minLength: min, maxLength: max });
const pick = <T>(g: G, items: readonly T[]): T => g(fc.constantFrom, ...items);
const int = (g: G, min: number, max: number) => g(fc.integer, { min, max });
const bool = (g: G) => g(fc.boolean);
const maybe = <T>(g: G, make: () => T): T | undefined => (bool(g) ? make() : undefined);

const label = (g: G) => str(g, LOWER, 1, 1) + str(g, ALNUM, 0, 6);
const dnsName = (g: G) => `${label(g)}.${label(g)}${bool(g) ? `.${label(g)}` : ''}`;
const ipv4 = (g: G) => [int(g, 1, 223), int(g, 0, 255), int(g, 0, 255), int(g, 1, 254)].join('.');
/** A documentation-range IPv6 address, compressed ("2001:db8::a:1") or full. */
const ipv6 = (g: G) => (bool(g) ? `2001:db8::${int(g, 0, 65535).toString(16)}:${int(g, 1, 65535).toString(16)}` : `2001:db8:${Array.from({ length: 6 }, () => int(g, 0, 65535).toString(16)).join(':')}`);
/** A service address: DNS name, IPv4, or bracketed IPv6, with a port. */
const instanceAddress = (g: G) => `${pick(g, [0, 1, 2]) === 2 ? `[${ipv6(g)}]` : bool(g) ? dnsName(g) : ipv4(g)}:${int(g, 1, 65535)}`;
const duration = (g: G, units: string[] = ['ms', 's', 'm']) => `${int(g, 1, 600)}${pick(g, units)}`;
const headerName = (g: G) => `X-${str(g, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 1, 6)}${bool(g) ? `-${str(g, 'abc123', 1, 3)}` : ''}`;

/** '/' and 1-3 segments of URL path characters, never "." or "..". */
function urlPath(g: G, trailingSlash = bool(g)): string {
  const segs = Array.from({ length: int(g, 1, 3) }, () => {
    const s = str(g, PATH_CHARS, 1, 8);
    return s === '.' || s === '..' ? 'x' : s;
  });
  return `/${segs.join('/')}${trailingSlash ? '/' : ''}`;
}

/** A route path, sometimes with percent-encoded bytes a client must encode (issue 16): "%20", "%C3%A9", "%7B". */
function routePath(g: G): string {
  const p = urlPath(g);
  if (!bool(g)) return p;
  const cut = p.indexOf('/', 1) > 0 ? p.indexOf('/', 1) : p.length;
  return `${p.slice(0, cut)}${pick(g, ['%20', '%C3%A9', '%7B%7D', '%E2%82%AC'])}${p.slice(cut)}`;
}

/** A path regex from pieces every engine agrees on. */
function regexPath(g: G): string {
  const lit = () => str(g, `${ALNUM}-_`, 1, 6);
  const piece = () => pick(g, [lit(), '[0-9]+', '[a-z-]+', '\\d{2,4}', `(${lit()}|${lit()})`, '[^/]+', `${lit()}?`, '.*']);
  const parts = Array.from({ length: int(g, 1, 3) }, piece);
  return `^/${lit()}${parts.map((p) => `/${p}`).join('')}${pick(g, ['', '$', '/?$'])}`;
}

function routeHost(g: G): string {
  return bool(g) && bool(g) ? `*.${dnsName(g)}` : dnsName(g);
}

interface Layout { chain: ('loadBalancer' | 'gateway' | 'proxy')[]; tls?: 'terminate' | 'passthrough' | 'reencrypt' }

function layout(g: G): Layout {
  const chain = pick(g, [['proxy'], ['gateway'], ['loadBalancer'], ['loadBalancer', 'proxy'], ['loadBalancer', 'gateway'], ['gateway', 'proxy'], ['loadBalancer', 'gateway', 'proxy']] as Layout['chain'][]);
  const strategies: (Layout['tls'] | undefined)[] = [undefined, 'terminate'];
  if (chain.length > 1) strategies.push('reencrypt');
  if (chain[0] === 'loadBalancer' && chain.length > 1) strategies.push('passthrough');
  return { chain, tls: pick(g, strategies) };
}

function ports(g: G, l: Layout, layer: Layout['chain'][number], redirect: boolean): Obj {
  const i = l.chain.indexOf(layer);
  const [http, https] = g(fc.uniqueArray, fc.integer({ min: 1024, max: 7999 }), { minLength: 2, maxLength: 2 }) as number[];
  const p: Obj = {};
  if (!l.tls) p.http = http;
  else if (i === 0) {
    p.https = https;
    // Passthrough forwards no plain HTTP: an http port on the load balancer must redirect.
    if (redirect || (l.tls !== 'passthrough' && bool(g))) p.http = http;
  } else if (l.tls === 'reencrypt' || (l.tls === 'passthrough' && i === 1)) p.https = https;
  else p.http = http;
  return p;
}

const secret = (g: G, env: Record<string, string>, prefix: string): unknown => {
  if (bool(g)) return `${prefix}${str(g, SECRET_CHARS, 8, 24)}`.replace(/^\{vault:/i, 'v').replaceAll('${{', '$-{');
  const name = `${prefix.toUpperCase().replace(/-/g, '_')}${Object.keys(env).length}`;
  env[name] = `${prefix}-${str(g, ALNUM, 8, 16)}`;
  return { env: name };
};

export interface GeneratedSpec { spec: Obj; env: Record<string, string> }

export const validSpec: fc.Arbitrary<GeneratedSpec> = fc.gen().map((g) => {
  const l = layout(g);
  const env: Record<string, string> = {};
  const spec: Obj = { version: 1, name: label(g), targets: { nginx: pick(g, ['1.22', '1.27']), haproxy: pick(g, ['2.6', '2.8']) } };
  const redirect = bool(g);
  if (l.tls) {
    // A directory with a space, except where Kong may read the files (it writes the paths into its nginx.conf unquoted).
    const base = `/etc/${label(g)}${!l.chain.includes('gateway') && bool(g) ? ' certs' : ''}/${str(g, `${ALNUM}._+@-`, 1, 8).replace(/^-/, 'x')}`;
    spec.tls = { strategy: l.tls, certificate: `${base}.crt`, key: `${base}.key`, ...(l.tls === 'reencrypt' && bool(g) ? { ca: `${base}-ca.crt` } : {}),
      profile: pick(g, ['intermediate', 'modern']), redirectHttp: redirect, hsts: bool(g) ? false : { maxAge: int(g, 0, 63072000), includeSubDomains: bool(g), preload: bool(g) } };
  }
  const instances: Record<string, number> = {};
  for (const layer of l.chain) {
    const n = int(g, 1, 3);
    instances[layer] = n;
    const o: Obj = { instances: n, ports: ports(g, l, layer, redirect) };
    if (bool(g)) o.hosts = g(fc.uniqueArray, fc.constantFrom(...Array.from({ length: 9 }, (_, i) => `${layer.toLowerCase()}-host-${i}`)), { minLength: n, maxLength: n });
    spec[layer] = o;
  }

  const gwEngine = l.chain.includes('gateway') ? pick(g, ['kong', 'nginx'] as const) : undefined;
  // Open finding (regressions.test.ts): the nginx gateway writes fail_timeout in milliseconds, which nginx refuses.
  const intervalUnits = gwEngine === 'nginx' ? ['s', 'm'] : ['ms', 's', 'm'];
  const services = g(fc.uniqueArray, fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/), { minLength: 1, maxLength: 4 }) as string[];
  spec.services = services.map((name) => ({
    name,
    // A service needs one instance that is not a backup.
    instances: Array.from({ length: int(g, 1, 3) }, (_, j) => ({ address: instanceAddress(g), weight: int(g, 0, 256), backup: j > 0 && bool(g) })),
    protocol: pick(g, ['http', 'https']),
    algorithm: pick(g, ['roundrobin', 'leastconn', 'iphash', 'random', 'hash']),
    ...(bool(g) ? { healthCheck: { path: urlPath(g), interval: duration(g, intervalUnits), timeout: duration(g, ['ms', 's']), rise: int(g, 1, 10), fall: int(g, 1, 10), expectStatus: int(g, 100, 599) } } : {}),
    timeouts: { connect: duration(g), read: duration(g), send: duration(g) },
    retries: int(g, 0, 10),
  }));

  const gw = spec.gateway as Obj | undefined;
  const authType = gw ? pick(g, [undefined, 'key', 'jwt'] as const) : undefined;
  const auth = (t: 'key' | 'jwt') => (t === 'key'
    ? { type: 'key', keyNames: g(fc.uniqueArray, fc.constantFrom('apikey', 'X-Api-Key', 'key'), { minLength: 1, maxLength: 2 }), hideCredentials: bool(g) }
    : { type: 'jwt', claims: pick(g, [['exp'], ['exp', 'nbf']]), keyClaim: pick(g, ['iss', 'kid']) });
  const rateLimit = () => {
    const second = maybe(g, () => int(g, 1, 50));
    const minute = bool(g) || second === undefined ? (second ?? 1) * int(g, 1, 60) : undefined;
    // The nginx gateway engine has no shared counter store: redis is a validation error there.
    const redis = gwEngine !== 'nginx' && bool(g);
    return { ...(second !== undefined ? { second } : {}), ...(minute !== undefined ? { minute } : {}), ...(bool(g) ? { hour: (minute ?? second ?? 1) * 60 } : {}),
      by: pick(g, ['consumer', 'ip', 'route']), policy: redis ? 'redis' : 'local',
      ...(redis ? { redis: { host: dnsName(g), port: int(g, 1, 65535), ...(bool(g) ? { password: secret(g, env, 'redis') } : {}), database: int(g, 0, 15) } } : {}) };
  };
  const cors = () => ({ origins: bool(g) ? ['*'] : [`https://${dnsName(g)}`, `http://${dnsName(g)}:${int(g, 1, 65535)}`], credentials: bool(g), maxAge: int(g, 0, 86400),
    headers: g(fc.uniqueArray, fc.constantFrom('Authorization', 'X-Request-ID', 'Content-Type'), { maxLength: 3 }) });
  const cache = () => ({ ttl: duration(g, ['s', 'm', 'h', 'd']), methods: pick(g, [['GET'], ['GET', 'HEAD'], ['GET', 'HEAD', 'POST']]), statuses: [200, ...(bool(g) ? [404] : [])],
    key: ['scheme', 'method', 'host', 'uri', ...(bool(g) ? [`header:${headerName(g)}`] : [])], size: `${int(g, 1, 512)}m`, maxSize: `${int(g, 1, 100)}g`, statusHeader: headerName(g) });
  const headers = () => ({ add: Object.fromEntries(Array.from({ length: int(g, 0, 3) }, () => [headerName(g), headerValue(g)])), remove: g(fc.uniqueArray, fc.constantFrom('Server', 'X-Powered-By', 'Via'), { maxLength: 2 }) });

  if (gw) {
    gw.engine = gwEngine;
    if (authType) gw.auth = auth(authType);
    if (bool(g)) gw.rateLimit = rateLimit();
    if (bool(g)) gw.cors = cors();
    if (bool(g)) gw.cache = cache();
    if (bool(g)) gw.requestHeaders = headers();
    if (bool(g)) gw.responseHeaders = headers();
    if (bool(g)) gw.correlationId = { header: headerName(g), echo: bool(g) };
    gw.metrics = bool(g);
    if (authType) {
      const names = g(fc.uniqueArray, fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/), { minLength: 1, maxLength: 3 }) as string[];
      gw.consumers = names.map((name, i) => ({ name: bool(g) ? `${name}@example.com` : name, ...(bool(g) ? { customId: str(g, `${ALNUM}._~-`, 1, 12) } : {}),
        ...(authType === 'key' ? { keys: [secret(g, env, `key${i}-`)] } : { jwt: [{ key: `${name}-iss`, secret: secret(g, env, `jwt${i}-`), algorithm: pick(g, ['HS256', 'HS384', 'HS512']) }] }) }));
    }
  }

  const px = spec.proxy as Obj | undefined;
  if (px) {
    if (bool(g)) px.cache = cache();
    px.gzip = { enabled: bool(g), types: g(fc.uniqueArray, fc.constantFrom('application/json', 'text/plain', 'text/css', 'application/vnd.a+json', 'text/x#y'), { minLength: 1, maxLength: 3 }), minLength: int(g, 0, 1 << 20) };
    px.securityHeaders = { frameOptions: pick(g, ['DENY', 'SAMEORIGIN', false]), ...(bool(g) ? { contentSecurityPolicy: `default-src ${str(g, CSP_CHARS, 0, 60)}` } : {}) };
    px.trustForwardedFrom = Array.from({ length: int(g, 0, 2) }, () => `${ipv4(g)}${bool(g) ? `/${int(g, 8, 32)}` : ''}`);
    px.clientMaxBodySize = `${int(g, 1, 999)}${pick(g, ['', 'k', 'm', 'g'])}`;
    px.keepalive = int(g, 0, 64);
    px.serverTokens = bool(g);
  }

  const lb = spec.loadBalancer as Obj | undefined;
  const next = l.chain[1];
  if (lb) {
    if (next && bool(g)) lb.mode = 'tcp';
    lb.algorithm = pick(g, ['roundrobin', 'leastconn', 'source', 'random', 'uri', 'header']);
    if (lb.algorithm === 'header') lb.hashHeader = headerName(g);
    if (next && bool(g)) lb.weights = Array.from({ length: instances[next] }, () => int(g, 0, 256));
    if (bool(g)) lb.healthCheck = { ...(bool(g) ? { path: urlPath(g) } : {}), interval: duration(g), timeout: duration(g, ['ms', 's']) };
    if (l.tls !== 'passthrough' && bool(g)) lb.sticky = { cookie: str(g, `${ALNUM}_-`, 1, 12) };
    if (bool(g)) lb.stats = { port: 9000 + int(g, 0, 999), path: urlPath(g) };
    lb.timeouts = { connect: duration(g), client: duration(g), server: duration(g), httpRequest: duration(g), queue: duration(g) };
  }

  const routes: Obj[] = [];
  const seen = new Set<string>();
  // One spec in eight has more than 64 path-only routes (map files in HAProxy, the shared include in NGINX).
  const many = int(g, 0, 7) === 0;
  const count = many ? int(g, 65, 72) : int(g, 1, 6);
  for (let i = 0; i < count; i++) {
    const pathType = pick(g, ['prefix', 'prefix', 'exact', 'regex'] as const);
    const match: Obj = { path: pathType === 'regex' ? regexPath(g) : routePath(g), pathType,
      hosts: !many && bool(g) ? g(fc.uniqueArray, fc.constantFrom('api.example.com', 'www.example.com', '*.example.org', 'shop.test'), { minLength: 1, maxLength: 2 }) : [],
      methods: !many && bool(g) ? g(fc.uniqueArray, fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE'), { minLength: 1, maxLength: 3 }) : [],
      headers: !many && bool(g) && bool(g) ? { [headerName(g)]: [str(g, HEADER_MATCH_CHARS, 1, 12)] } : {} };
    const key = JSON.stringify([match.pathType, match.path, [...(match.hosts as string[])].sort(), [...(match.methods as string[])].sort(), match.headers]);
    if (seen.has(key)) continue;
    seen.add(key);
    const r: Obj = { name: `r${i}-${label(g)}`, match, service: pick(g, services) };
    if (pathType !== 'regex') {
      const how = pick(g, ['none', 'strip', 'rewrite'] as const);
      if (how === 'strip') r.stripPrefix = true;
      if (how === 'rewrite') r.rewrite = urlPath(g);
    }
    if (gw) {
      if (authType && bool(g)) r.auth = bool(g) ? false : auth(authType);
      if (bool(g) && bool(g)) r.rateLimit = bool(g) ? false : rateLimit();
      if (bool(g) && bool(g)) r.cors = bool(g) ? false : cors();
    }
    if ((px || gw) && bool(g) && bool(g)) r.cache = bool(g) ? false : cache();
    if (bool(g)) r.timeouts = { read: duration(g) };
    routes.push(r);
  }
  spec.routes = routes;

  if (px && bool(g)) {
    const taken = new Set(routes.filter((r) => (r.match as Obj).pathType === 'prefix').map((r) => (r.match as Obj).path));
    const prefix = urlPath(g, true);
    if (!taken.has(prefix)) px.static = [{ prefix, root: `/srv/${label(g)}/${str(g, `${ALNUM}._+@-`, 1, 8).replace(/^[.-]+/, 'x')}`, expires: duration(g, ['s', 'm', 'h', 'd']), immutable: bool(g) }];
  }
  return { spec, env };
});

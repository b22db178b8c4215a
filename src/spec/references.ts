import { formatPath, type Diagnostic } from '../diagnostics.js';
import type { ParsedSpec } from './parse.js';
import { encodedPathProblem, PATH_RE } from './primitives.js';
import type { Spec } from './schema.js';
import { closest } from './suggest.js';

type Path = (string | number)[];

/** Spec regexes: anchored at "^/", a conservative character set shared by PCRE (nginx, HAProxy, Kong) and JS. */
export const ROUTE_REGEX_RE = /^\^\/[A-Za-z0-9._~\/^$()[\]{}|*+?\\:,=!<>@&-]{0,510}$/;

export function regexProblem(re: string): string | undefined {
  if (!ROUTE_REGEX_RE.test(re)) return 'a path regex starts with "^/" and holds no spaces, quotes, "#", "%", ";" or control characters';
  if (/\\$/.test(re) && !/\\\\$/.test(re)) return 'a path regex must not end with a lone "\\"';
  if (re.includes('//')) return 'a path regex must not contain "//" (Kong refuses empty path segments)';
  if (/\(\?[<P]?[<=!]?[A-Za-z]/.test(re) || /\\[1-9]/.test(re)) return 'named groups, lookarounds, inline flags and back-references are not portable across nginx, HAProxy and Kong';
  if (/(\([^)]*[+*][^)]*\))[+*{]/.test(re)) return 'nested quantifiers like "(a+)+" can take exponential time (ReDoS); rewrite the pattern';
  try {
    new RegExp(re);
  } catch (e) {
    return `the regex does not compile: ${(e as Error).message}`;
  }
  return undefined;
}

export function checkReferences(spec: Spec, parsed: ParsedSpec): Diagnostic[] {
  const out: Diagnostic[] = [];
  const err = (path: Path, message: string, hint?: string, key = false) => {
    out.push({ file: parsed.file, ...parsed.locate(path, key), severity: 'error', code: 'reference', path: formatPath(path), message, hint });
  };

  const unique = (items: { name: string }[], what: string, base: string) => {
    const seen = new Map<string, number>();
    items.forEach((it, i) => {
      const prev = seen.get(it.name);
      if (prev !== undefined) err([base, i, 'name'], `duplicate ${what} name "${it.name}" (first defined at ${base}[${prev}])`, `give each ${what} its own name`);
      else seen.set(it.name, i);
    });
  };
  unique(spec.services, 'service', 'services');
  unique(spec.routes, 'route', 'routes');
  if (spec.gateway) unique(spec.gateway.consumers, 'consumer', 'gateway.consumers' as string);

  const serviceNames = spec.services.map((s) => s.name);
  const known = new Set(serviceNames);
  spec.services.forEach((s, i) => {
    if (s.instances.every((x) => x.backup)) err(['services', i, 'instances'], `service "${s.name}" has only backup instances`, 'mark at least one instance as not a backup');
  });
  spec.routes.forEach((r, i) => {
    if (!known.has(r.service)) {
      const near = closest(r.service, serviceNames);
      err(['routes', i, 'service'], `route "${r.name}" points at unknown service "${r.service}"${near ? `; did you mean "${near}"?` : ''}`,
        `define a service named "${r.service}" or use one of: ${serviceNames.join(', ')}`);
    }
    const m = r.match;
    if (m.pathType === 'regex') {
      const p = regexProblem(m.path);
      if (p) err(['routes', i, 'match', 'path'], p);
    } else if (m.path.includes('%') && encodedPathProblem(m.path)) {
      err(['routes', i, 'match', 'path'], encodedPathProblem(m.path)!);
    } else if (!PATH_RE.test(m.path.replace(/%[0-9A-F]{2}/g, 'x')) || m.path.length > 1024) {
      err(['routes', i, 'match', 'path'], `a ${m.pathType} path starts with "/" and holds only URL path characters (no spaces, quotes, "#", "?", "//" or control characters)`);
    }
    if (r.rewrite && m.pathType === 'regex') err(['routes', i, 'rewrite'], 'rewrite applies to prefix and exact paths only', 'use a prefix path');
    if (r.stripPrefix && r.rewrite) err(['routes', i, 'rewrite'], 'use either stripPrefix or rewrite, not both');
    const gw = spec.gateway;
    for (const policy of ['auth', 'rateLimit', 'cors'] as const) {
      if (r[policy] && !gw) err(['routes', i, policy], `route "${r.name}" sets ${policy} but the spec has no gateway layer to enforce it`, 'add a gateway layer or remove the policy');
    }
    for (const t of ['requestHeaders', 'responseHeaders'] as const) {
      if (r[t] && !gw) err(['routes', i, t], `route "${r.name}" sets ${t} but the spec has no gateway layer to apply it; add one (e.g. gateway: { engine: nginx, ports: { http: 8000 } }) or remove ${t}`,
        'header transforms run on the gateway layer (Kong or the NGINX gateway engine)');
    }
    if (r.cache && !spec.proxy?.cache && !gw?.cache && !spec.proxy && !gw) err(['routes', i, 'cache'], 'route cache needs a proxy or gateway layer');
  });
  // Two routes with the same hosts and path must differ by method or headers; the same everything is ambiguous.
  const seen = new Map<string, number>();
  spec.routes.forEach((r, i) => {
    const key = JSON.stringify([r.match.pathType, r.match.path, [...r.match.hosts].sort(), [...r.match.methods].sort(), r.match.headers]);
    const prev = seen.get(key);
    if (prev !== undefined) err(['routes', i, 'match'], `route "${r.name}" matches exactly what route "${spec.routes[prev].name}" matches`, 'change its path, hosts, methods or headers, or merge the routes');
    else seen.set(key, i);
  });

  if (spec.gateway) checkGateway(spec, err);
  checkLayers(spec, err);
  checkTls(spec, err);
  return out;
}

type Err = (path: Path, message: string, hint?: string, key?: boolean) => void;

function checkGateway(spec: Spec, err: Err) {
  const gw = spec.gateway!;
  const limits = [['gateway', 'rateLimit'] as Path, ...spec.routes.map((_, i) => ['routes', i, 'rateLimit'] as Path)];
  for (const path of limits) {
    const rl = path[0] === 'gateway' ? gw.rateLimit : (spec.routes[path[1] as number].rateLimit || undefined);
    if (!rl) continue;
    if (rl.second === undefined && rl.minute === undefined && rl.hour === undefined) err(path, 'a rate limit needs at least one of second, minute or hour', 'e.g. minute: 60');
    const order: [string, number | undefined][] = [['second', rl.second], ['minute', rl.minute], ['hour', rl.hour]];
    for (let a = 0; a < order.length; a++)
      for (let b = a + 1; b < order.length; b++)
        if (order[a][1] !== undefined && order[b][1] !== undefined && order[b][1]! < order[a][1]!)
          err([...path, order[b][0]], `the ${order[b][0]} limit (${order[b][1]}) cannot be lower than the ${order[a][0]} limit (${order[a][1]})`);
    if (rl.policy === 'redis' && !rl.redis) err(path, 'policy "redis" needs a redis: { host, port } block');
    if (rl.policy === 'local' && rl.redis) err([...path, 'redis'], 'redis settings are only used with policy "redis"', 'set policy: redis or remove redis');
  }
  const keys = new Map<string, string>();
  gw.consumers.forEach((c, i) => {
    c.keys?.forEach((k, j) => {
      if (typeof k !== 'string') return;
      const prev = keys.get(k);
      if (prev) err(['gateway', 'consumers', i, 'keys', j], `consumer "${c.name}" reuses an API key of consumer "${prev}"`, 'API keys must be unique across consumers');
      else keys.set(k, c.name);
    });
  });
  const usesAuth = (t: 'key' | 'jwt') => gw.auth?.type === t || spec.routes.some((r) => r.auth && r.auth.type === t);
  gw.consumers.forEach((c, i) => {
    if (c.keys?.length && !usesAuth('key')) err(['gateway', 'consumers', i, 'keys'], `consumer "${c.name}" has API keys but no route uses auth type "key"`, 'add auth: { type: key } to the gateway or a route');
    if (c.jwt?.length && !usesAuth('jwt')) err(['gateway', 'consumers', i, 'jwt'], `consumer "${c.name}" has JWT credentials but no route uses auth type "jwt"`, 'add auth: { type: jwt } to the gateway or a route');
  });
}

const LAYERS = ['loadBalancer', 'gateway', 'proxy'] as const;

function checkLayers(spec: Spec, err: Err) {
  const present = LAYERS.filter((l) => spec[l]);
  const byHost = new Map<string, { port: number; path: Path }[]>();
  for (const layer of present) {
    const l = spec[layer]!;
    if (l.hosts && l.hosts.length !== l.instances) err([layer, 'hosts'], `${layer} has ${l.instances} instance(s) but ${l.hosts.length} host name(s)`, 'give one host per instance');
    if (l.ports.http === undefined && l.ports.https === undefined) err([layer, 'ports'], `${layer} needs at least one port (http or https)`);
    const extra: [string, number | undefined][] = [
      ['ports.http', l.ports.http], ['ports.https', l.ports.https],
      ['stats.port', layer === 'loadBalancer' ? spec.loadBalancer!.stats?.port : undefined],
      ['statusPort', layer === 'gateway' ? spec.gateway!.statusPort : layer === 'proxy' ? spec.proxy!.statusPort : undefined],
    ];
    for (let i = 0; i < l.instances; i++) {
      const host = l.hosts?.[i] ?? `${layer}-${i + 1}`;
      for (const [k, p] of extra) {
        if (p === undefined) continue;
        const list = byHost.get(host) ?? [];
        const path = [layer, ...k.split('.')];
        const clash = list.find((x) => x.port === p);
        if (clash) err(path, `port ${p} is already used on host "${host}" by ${formatPath(clash.path)}`, 'choose another port');
        else list.push({ port: p, path });
        byHost.set(host, list);
      }
    }
  }
  const lb = spec.loadBalancer;
  if (lb) {
    const next = spec.gateway ?? spec.proxy;
    if (lb.weights && next && lb.weights.length !== next.instances) err(['loadBalancer', 'weights'], `${lb.weights.length} weight(s) for ${next.instances} next-layer instance(s)`, 'give one weight per instance');
    if (lb.weights && !next) err(['loadBalancer', 'weights'], 'weights apply to the next layer; with services directly behind the load balancer set instance weights on the service');
    if (lb.algorithm === 'header' && !lb.hashHeader) err(['loadBalancer', 'algorithm'], 'algorithm "header" needs hashHeader', 'e.g. hashHeader: X-Tenant');
    if (lb.mode === 'tcp' && !next) err(['loadBalancer', 'mode'], 'a tcp-mode load balancer cannot route by path to services', 'put a gateway or proxy behind it, or use mode: http');
  }
  spec.proxy?.static.forEach((s, i) => {
    if (spec.routes.some((r) => r.match.pathType === 'prefix' && r.match.path === s.prefix)) err(['proxy', 'static', i, 'prefix'], `static prefix ${s.prefix} is also a route path`, 'serve the files under another prefix');
  });
}

function checkTls(spec: Spec, err: Err) {
  const tls = spec.tls;
  const present = LAYERS.filter((l) => spec[l]);
  if (present.length === 0) {
    err(['services'], 'a spec needs at least one layer: loadBalancer, gateway or proxy', 'add proxy: { ports: { http: 80 } } for a single NGINX in front of the services', true);
    return;
  }
  const entry = present[0];
  const inner = present.slice(1);
  if (!tls) {
    for (const l of present) if (spec[l]!.ports.https !== undefined) err([l, 'ports', 'https'], `${l} has an https port but the spec has no tls section`, 'add tls: { strategy, certificate, key } or remove the port');
    for (const l of present.slice(1)) if (spec[l]!.ports.http === undefined) err([l, 'ports'], `${l} needs an http port: the previous layer reaches it over plain HTTP`);
    return;
  }
  if (spec[entry]!.ports.https === undefined) err([entry, 'ports'], `tls strategy "${tls.strategy}" needs an https port on the entry layer (${entry})`, 'add ports.https, e.g. 443');
  // Kong writes the paths it reads into its own nginx.conf unquoted (ssl_certificate, proxy_ssl_trusted_certificate).
  if (spec.gateway && spec.gateway.engine === 'kong') {
    const decrypts = tls.strategy === 'reencrypt' || entry === 'gateway' || (tls.strategy === 'passthrough' && inner[0] === 'gateway');
    const reads = [...(decrypts ? (['certificate', 'key'] as const) : []), ...(tls.strategy === 'reencrypt' ? (['ca'] as const) : [])];
    for (const k of reads) if (tls[k]?.includes(' ')) err(['tls', k], `Kong writes the ${k} path into its nginx configuration unquoted, so the path cannot hold a space here`, 'move the file to a path without spaces, or use gateway engine nginx');
  }
  // HAProxy loads the key from the file beside the certificate (ssl-load-extra-del-ext): <cert without extension>.key.
  const haproxyDecrypts = entry === 'loadBalancer' && tls.strategy !== 'passthrough';
  const besideCert = `${tls.certificate.replace(/\.[^./]*$/, '')}.key`;
  if (haproxyDecrypts && tls.key !== besideCert) err(['tls', 'key'], `HAProxy reads the key from the file beside the certificate: with certificate ${tls.certificate} the key must be ${besideCert}`, `move the key to ${besideCert}`);
  if (tls.strategy === 'passthrough' && !tls.redirectHttp && spec.loadBalancer?.ports.http !== undefined && inner.length)
    err(['tls', 'redirectHttp'], `with passthrough, ${inner[0]} only listens for TLS: plain HTTP on the load balancer can only redirect`, 'set redirectHttp: true or remove loadBalancer.ports.http');
  if (tls.redirectHttp && spec[entry]!.ports.http === undefined) err(['tls', 'redirectHttp'], `redirectHttp needs an http port on ${entry}`, 'add ports.http: 80 or set redirectHttp: false');
  if (tls.strategy === 'passthrough') {
    if (entry !== 'loadBalancer') err(['tls', 'strategy'], 'passthrough needs a load balancer in front: it forwards TLS and the next layer decrypts', 'use strategy: terminate');
    else if (inner.length === 0) err(['tls', 'strategy'], 'passthrough needs a layer behind the load balancer to decrypt TLS');
    else {
      if (spec[inner[0]]!.ports.https === undefined) err([inner[0], 'ports'], `with passthrough, ${inner[0]} decrypts TLS and needs an https port`);
      if (spec.loadBalancer!.sticky) err(['loadBalancer', 'sticky'], 'cookie stickiness needs HTTP, which a passthrough load balancer cannot see', 'use algorithm: source, or strategy: terminate');
      for (const l of inner.slice(1)) if (spec[l]!.ports.http === undefined) err([l, 'ports'], `${l} needs an http port`);
    }
  } else if (tls.strategy === 'reencrypt') {
    if (inner.length === 0) err(['tls', 'strategy'], 'reencrypt needs a layer behind the entry layer to re-encrypt to', 'use strategy: terminate');
    for (const l of inner) if (spec[l]!.ports.https === undefined) err([l, 'ports'], `with reencrypt, ${l} is reached over TLS and needs an https port`);
  } else {
    for (const l of inner) if (spec[l]!.ports.http === undefined) err([l, 'ports'], `${l} needs an http port: with terminate, inner hops are plain HTTP`);
  }
}

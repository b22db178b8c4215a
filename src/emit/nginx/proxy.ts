import type { AddressPlan } from '../../model/plan.js';
import type { Model, Route, Service } from '../../model/types.js';
import { hstsValue, TLS_PROFILES } from '../tls.js';
import { loadTemplates } from '../text.js';
import type { LayerFile } from '../files.js';
import { literalPrefix } from '../../model/regex.js';
import { escapeRegex, expr, hostPort, ident, num, quote, regex, time, type NgxArg } from './quote.js';

const render = loadTemplates('nginx');

/** nginx < 1.25.1 takes "http2" on the listen line; later versions want "http2 on;". */
export function http2Directive(version: string): boolean {
  const [maj, min] = version.split('.').map(Number);
  return maj > 1 || min >= 26 || (min === 25);
}

function headerVar(name: string): string {
  return name.toLowerCase().replace(/-/g, '_');
}

function cacheKey(parts: string[]): NgxArg {
  const map: Record<string, string> = { scheme: '$scheme', method: '$request_method', host: '$host', uri: '$request_uri', args: '$args' };
  return expr(parts.map((p) => (p.startsWith('header:') ? `|$http_${headerVar(p.slice(7))}` : map[p])).join(''));
}

function upstreamFor(s: Service, plan: AddressPlan, keepalive: number) {
  const balance = { roundrobin: '', leastconn: 'least_conn', iphash: 'ip_hash', random: 'random two least_conn', hash: 'hash $request_uri consistent' }[s.algorithm];
  const hc = s.healthCheck;
  const servers = s.instances.map((inst) => {
    const ep = plan.service(s.name, inst.index);
    // nginx reads fail_timeout in whole seconds.
    const opts = [`weight=${Math.max(1, inst.weight)}`, `max_fails=${hc?.fall ?? 3}`, `fail_timeout=${Math.max(1, Math.ceil((hc?.intervalMs ?? 10_000) / 1000))}s`];
    if (inst.backup && s.algorithm !== 'hash' && s.algorithm !== 'iphash' && s.algorithm !== 'random') opts.push('backup');
    return `${hostPort(ep.host, ep.port)} ${opts.join(' ')}` as NgxArg;
  });
  return { name: ident(s.id), balance: balance || false, servers, keepalive: keepalive > 0 ? num(keepalive) : false };
}

function matchFor(r: Route, regexPrefixes: string[]): NgxArg {
  if (r.pathType === 'exact') return `= ${quote(r.path, 'route path')}` as NgxArg;
  if (r.pathType === 'regex') return `~ ${regex(r.path, 'route regex')}` as NgxArg;
  // nginx tries every regex location after the longest prefix unless the prefix says ^~. When no regex route can
  // match a path under this prefix, ^~ changes nothing but skips those tests (many regex routes stay cheap).
  const reachable = regexPrefixes.some((p) => p.startsWith(r.path) || r.path.startsWith(p));
  return (reachable ? quote(r.path, 'route path') : `^~ ${quote(r.path, 'route path')}`) as NgxArg;
}

function locationKey(r: Route): string {
  return `${r.pathType}:${r.path}`;
}

/** Conditions that a request must meet beyond the path: method and header matches, as nginx `if` tests. */
function conditions(r: Route): NgxArg[] {
  const tests: NgxArg[] = [];
  if (r.methods.length) tests.push(`$request_method ~ ${regex(`^(${r.methods.join('|')})$`)}` as NgxArg);
  for (const [name, values] of Object.entries(r.headers))
    tests.push(`$http_${headerVar(name)} ~* ${regex(`^(${values.map(escapeRegex).join('|')})$`, 'header match')}` as NgxArg);
  return tests;
}

function negate(test: NgxArg): NgxArg {
  return test.replace(' ~ ', ' !~ ').replace(' ~* ', ' !~* ') as NgxArg;
}

export interface NginxProxyOptions {
  instance: number;
  modules?: string[];
  /** Worker user for local runs: when edgegen runs as root its state dir may not be readable by nobody. */
  user?: string;
}

/** Include file (next to nginx.conf; nginx resolves relative includes against the config's directory). */
export const SHARED_ROUTES = 'edgegen-shared-routes.conf';

/** nginx.conf for the proxy layer (TLS, routing to service upstreams, cache, static files, headers) and its include file. */
export function emitNginxProxy(model: Model, plan: AddressPlan, opts: NginxProxyOptions): LayerFile[] {
  const proxy = model.proxy!;
  const s = proxy.settings;
  const state = plan.stateDir('proxy', opts.instance);
  const behind = model.chain.indexOf('proxy') > 0;
  const tls = model.tls;
  const isEntry = model.chain[0] === 'proxy';
  const newHttp2 = http2Directive(model.targets.nginx);
  // Behind a passthrough load balancer the client address arrives in the PROXY protocol header.
  const proxyProtocol = model.chain[model.chain.indexOf('proxy') - 1] === 'loadBalancer' && Boolean(model.loadBalancer?.passthrough);

  const securityHeaders: NgxArg[] = [];
  if (s.securityHeaders.contentTypeOptions) securityHeaders.push(`X-Content-Type-Options ${quote('nosniff')}` as NgxArg);
  if (s.securityHeaders.frameOptions) securityHeaders.push(`X-Frame-Options ${quote(s.securityHeaders.frameOptions)}` as NgxArg);
  if (s.securityHeaders.referrerPolicy) securityHeaders.push(`Referrer-Policy ${quote(s.securityHeaders.referrerPolicy)}` as NgxArg);
  if (s.securityHeaders.contentSecurityPolicy) securityHeaders.push(`Content-Security-Policy ${quote(s.securityHeaders.contentSecurityPolicy, 'contentSecurityPolicy')}` as NgxArg);
  if (tls?.hsts && isEntry && proxy.terminatesTls) securityHeaders.push(`Strict-Transport-Security ${quote(hstsValue(tls.hsts))}` as NgxArg);

  const fwd = s.forwardedHeaders;
  const setHeaders = (): NgxArg[] => {
    const h: string[] = [];
    if (fwd.host) h.push('Host $host');
    if (fwd.realIp) h.push('X-Real-IP $remote_addr');
    // At the edge the client's own X-Forwarded-For is dropped; behind trusted layers their list gets the peer appended.
    if (fwd.forwardedFor) h.push(`X-Forwarded-For ${behind ? '$edgegen_forwarded_for' : '$remote_addr'}`);
    if (fwd.forwardedProto) h.push('X-Forwarded-Proto $edgegen_forwarded_proto');
    h.push(`${requestIdHeader} $edgegen_request_id`);
    return h.map((x) => {
      const [name, value] = x.split(' ');
      return `${name} ${expr(value)}` as NgxArg;
    });
  };
  const requestIdHeader = model.gateway?.settings.correlationId?.header ?? 'X-Request-ID';
  const regexPrefixes = model.routes.filter((r) => r.pathType === 'regex').map((r) => literalPrefix(r.path) || '/');

  const locationFor = (r: Route, named?: string) => {
    const scheme = r.service.protocol === 'https' ? 'https' : 'http';
    const rewrite: NgxArg[] = [];
    if (r.pathType !== 'regex' && (r.stripPrefix || r.rewrite)) {
      const base = r.path.replace(/\/$/, '');
      const to = (r.rewrite ?? '/').replace(/\/$/, '');
      rewrite.push(`${regex(`^${escapeRegex(base)}/?(.*)$`)} ${quote(`${to}/`, 'rewrite')}$1` as NgxArg);
      rewrite[0] = `${regex(`^${escapeRegex(base)}/?(.*)$`)} ${expr(`${to}/$1`)}` as NgxArg;
    }
    const cache = r.cache?.layer === 'proxy' ? r.cache.policy : undefined;
    // Locations inherit the server's add_header lines unless they add their own (then nginx needs them all again).
    const headers = cache ? [...securityHeaders, `${cache.statusHeader} $upstream_cache_status` as NgxArg] : [];
    return {
      comment: `route ${r.name} -> service ${r.service.name}`,
      match: named ? ident(named) : matchFor(r, regexPrefixes),
      dispatch: [] as { code: NgxArg; target: NgxArg; tests: NgxArg[]; variable: NgxArg; append: NgxArg; all: NgxArg }[],
      guards: [] as NgxArg[],
      static: false as const,
      proxy: {
        rewrite,
        pass: `${scheme}://${ident(r.service.id)}` as NgxArg,
        sslServerName: scheme === 'https',
        connectTimeout: time(r.timeouts.connectMs),
        sendTimeout: time(r.timeouts.sendMs),
        readTimeout: time(r.timeouts.readMs),
        tries: num(r.service.retries + 1),
        cache: cache
          ? { key: cacheKey(cache.key), methods: cache.methods.map((m) => ident(m)).join(' '), statuses: cache.statuses.map(num).join(' '), ttl: time(ttlMs(cache.ttl)) }
          : false,
      },
      headers,
    };
  };

  // Group routes by host set: one server per set, hostless routes go to every server.
  const hostSets = new Map<string, string[]>();
  for (const r of model.routes) if (r.hosts.length) hostSets.set([...r.hosts].sort().join(' '), [...r.hosts].sort());
  const serverGroups: { names: string[]; routes: Route[] }[] = [
    ...[...hostSets.values()].map((names) => ({ names, routes: model.routes.filter((r) => r.hosts.length === 0 || [...r.hosts].sort().join(' ') === names.join(' ')) })),
    { names: [], routes: model.routes.filter((r) => r.hosts.length === 0) },
  ];

  const listenFor = (kind: 'http' | 'https', isDefault: boolean): NgxArg[] => {
    const out: NgxArg[] = [];
    for (const p of [kind]) {
      if (proxy.listen[p] === undefined) continue;
      const ep = plan.bind('proxy', opts.instance, p);
      const flags = [p === 'https' ? 'ssl' : '', p === 'https' && !newHttp2 ? 'http2' : '', p === 'https' && proxyProtocol ? 'proxy_protocol' : '', isDefault ? 'default_server' : ''].filter(Boolean);
      out.push([hostPort(ep.host, ep.port), ...flags].join(' ') as NgxArg);
    }
    return out;
  };
  const tlsBlock = proxy.terminatesTls && tls
    ? { certificate: quote(plan.file(tls.certificate), 'tls.certificate'), key: quote(plan.file(tls.key), 'tls.key'),
      protocols: TLS_PROFILES[tls.profile].protocols.join(' '), ciphers: TLS_PROFILES[tls.profile].ciphers ? quote(TLS_PROFILES[tls.profile].ciphers) : false }
    : false;

  /** Location blocks for routes that share a server: one location per path, method/header variants dispatched to named locations. */
  const blocksFor = (routes: Route[], withStatic = true) => {
    const locations = [];
    const named = [];
    const byLocation = new Map<string, Route[]>();
    for (const r of routes) byLocation.set(locationKey(r), [...(byLocation.get(locationKey(r)) ?? []), r]);
    let code = 460;
    for (const rs of byLocation.values()) {
      const [last, ...earlier] = [...rs].reverse();
      const primary = locationFor(last);
      if (conditions(last).length) primary.guards = conditions(last).map(negate);
      for (const r of earlier.reverse()) {
        // A variant is picked when all its conditions hold (nginx has no AND: each true test appends a mark to a variable).
        const name = `@${r.id}`;
        const tests = conditions(r);
        primary.dispatch.push({ code: num(code), target: ident(name), tests, variable: `$edgegen_match_${code}` as NgxArg,
          append: expr(`\${edgegen_match_${code}}1`), all: expr('1'.repeat(tests.length)) });
        named.push(locationFor(r, name));
        code++;
      }
      locations.push(primary);
    }
    for (const st of withStatic ? s.static : []) {
      locations.push({
        comment: `static files under ${st.prefix}`,
        match: `^~ ${quote(st.prefix, 'static prefix')}` as NgxArg,
        dispatch: [], guards: [],
        // immutable: one Cache-Control with max-age and immutable; otherwise nginx's expires sets Expires and max-age.
        static: { root: quote(plan.file(st.root), 'static root'), expires: st.immutable ? false : time(ttlMs(st.expires)) },
        proxy: false as const,
        headers: [...securityHeaders, ...(st.immutable ? [`Cache-Control ${quote(`public, max-age=${ttlMs(st.expires) / 1000}, immutable`)}` as NgxArg] : [])],
      });
    }
    const hasRoot = routes.some((r) => r.pathType === 'prefix' && r.path === '/');
    return { locations, named, fallback: hasRoot ? false as const : { headers: [] as NgxArg[] } };
  };

  // Hostless routes are written once to an include file that every server shares. A host whose own route takes a
  // hostless location gets that location merged inline and includes a variant without it (one variant per set of
  // taken locations, so many hosts overriding the same paths stay linear).
  const hostless = model.routes.filter((r) => r.hosts.length === 0);
  const sharedKeys = new Set(hostless.map(locationKey));
  const hasFallback = !hostless.some((r) => r.pathType === 'prefix' && r.path === '/');
  if (hasFallback) sharedKeys.add('prefix:/');
  // Only worth it at scale: small specs stay in one readable file.
  const useInclude = serverGroups.length > 1 && hostless.length >= 16;
  const includes = new Map<string, { file: string; excluded: Set<string> }>();
  const includeFor = (excluded: Set<string>) => {
    const key = [...excluded].sort().join('\n');
    if (!includes.has(key)) includes.set(key, { file: includes.size === 0 ? SHARED_ROUTES : SHARED_ROUTES.replace('.conf', `-${includes.size}.conf`), excluded });
    return includes.get(key)!.file;
  };
  if (useInclude) includeFor(new Set());
  const servers = [];
  for (const group of serverGroups) {
    const isDefault = group.names.length === 0;
    const names = isDefault ? '_' : group.names.map((n) => quote(n, 'route host')).join(' ');
    const own = group.routes.filter((r) => r.hosts.length > 0);
    const taken = new Set(own.map(locationKey).filter((k) => sharedKeys.has(k)));
    let blocks;
    let include: NgxArg | false = false;
    if (!useInclude) blocks = blocksFor(group.routes);
    else {
      const merged = [...own, ...hostless.filter((r) => taken.has(locationKey(r)))];
      blocks = { ...blocksFor(merged, false), fallback: false as const };
      include = quote(includeFor(taken), 'include');
    }
    for (const kind of ['http', 'https'] as const) {
      if (proxy.listen[kind] === undefined) continue;
      const redirect = kind === 'http' && isEntry && tls?.redirectHttp && proxy.listen.https !== undefined
        ? { port: plan.bind('proxy', opts.instance, 'https').port === 443 ? '' : `:${num(plan.bind('proxy', opts.instance, 'https').port)}` } : false;
      servers.push({
        listen: listenFor(kind, isDefault),
        serverNames: names,
        http2: kind === 'https' && newHttp2,
        tls: kind === 'https' ? tlsBlock : false,
        redirect,
        headers: redirect ? [] : securityHeaders,
        ...blocks,
        include,
      });
    }
  }

  const previous = model.chain.slice(0, model.chain.indexOf('proxy'));
  const trusted = new Set<string>(s.trustForwardedFrom);
  if (behind) {
    for (const layer of previous) for (let i = 0; i < model[layer]!.instances; i++) {
      const port = model[layer]!.listen.http !== undefined ? 'http' : 'https';
      trusted.add(plan.mode === 'local' ? plan.reach(layer, i, port).host : plan.reach(layer, i, port).host);
    }
  }
  const trustedProxies = [...trusted].filter((t) => /^[0-9.]+(\/\d+)?$/.test(t)).sort();
  if (behind && trustedProxies.length === 0) trustedProxies.push('10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16');

  const view = {
    header: `generated by edgegen from ${model.source} (stack ${model.name}, layer proxy); do not edit`,
    workerProcesses: 'auto',
    user: opts.user ? ident(opts.user) : false,
    pidFile: plan.mode === 'local' ? quote(`${state}/nginx.pid`, 'state dir') : quote('/var/run/nginx.pid'),
    errorLog: plan.mode === 'local' ? quote(`${state}/error.log`) : quote('/dev/stderr'),
    modules: (opts.modules ?? []).map((m) => quote(m)),
    workerConnections: num(s.workerConnections),
    serverTokens: s.serverTokens ? 'on' : 'off',
    keepaliveTimeout: time(ttlMs(s.timeouts.keepalive)),
    clientHeaderTimeout: time(ttlMs(s.timeouts.clientHeader)),
    clientBodyTimeout: time(ttlMs(s.timeouts.clientBody)),
    clientMaxBodySize: quote(s.clientMaxBodySize),
    tempDir: plan.mode === 'local' ? Object.fromEntries(['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((k) => [k, quote(`${state}/tmp/${k}`)])) : false,
    accessLog: plan.mode === 'local' ? quote(`${state}/access.log`) : quote('/dev/stdout'),
    requestIdVar: headerVar(requestIdHeader),
    trustedProxies,
    realIpHeader: proxyProtocol ? 'proxy_protocol' : 'X-Forwarded-For',
    statusAllow: [...new Set(['127.0.0.1', ...trustedProxies])],
    forwardedProtoDefault: '$scheme',
    forwardedFor: behind,
    trustForwardedProto: behind,
    gzip: s.gzip.enabled ? { minLength: num(s.gzip.minLength), types: s.gzip.types.map((t) => quote(t)).join(' ') } : false,
    cache: model.routes.some((r) => r.cache?.layer === 'proxy')
      ? { path: quote(`${state}/edgegen-cache`), size: (s.cache?.size ?? '64m'), maxSize: (s.cache?.maxSize ?? '1g') } : false,
    // Shared by every location (none sets its own): nginx keeps one copy instead of one per location.
    proxyHeaders: setHeaders(),
    upstreams: model.services.filter((svc) => model.routes.some((r) => r.service === svc)).map((svc) => upstreamFor(svc, plan, s.keepalive)),
    servers,
    status: { listen: (() => { const ep = plan.bind('proxy', opts.instance, 'status'); return hostPort(ep.host, ep.port); })() },
  };
  const files: LayerFile[] = [{ path: 'nginx.conf', content: render('nginx.conf', view) }];
  for (const { file, excluded } of includes.values()) {
    const blocks = blocksFor(hostless.filter((r) => !excluded.has(locationKey(r))));
    files.push({ path: file, content: render('shared-routes.conf', {
      header: `generated by edgegen from ${model.source}: routes without hosts, included by the servers of nginx.conf`,
      ...blocks, fallback: excluded.has('prefix:/') ? false : blocks.fallback }) });
  }
  return files;
}

function ttlMs(d: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(d)!;
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms'];
}

import type { AddressPlan } from '../../model/plan.js';
import type { Model, Route } from '../../model/types.js';
import { hstsLayer, hstsValue, TLS_PROFILES } from '../tls.js';
import { loadTemplates } from '../text.js';
import type { LayerFile } from '../files.js';
import { RouteLocations, ttlMs } from './proxy/routes.js';
import { serverPlans, serverSlots, slotKey } from '../../model/routing.js';
import { headerVar, triedRoutes } from './slots.js';
import { upstreamsBlock } from './proxy/upstream.js';
import { cidr, expr, hostPort, ident, num, quote, time, type NgxArg } from './quote.js';
import { isIpAddress } from '../../spec/primitives.js';
import { decodedPaths } from '../../model/paths.js';

const render = loadTemplates('nginx');

/** nginx < 1.25.1 takes "http2" on the listen line; later versions want "http2 on;". */
export function http2Directive(version: string): boolean {
  const [maj, min] = version.split('.').map(Number);
  return maj > 1 || min >= 26 || (min === 25);
}

export interface NginxProxyOptions {
  instance: number;
  modules?: string[];
  /** Worker user for local runs: when edgegen runs as root its state dir may not be readable by nobody. */
  user?: string;
}

/** Include file (next to nginx.conf; nginx resolves relative includes against the config's directory). */
export const SHARED_ROUTES = 'edgegen-shared-routes.conf';
export const SHARED_NAMED = 'edgegen-shared-named.conf';
/** The twins for upgrades (tunnel.ts) every server of a large config jumps to. */
export const SHARED_TUNNELS = 'edgegen-shared-tunnels.conf';

/** nginx.conf for the proxy layer (TLS, routing to service upstreams, cache, static files, headers) and its include file. */
export function emitNginxProxy(specModel: Model, plan: AddressPlan, opts: NginxProxyOptions): LayerFile[] {
  // nginx matches locations against the decoded URI: encoded route paths are written decoded.
  const model = decodedPaths(specModel);
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
  if (tls?.hsts && hstsLayer(model) === 'proxy') securityHeaders.push(`Strict-Transport-Security ${quote(hstsValue(tls.hsts))}` as NgxArg);

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
  const locations = new RouteLocations(model, plan, securityHeaders);

  const listenFor = (kind: 'http' | 'https', isDefault: boolean): NgxArg[] => {
    const out: NgxArg[] = [];
    for (const p of [kind]) {
      if (proxy.listen[p] === undefined) continue;
      const ep = plan.bind('proxy', opts.instance, p);
      // bind "::" means every address, IPv4 too (nginx would listen on IPv6 only); a socket option, so on the default server only.
      const flags = [p === 'https' ? 'ssl' : '', p === 'https' && !newHttp2 ? 'http2' : '', p === 'https' && proxyProtocol ? 'proxy_protocol' : '', isDefault ? 'default_server' : '', isDefault && ep.host === '::' ? 'ipv6only=off' : ''].filter(Boolean);
      out.push([hostPort(ep.host, ep.port), ...flags].join(' ') as NgxArg);
    }
    return out;
  };
  const tlsBlock = proxy.terminatesTls && tls
    ? { certificate: quote(plan.file(tls.certificate), 'tls.certificate'), key: quote(plan.file(tls.key), 'tls.key'),
      protocols: TLS_PROFILES[tls.profile].protocols.join(' '), ciphers: TLS_PROFILES[tls.profile].ciphers ? quote(TLS_PROFILES[tls.profile].ciphers) : false }
    : false;

  // One server per route host (host-less routes join every server), then the default server. At scale the default
  // server's slots that no host route reaches are written once to an include every server shares (the few that a
  // host overrides stay inline in the servers that keep them), and the named locations of host-less routes to another.
  const { byDefault, servers: plans } = serverPlans(model.routes);
  const hostless = model.routes.filter((r) => r.hosts.length === 0);
  const useInclude = plans.length > 1 && hostless.length >= 16;
  const overridden = new Set<string>();
  for (const p of plans) if (p.host !== undefined) for (const k of p.ownKeys) overridden.add(k);
  const common = byDefault.filter((sl) => !overridden.has(slotKey(sl.kind, sl.path)));
  const sharedNamed = new Set<Route>();
  if (useInclude) {
    for (const r of triedRoutes(byDefault, new Set())) sharedNamed.add(r);
    for (const p of plans) for (const r of triedRoutes(p.own, new Set())) if (!r.hosts.length) sharedNamed.add(r);
  }
  const servers = [];
  for (const plan_ of plans) {
    const isDefault = plan_.host === undefined;
    const names = isDefault ? '_' : quote(plan_.host!, 'route host');
    let routes;
    let include: NgxArg[] = [];
    if (!useInclude) {
      const slots = serverSlots(plan_, byDefault);
      routes = locations.block(slots, true, triedRoutes(slots, new Set()));
    } else {
      const inline = [...(isDefault ? [] : plan_.own), ...byDefault.filter((sl) => overridden.has(slotKey(sl.kind, sl.path)) && !plan_.ownKeys.has(slotKey(sl.kind, sl.path)))];
      if (isDefault) inline.push(...byDefault.filter((sl) => overridden.has(slotKey(sl.kind, sl.path))));
      routes = locations.block(inline, false, [...triedRoutes(inline, new Set())].filter((r) => !sharedNamed.has(r)), false);
      include = [quote(SHARED_ROUTES, 'include'), quote(SHARED_NAMED, 'include'), quote(SHARED_TUNNELS, 'include')];
    }
    for (const kind of ['http', 'https'] as const) {
      if (proxy.listen[kind] === undefined) continue;
      const redirect = kind === 'http' && isEntry && tls?.redirectHttp && proxy.listen.https !== undefined
        ? { port: plan.advertise('proxy', opts.instance, 'https') === 443 ? '' : `:${num(plan.advertise('proxy', opts.instance, 'https'))}` } : false;
      servers.push({
        listen: listenFor(kind, isDefault),
        serverNames: names,
        http2: kind === 'https' && newHttp2,
        tls: kind === 'https' ? tlsBlock : false,
        redirect,
        headers: redirect ? [] : securityHeaders,
        routes,
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
  const trustedProxies: string[] = [...trusted].filter((t) => isIpAddress(t.split('/')[0])).map((t) => cidr(t)).sort();
  if (behind && trustedProxies.length === 0) trustedProxies.push('10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16');

  const routed = new Set(model.routes.map((r) => r.service));
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
    upstreams: upstreamsBlock(model.services.filter((svc) => routed.has(svc)), plan, s.keepalive),
    servers,
    status: { listen: (() => { const ep = plan.bind('proxy', opts.instance, 'status'); return hostPort(ep.host, ep.port); })() },
  };
  const files: LayerFile[] = [{ path: 'nginx.conf', content: render('nginx.conf', view) }];
  if (useInclude) {
    files.push({ path: SHARED_ROUTES, content: render('shared-routes.conf', {
      header: `generated by edgegen from ${model.source}: routes without hosts, included by the servers of nginx.conf`,
      routes: locations.block(common, true, [], false) }) });
  }
  if (useInclude) {
    files.push({ path: SHARED_NAMED, content: render('shared-routes.conf', {
      header: `generated by edgegen from ${model.source}: named locations of routes without hosts, included by the servers of nginx.conf`,
      routes: locations.block([], false, [...sharedNamed].sort((a, b) => a.order - b.order), false) }) });
    files.push({ path: SHARED_TUNNELS, content: render('shared-routes.conf', {
      header: `generated by edgegen from ${model.source}: named locations for upgraded connections (WebSockets), included by the servers of nginx.conf`,
      routes: locations.twinsBlock() }) });
  }
  return files;
}

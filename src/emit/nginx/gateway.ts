import type { AddressPlan } from '../../model/plan.js';
import { nextLayer, type Model } from '../../model/types.js';
import type { Env } from '../kong/secrets.js';
import { EmitError, loadTemplates, TextBlock } from '../text.js';
import { TLS_PROFILES } from '../tls.js';
import { CACHE_STATUS_MAP, sizeArg } from './gateway/cache.js';
import { preflightMaps } from './gateway/cors.js';
import { noRouteLocation, routeLocation, staticLocation, type Context, type LocationView } from './gateway/location.js';
import { forwardingMaps, trustedProxies, upstreams } from './gateway/network.js';
import { WINDOWS, windowsOf, zoneKey } from './gateway/rate.js';
import { serverPlans, serverSlots } from '../../model/routing.js';
import { dispatchText, namedLocation, slotMatch, splitSlot, triedRoutes } from './slots.js';
import { credentialsModule, gatewayScript } from './gateway/script.js';
import { routeTunnelId, servedRoutes, tunnelJump, tunnelJumpValues, tunnelLocation } from './tunnel.js';
import { headerVar, type MapBlock } from './gateway/values.js';
import { http2Directive } from './proxy.js';
import { hostPort, ident, num, quote, type NgxArg } from './quote.js';
import { decodedPaths } from '../../model/paths.js';

const render = loadTemplates('nginx-gateway');

/** Where Debian's libnginx-mod-http-js and the official nginx image put the njs module. */
export const NJS_MODULE = '/usr/lib/nginx/modules/ngx_http_js_module.so';

export interface GatewayProblem { path: (string | number)[]; message: string; hint?: string }
export interface GatewayFile { path: string; content: string; mode: number }

/** Gateway policies the nginx engine cannot express; each must become a validation error (never a silent drop). */
export function nginxGatewayProblems(model: Model): GatewayProblem[] {
  const out = new Map<string, GatewayProblem>();
  for (const r of model.routes) {
    const rl = r.rateLimit;
    if (rl?.policy.policy !== 'redis') continue;
    const path = [...rl.origin.path, 'policy'];
    out.set(path.join('.'), {
      path,
      message: 'rate limit policy "redis" cannot be expressed by the nginx gateway engine: nginx has no counter store shared between instances',
      hint: 'use policy: local (counted per gateway instance, like Kong\'s local policy) or gateway.engine: kong',
    });
  }
  return [...out.values()];
}

/** The servers of the gateway: one per route host set, http and/or https, with the locations of their routes. */
function servers(ctx: Context, instance: number, proxyProtocol: boolean) {
  const { gw, plan, model } = ctx;
  const tls = model.tls;
  const newHttp2 = http2Directive(model.targets.nginx);
  const tlsBlock = gw.terminatesTls && tls
    ? { certificate: quote(plan.file(tls.certificate), 'tls.certificate'), key: quote(plan.file(tls.key), 'tls.key'),
      protocols: TLS_PROFILES[tls.profile].protocols.join(' '), ciphers: TLS_PROFILES[tls.profile].ciphers ? quote(TLS_PROFILES[tls.profile].ciphers) : false }
    : false;
  const statics = ctx.next ? (model.proxy?.settings.static ?? []).map((st) => staticLocation(ctx, st.prefix)) : [];
  const out = [];
  const { byDefault, servers: plans } = serverPlans(model.routes);
  for (const server of plans) {
    const isDefault = server.host === undefined;
    const slots = serverSlots(server, byDefault);
    const locations: LocationView[] = [];
    const memo = new Map<string, readonly NgxArg[]>();
    for (const slot of slots) {
      const { tried, served, guards } = splitSlot(slot, memo);
      const text = dispatchText(tried, '            ', memo);
      const dispatch = text ? new TextBlock(text.slice(0, -1), tried.length * 4) : false;
      const match = slotMatch(slot);
      // An upgrade goes to the route's twin (tunnel.ts) once the routes tried first have passed.
      const jump = served ? new TextBlock(text + tunnelJump(routeTunnelId(served), '            ', tried.length > 0, guards).slice(0, -1), tried.length * 4 + tunnelJumpValues(guards)) : dispatch;
      locations.push(served ? { ...routeLocation(ctx, served, match, [...guards]), dispatch: jump } : noRouteLocation(ctx, slot.path, match, dispatch));
    }
    const named: LocationView[] = [...triedRoutes(slots, new Set())].sort((a, b) => a.order - b.order)
      .map((r) => ({ ...routeLocation(ctx, r, namedLocation(r), []), dispatch: new TextBlock(tunnelJump(routeTunnelId(r), '            ', false).slice(0, -1), tunnelJumpValues()) }));
    locations.push(...statics);
    // One refusal location per route, though a route may be served in several slots.
    const refused = [...new Map([...locations, ...named].flatMap((l) => (typeof l.refused === 'object' ? [[l.refused.name, l.refused] as const] : []))).values()];
    // The twins answer a refused upgrade with the route's own refusal location (listed once, above).
    named.push(...[...servedRoutes(slots, new Set())].sort((a, b) => a.order - b.order).map((r) => routeLocation(ctx, r, tunnelLocation(routeTunnelId(r)), [], true)));
    for (const kind of ['http', 'https'] as const) {
      if (gw.listen[kind] === undefined) continue;
      const ep = plan.bind('gateway', instance, kind);
      // bind "::" means every address, IPv4 too (nginx would listen on IPv6 only); a socket option, so on the default server only.
      const flags = [kind === 'https' ? 'ssl' : '', kind === 'https' && !newHttp2 ? 'http2' : '', kind === 'https' && proxyProtocol ? 'proxy_protocol' : '', isDefault ? 'default_server' : '', isDefault && ep.host === '::' ? 'ipv6only=off' : ''];
      const httpsPort = gw.listen.https !== undefined ? plan.advertise('gateway', instance, 'https') : undefined;
      const redirect = kind === 'http' && ctx.isEntry && tls?.redirectHttp && httpsPort !== undefined
        ? { port: httpsPort === 443 ? '' : `:${num(httpsPort)}` } : false;
      out.push({
        listen: [hostPort(ep.host, ep.port), ...flags.filter(Boolean)].join(' '),
        serverNames: isDefault ? '_' : quote(server.host!, 'route host'),
        http2: kind === 'https' && newHttp2, tls: kind === 'https' ? tlsBlock : false, redirect,
        locations, named, refused,
      });
    }
  }
  return out;
}

/** nginx.conf, the njs module and the credentials module (0600) of the gateway layer on the nginx engine. */
export function emitNginxGateway(specModel: Model, plan: AddressPlan, opts: { instance: number; env: Env; user?: string }): GatewayFile[] {
  // nginx matches locations against the decoded URI: encoded route paths are written decoded.
  const model = decodedPaths(specModel);
  const problems = nginxGatewayProblems(model);
  if (problems.length) throw new EmitError(problems.map((p) => `${p.path.join('.')}: ${p.message}`).join('; '));
  const gw = model.gateway!;
  const at = model.chain.indexOf('gateway');
  const proxyProtocol = model.chain[at - 1] === 'loadBalancer' && Boolean(model.loadBalancer?.passthrough);
  const local = plan.mode === 'local';
  const state = local ? plan.stateDir('gateway', opts.instance) : '/var/cache/nginx';
  const header = (what: string) => `generated by edgegen from ${model.source} (stack ${model.name}, layer gateway, engine nginx${what}); do not edit`;
  const ctx: Context = { model, plan, gw, next: nextLayer(model, 'gateway'), isEntry: at === 0, maps: [], policies: {}, cors: new Map(), caches: [] };

  const corr = gw.settings.correlationId;
  if (corr) ctx.maps.push({ source: `$http_${headerVar(corr.header)}` as NgxArg, target: '$edgegen_correlation_id' as NgxArg,
    entries: [`default $http_${headerVar(corr.header)}`, '"" $request_id'] as NgxArg[] });
  const serverViews = servers(ctx, opts.instance, proxyProtocol);
  ctx.maps.push(...forwardingMaps(ctx.isEntry, proxyProtocol), ...(ctx.cors.size ? preflightMaps() : []), ...(ctx.caches.length ? [CACHE_STATUS_MAP] : []));
  // Locations repeat per server; their maps are the same each time.
  const maps = new Map<string, MapBlock>();
  for (const m of ctx.maps) if (!maps.has(m.target)) maps.set(m.target, m);

  const trusted = trustedProxies(model, plan);
  const status = plan.bind('gateway', opts.instance, 'status');
  const used = WINDOWS.filter((w) => model.routes.some((r) => r.rateLimit && windowsOf(r.rateLimit.policy).includes(w)));
  const view = {
    header: header(''),
    user: opts.user ? ident(opts.user) : false,
    pidFile: quote(local ? `${state}/nginx.pid` : '/var/run/nginx.pid', 'state dir'),
    errorLog: quote(local ? `${state}/error.log` : '/dev/stderr', 'state dir'),
    accessLog: quote(local ? `${state}/access.log` : '/dev/stdout', 'state dir'),
    njsModule: quote(NJS_MODULE),
    tempDir: local ? Object.fromEntries(['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((k) => [k, quote(`${state}/tmp/${k}`, 'state dir')])) : false,
    maps: [...maps.values()],
    realIp: at > 0 ? { from: trusted, header: proxyProtocol ? 'proxy_protocol' : 'X-Forwarded-For' } : false,
    zones: used.map((w) => ({ key: zoneKey(w), name: ident(`edgegen_rl_${w}`) })),
    cache: ctx.caches.length
      ? { path: quote(`${state}/edgegen-gateway-cache`, 'state dir'), size: sizeArg(ctx.caches[0].size), maxSize: sizeArg(ctx.caches[0].maxSize) } : false,
    upstreams: upstreams(model, plan),
    servers: serverViews,
    status: { listen: hostPort(status.host, status.port), allow: [...new Set(['127.0.0.1', ...trusted])], metrics: gw.settings.metrics },
  };
  return [
    { path: 'nginx-gateway/nginx.conf', content: render('nginx.conf', view), mode: 0o644 },
    { path: 'nginx-gateway/edgegen-gateway.js', content: gatewayScript(header(', njs module'), ctx.policies), mode: 0o644 },
    { path: 'nginx-gateway/edgegen-credentials.js', content: credentialsModule(header(', credentials: keep private'), model, opts.env), mode: 0o600 },
  ];
}

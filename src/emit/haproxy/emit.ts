import type { AddressPlan } from '../../model/plan.js';
import { nextLayer, type Model, type Route, type Service } from '../../model/types.js';
import { durationMs } from '../../spec/primitives.js';
import { EmitError, loadTemplates } from '../text.js';
import { hstsValue, TLS_PROFILES } from '../tls.js';
import { address, fmtExpr, ident, num, quote, time, type HapWord } from './quote.js';
import type { LayerFile } from '../files.js';
import { routingRules } from './routing.js';
import { DEFAULT_CHECK, failoverLines, l7RetryLines } from './failover.js';

const render = loadTemplates('haproxy');

interface Frontend { name: HapWord; mode: 'http' | 'tcp'; bind: HapWord; lines: HapWord[]; defaultBackend: HapWord | false }
interface Backend { name: HapWord; mode: 'http' | 'tcp'; balance: HapWord; lines: HapWord[]; servers: HapWord[] }

const w = (...parts: (string | HapWord)[]) => parts.join(' ') as HapWord;

const NEXT_HEALTH = { gateway: '/status/ready', proxy: '/healthz' } as const;

function balanceFor(algorithm: string, hashHeader?: string): HapWord {
  switch (algorithm) {
    case 'leastconn': return w('leastconn');
    case 'source': case 'iphash': return w('source');
    case 'random': return w('random');
    case 'uri': case 'hash': return w('uri');
    case 'header': return w(`hdr(${ident(hashHeader!)})`);
    default: return w('roundrobin');
  }
}

/** The longest tunnel (upgraded connection) idle timeout of some routes: HAProxy's, where it cannot tell them apart. */
function tunnelMs(routes: readonly Route[]): number {
  return routes.reduce((m, r) => Math.max(m, r.timeouts.tunnelMs), 1000);
}

function checkLines(path: string, expect: number): HapWord[] {
  return [w('option httpchk'), w('http-check send meth GET uri', quote(path, 'health path')), w('http-check expect status', num(expect))];
}

function serviceBackend(s: Service, model: Model, plan: AddressPlan): Backend {
  const lb = model.loadBalancer!;
  const hc = s.healthCheck;
  const lines: HapWord[] = [];
  if (hc) lines.push(...checkLines(hc.path, hc.expectStatus));
  lines.push(...failoverLines(hc ?? DEFAULT_CHECK, lb.settings.redispatch));
  // After an upgrade (WebSocket) the tunnel timeout replaces client and server: the service's, or per route in http mode.
  const routes = model.routes.filter((r) => r.service === s);
  const http = lb.settings.mode === 'http';
  lines.push(w('timeout connect', time(s.timeouts.connectMs)), w('timeout server', time(s.timeouts.readMs)),
    w('timeout tunnel', time(http ? s.timeouts.tunnelMs : tunnelMs(routes))), w('retries', num(s.retries)));
  if (http) for (const r of routes) if (r.timeouts.tunnelMs !== s.timeouts.tunnelMs)
    lines.push(w('http-request set-timeout tunnel', time(r.timeouts.tunnelMs), `if { var(txn.route) -m str ${ident(r.id)} }`));
  if (lb.settings.mode === 'http') lines.push(w('http-reuse safe'), ...l7RetryLines());
  const servers = s.instances.map((inst) => {
    const ep = plan.service(s.name, inst.index);
    return w(ident(`${s.name}-${inst.index + 1}`), address(ep.host, ep.port), 'check', 'weight', num(inst.weight), inst.backup ? 'backup' : '',
      s.protocol === 'https' ? 'ssl verify none' : '').replace(/ +/g, ' ') as HapWord;
  });
  return { name: ident(s.id), mode: lb.settings.mode, balance: balanceFor(s.algorithm), lines, servers };
}

/** haproxy.cfg for the load balancer layer, and the map files it reads when routes are many. */
export function emitHaproxy(model: Model, plan: AddressPlan, opts: { instance: number }): LayerFile[] {
  const lb = model.loadBalancer!;
  const s = lb.settings;
  const tls = model.tls;
  const next = nextLayer(model, 'loadBalancer');
  const httpMode = s.mode === 'http';
  const frontends: Frontend[] = [];
  const backends: Backend[] = [];
  const isEntry = model.chain[0] === 'loadBalancer';
  const bind = (kind: 'http' | 'https' | 'status') => {
    const ep = plan.bind('loadBalancer', opts.instance, kind);
    // "::" means every address, IPv4 too (v4v6: whatever net.ipv6.bindv6only says).
    return ep.host === '0.0.0.0' ? (`:${num(ep.port)}` as HapWord) : ep.host === '::' ? (`${address(ep.host, ep.port)} v4v6` as HapWord) : address(ep.host, ep.port);
  };
  const profile = tls ? TLS_PROFILES[tls.profile] : undefined;
  // Map files live beside haproxy.cfg: the official image's config dir, or the instance's state dir in local runs.
  const mapDir = `${plan.mode === 'local' ? plan.stateDir('loadBalancer', opts.instance) : '/usr/local/etc/haproxy'}/maps`;
  // Only routing reads maps (inside converter arguments, where a space would end the word).
  if (!next && !/^\/[A-Za-z0-9._\/-]+$/.test(mapDir)) throw new EmitError(`map directory ${mapDir} holds characters HAProxy paths cannot`);
  const routing = next ? undefined : routingRules(model, mapDir);

  // Next-layer pool (gateway or proxy) or, with services right behind, one backend per service.
  const pool = next ? ident(`be_${next.kind}`) : undefined;
  const poolBackend = (tlsHop: boolean, mode: 'http' | 'tcp', name: HapWord): Backend => {
    const kind = next!.kind as 'gateway' | 'proxy';
    const hc = s.healthCheck;
    const lines: HapWord[] = [];
    if (hc) lines.push(...checkLines(hc.path ?? NEXT_HEALTH[kind], hc.expectStatus));
    lines.push(...failoverLines(hc ? { intervalMs: durationMs(hc.interval), rise: hc.rise, fall: hc.fall } : DEFAULT_CHECK, s.redispatch));
    if (s.sticky && mode === 'http') lines.push(w('cookie', ident(s.sticky.cookie), 'insert indirect nocache httponly', tls ? 'secure' : ''));
    // The next layer is edgegen's own proxy or gateway: idle connections to it may serve any client.
    if (mode === 'http') lines.push(w('http-reuse always'), ...l7RetryLines());
    const port = tlsHop ? 'https' : 'http';
    const servers: HapWord[] = [];
    for (let i = 0; i < next!.instances; i++) {
      const ep = plan.reach(kind, i, port);
      const st = plan.reach(kind, i, 'status');
      const name = ident(`${kind}-${i + 1}`);
      const opt: string[] = [name, address(ep.host, ep.port)];
      // Without a check path: a TCP connect check of the traffic port.
      opt.push('check', ...(hc ? ['port', String(st.port), ...(st.host !== ep.host ? ['addr', st.host] : [])] : []));
      if (s.weights) opt.push('weight', String(s.weights[i]));
      if (s.sticky && mode === 'http') opt.push('cookie', name);
      if (tlsHop && mode === 'http') opt.push('ssl', ...(tls?.ca ? ['verify required ca-file', quote(plan.file(tls.ca), 'tls.ca')] : ['verify none']), 'alpn http/1.1');
      if (hc && tlsHop && mode === 'http') opt.push('no-check-ssl');
      if (mode === 'tcp' && lb.passthrough && tlsHop) opt.push('send-proxy-v2');
      servers.push(w(...opt));
    }
    return { name, mode, balance: balanceFor(s.algorithm, s.hashHeader), lines, servers };
  };

  const commonHttp: HapWord[] = [];
  if (isEntry) commonHttp.push(w('http-request del-header X-Forwarded-For'), w('http-request del-header X-Real-IP'));
  commonHttp.push(w('option forwardfor'), w('http-request set-header X-Real-IP %[src]'));
  const ridHeader = model.gateway?.settings.correlationId?.header ?? 'X-Request-ID';
  commonHttp.push(w(`unique-id-format ${fmtExpr('%{+X}o%ci:%cp_%fi:%fp_%Ts_%rt:%pid')}`), w(`http-request set-header ${ident(ridHeader)} %[unique-id] unless { req.hdr(${ident(ridHeader)}) -m found }`));

  if (lb.listen.http !== undefined) {
    const lines: HapWord[] = [];
    const redirect = isEntry && tls?.redirectHttp && lb.listen.https !== undefined;
    const httpsPort = redirect ? plan.advertise('loadBalancer', opts.instance, 'https') : 443;
    if (redirect) {
      lines.push(httpsPort === 443
        ? w('http-request redirect scheme https code 301')
        : w('http-request redirect location', fmtExpr(`https://%[req.hdr(host),field(1,:)]:${num(httpsPort)}%[capture.req.uri]`), 'code 301'));
    }
    else lines.push(...commonHttp, w('http-request set-header X-Forwarded-Proto http'));
    frontends.push({ name: ident('fe_http'), mode: redirect ? 'http' : s.mode, bind: bind('http'), lines: httpMode || redirect ? lines : [],
      defaultBackend: redirect ? false : pool && !next ? false : (pool ?? false) });
    if (!redirect && routing && httpMode) frontends[frontends.length - 1].lines.push(...routing.lines);
  }
  if (lb.listen.https !== undefined) {
    if (lb.passthrough) {
      frontends.push({ name: ident('fe_https'), mode: 'tcp', bind: bind('https'), lines: [w('option tcplog'), w('tcp-request inspect-delay 5s'), w('tcp-request content accept if { req.ssl_hello_type 1 }')], defaultBackend: ident(`be_${next!.kind}_tls`) });
    } else {
      const crt = quote(plan.file(tls!.certificate), 'tls.certificate');
      const lines: HapWord[] = [];
      if (httpMode) {
        lines.push(...commonHttp, w('http-request set-header X-Forwarded-Proto https'));
        if (tls!.hsts) lines.push(w('http-response set-header Strict-Transport-Security', quote(hstsValue(tls!.hsts))));
        if (routing) lines.push(...routing.lines);
      }
      frontends.push({ name: ident('fe_https'), mode: s.mode, bind: w(bind('https'), 'ssl crt', crt, httpMode ? 'alpn h2,http/1.1' : ''), lines, defaultBackend: next ? pool! : false });
    }
  }

  if (next) {
    const redirectOnly = lb.passthrough && (lb.listen.http === undefined || tls?.redirectHttp);
    if (!redirectOnly) backends.push(poolBackend(lb.upstreamTls, s.mode, pool!));
    if (lb.passthrough) backends.push(poolBackend(true, 'tcp', ident(`be_${next.kind}_tls`)));
  } else {
    for (const svc of model.services) if (model.routes.some((r) => r.service === svc)) backends.push(serviceBackend(svc, model, plan));
  }

  const ms = (d: string) => time(durationMs(d));
  const view = {
    header: `generated by edgegen from ${model.source} (stack ${model.name}, layer loadBalancer); do not edit`,
    maxconn: num(s.maxConnections),

    tls: tls && (lb.terminatesTls || lb.upstreamTls)
      ? { bindOptions: tls.profile === 'modern' ? 'ssl-min-ver TLSv1.3 no-tls-tickets' : 'ssl-min-ver TLSv1.2 no-tls-tickets', ciphers: profile!.ciphers ? profile!.ciphers : false }
      : false,
    mode: s.mode,
    httpMode,
    timeouts: { connect: ms(s.timeouts.connect), client: ms(s.timeouts.client), server: ms(s.timeouts.server), httpRequest: ms(s.timeouts.httpRequest), queue: ms(s.timeouts.queue), check: ms(s.healthCheck?.timeout ?? '2s'),
      tunnel: time(tunnelMs(model.routes)) },
    retries: num(s.retries),
    redispatch: s.redispatch,
    frontends,
    backends,
    stats: s.stats
      ? { bind: bind('status'), path: quote(s.stats.path, 'stats path'), bindNote: plan.bind('loadBalancer', opts.instance, 'status').host }
      : false,
  };
  return [{ path: 'haproxy.cfg', content: render('haproxy.cfg', view) }, ...(routing?.files ?? [])];
}

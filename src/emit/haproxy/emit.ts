import type { AddressPlan } from '../../model/plan.js';
import { nextLayer, type Model, type Route, type Service } from '../../model/types.js';
import { durationMs } from '../../spec/primitives.js';
import { loadTemplates } from '../text.js';
import { hstsValue, TLS_PROFILES } from '../tls.js';
import { address, fmtExpr, ident, num, patterns, quote, time, type HapWord } from './quote.js';

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

function checkLines(path: string, expect: number): HapWord[] {
  return [w('option httpchk'), w('http-check send meth GET uri', quote(path, 'health path')), w('http-check expect status', num(expect))];
}

/** ACL conditions for one route, as words after "if". */
function routeConditions(r: Route): HapWord[] {
  const c: HapWord[] = [];
  const fetch = r.pathType === 'exact' ? 'path' : r.pathType === 'regex' ? 'path_reg' : 'path_beg';
  c.push(w(`{ ${fetch}`, patterns([r.path], 'route path'), '}'));
  if (r.hosts.length) {
    const exact = r.hosts.filter((h) => !h.startsWith('*.'));
    const wild = r.hosts.filter((h) => h.startsWith('*.')).map((h) => h.slice(1));
    const parts: string[] = [];
    if (exact.length) parts.push(`{ var(txn.host) -m str ${patterns(exact.map((h) => h.toLowerCase()), 'route host')} }`);
    if (wild.length) parts.push(`{ var(txn.host) -m end ${patterns(wild.map((h) => h.toLowerCase()), 'route host')} }`);
    c.push(w(parts.join(' || ')));
  }
  if (r.methods.length) c.push(w('{ method', patterns(r.methods), '}'));
  for (const [name, values] of Object.entries(r.headers)) c.push(w(`{ req.hdr(${ident(name)}) -i -m str`, patterns(values, 'header match'), '}'));
  return c;
}

function routingLines(model: Model): HapWord[] {
  const lines: HapWord[] = [w('http-request set-var(txn.host) req.hdr(host),field(1,:),lower')];
  // One total route order: the first route whose conditions hold names the request; later rules read the name.
  for (const r of model.routes) {
    const conds = routeConditions(r);
    if (conds.some((c) => c.includes('||'))) {
      // "||" binds looser than AND: split host alternatives into separate rules.
      const [path, hosts, ...rest] = conds;
      for (const alt of hosts.split(' || ')) lines.push(w(`http-request set-var(txn.route) str(${ident(r.id)}) if !{ var(txn.route) -m found }`, path, alt, ...rest));
    } else lines.push(w(`http-request set-var(txn.route) str(${ident(r.id)}) if !{ var(txn.route) -m found }`, ...conds));
  }
  lines.push(w(`http-request return status 404 content-type application/json string ${quote('{"message":"no route matched"}')} unless { var(txn.route) -m found }`));
  for (const r of model.routes) {
    if (r.pathType === 'regex' || !(r.stripPrefix || r.rewrite)) continue;
    const base = r.path.replace(/\/$/, '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const to = (r.rewrite ?? '/').replace(/\/$/, '');
    lines.push(w('http-request replace-path', quote(`^${base}/?(.*)`), quote(`${to}/\\1`), `if { var(txn.route) -m str ${ident(r.id)} }`));
  }
  for (const r of model.routes) lines.push(w(`use_backend ${ident(r.service.id)} if { var(txn.route) -m str ${ident(r.id)} }`));
  return lines;
}

function serviceBackend(s: Service, model: Model, plan: AddressPlan): Backend {
  const lb = model.loadBalancer!;
  const hc = s.healthCheck;
  const lines: HapWord[] = [];
  if (hc) lines.push(...checkLines(hc.path, hc.expectStatus), w('default-server inter', time(hc.intervalMs), 'fall', num(hc.fall), 'rise', num(hc.rise)));
  lines.push(w('timeout connect', time(s.timeouts.connectMs)), w('timeout server', time(s.timeouts.readMs)), w('retries', num(s.retries)));
  if (lb.settings.mode === 'http') lines.push(w('http-reuse safe'));
  const servers = s.instances.map((inst) => {
    const ep = plan.service(s.name, inst.index);
    return w(ident(`${s.name}-${inst.index + 1}`), address(ep.host, ep.port), hc ? 'check' : '', 'weight', num(inst.weight), inst.backup ? 'backup' : '',
      s.protocol === 'https' ? 'ssl verify none' : '').replace(/ +/g, ' ') as HapWord;
  });
  return { name: ident(s.id), mode: lb.settings.mode, balance: balanceFor(s.algorithm), lines, servers };
}

/** haproxy.cfg for the load balancer layer. */
export function emitHaproxy(model: Model, plan: AddressPlan, opts: { instance: number }): string {
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
    return ep.host === '0.0.0.0' ? (`:${num(ep.port)}` as HapWord) : address(ep.host, ep.port);
  };
  const profile = tls ? TLS_PROFILES[tls.profile] : undefined;

  // Next-layer pool (gateway or proxy) or, with services right behind, one backend per service.
  const pool = next ? ident(`be_${next.kind}`) : undefined;
  const poolBackend = (tlsHop: boolean, mode: 'http' | 'tcp', name: HapWord): Backend => {
    const kind = next!.kind as 'gateway' | 'proxy';
    const hc = s.healthCheck;
    const lines: HapWord[] = [];
    if (hc) lines.push(...checkLines(hc.path ?? NEXT_HEALTH[kind], hc.expectStatus), w('default-server inter', time(durationMs(hc.interval)), 'fall', num(hc.fall), 'rise', num(hc.rise)));
    if (s.sticky && mode === 'http') lines.push(w('cookie', ident(s.sticky.cookie), 'insert indirect nocache httponly', tls ? 'secure' : ''));
    if (mode === 'http') lines.push(w('http-reuse safe'));
    const port = tlsHop ? 'https' : 'http';
    const servers: HapWord[] = [];
    for (let i = 0; i < next!.instances; i++) {
      const ep = plan.reach(kind, i, port);
      const st = plan.reach(kind, i, 'status');
      const name = ident(`${kind}-${i + 1}`);
      const opt: string[] = [name, address(ep.host, ep.port)];
      if (hc) opt.push('check', 'port', String(st.port), ...(st.host !== ep.host ? ['addr', st.host] : []));
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
    const httpsPort = redirect ? plan.bind('loadBalancer', opts.instance, 'https').port : 443;
    if (redirect) {
      lines.push(httpsPort === 443
        ? w('http-request redirect scheme https code 301')
        : w('http-request redirect location', fmtExpr(`https://%[req.hdr(host),field(1,:)]:${num(httpsPort)}%[capture.req.uri]`), 'code 301'));
    }
    else lines.push(...commonHttp, w('http-request set-header X-Forwarded-Proto http'));
    frontends.push({ name: ident('fe_http'), mode: redirect ? 'http' : s.mode, bind: bind('http'), lines: httpMode || redirect ? lines : [],
      defaultBackend: redirect ? false : pool && !next ? false : (pool ?? false) });
    if (!redirect && !next && httpMode) frontends[frontends.length - 1].lines.push(...routingLines(model));
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
        if (!next) lines.push(...routingLines(model));
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
    timeouts: { connect: ms(s.timeouts.connect), client: ms(s.timeouts.client), server: ms(s.timeouts.server), httpRequest: ms(s.timeouts.httpRequest), queue: ms(s.timeouts.queue), check: ms(s.healthCheck?.timeout ?? '2s') },
    retries: num(s.retries),
    redispatch: s.redispatch,
    frontends,
    backends,
    stats: s.stats
      ? { bind: bind('status'), path: quote(s.stats.path, 'stats path'), bindNote: plan.bind('loadBalancer', opts.instance, 'status').host }
      : false,
  };
  return render('haproxy.cfg', view);
}

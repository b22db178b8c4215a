import type { AddressPlan } from '../../../model/plan.js';
import type { CachePolicy, Model, ProxyLayer, Route, Service } from '../../../model/types.js';
import type { TextBlock } from '../../text.js';
import { escapeRegex, expr, ident, num, quote, regex, time, type NgxArg } from '../quote.js';
import type { PathSlot } from '../../../model/routing.js';
import { dispatchText, headerVar, namedLocation, slotMatch, splitSlot } from '../slots.js';
import { LocationsWriter, tidy, type Location, type ProxyDirectives } from './location.js';
import { tunnelJump, tunnelJumpValues, tunnelLocation } from '../tunnel.js';

export function ttlMs(d: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(d)!;
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms'];
}

function cacheKey(parts: string[]): NgxArg {
  const map: Record<string, string> = { scheme: '$scheme', method: '$request_method', host: '$host', uri: '$request_uri', args: '$args' };
  return expr(parts.map((p) => (p.startsWith('header:') ? `|$http_${headerVar(p.slice(7))}` : map[p])).join(''));
}

const NONE: readonly never[] = [];
const NO_DISPATCH = { text: '', values: 0 };
const I1 = '            ';

/** A twin for upgrades (tunnel.ts) and the route whose forwarding it copies. */
interface Twin { id: string; route: Route }
interface CacheParts { id: number; headers: readonly NgxArg[]; directives?: ProxyDirectives['cache'] }
interface ServiceParts {
  pass: NgxArg;
  comment: string;
  tries?: NgxArg;
  proxies: Map<string, ProxyDirectives>;
  /** The directives made last, and for what: the routes of a service mostly share its timeouts and cache policy. */
  last?: { connectMs: number; sendMs: number; readMs: number; cache?: CacheParts; proxy: ProxyDirectives };
}

/**
 * The proxy's routes as location blocks. What many routes share is made once (a spec may have 10 000 routes and a
 * thousand services): a service's proxy_pass, the directives for one service, timeouts and cache policy, method tests.
 */
export class RouteLocations {
  private readonly services = new Map<Service, ServiceParts>();
  private readonly times = new Map<number, NgxArg>();
  private readonly caches = new Map<CachePolicy, CacheParts>();
  private readonly tests = new Map<string, readonly NgxArg[]>();
  private readonly twins = new Map<string, Twin>();
  private readonly settings: ProxyLayer['settings'];

  constructor(model: Model, private readonly plan: AddressPlan, private readonly securityHeaders: NgxArg[]) {
    this.settings = model.proxy!.settings;
  }

  /**
   * The locations of a server's slots, its static locations, then the named locations `named` (routes the slots jump to),
   * then, with `ownTwins`, the twins for upgrades its locations jump to (tunnel.ts; without: they are in twinsBlock()).
   */
  block(slots: Iterable<PathSlot>, withStatic: boolean, named: Iterable<Route> = NONE, ownTwins = true): TextBlock {
    const out = new LocationsWriter();
    const used = new Set<Twin>();
    for (const slot of slots) {
      const { tried, served, guards } = splitSlot(slot, this.tests);
      const dispatch = { text: dispatchText(tried, I1, this.tests), values: tried.length * 4 };
      const match = slotMatch(slot);
      if (served) out.add({ ...this.locationFor(served, match), guards, dispatch: { text: dispatch.text + tunnelJump(this.twinOf(served, used), I1, tried.length > 0, guards), values: dispatch.values + tunnelJumpValues(guards) } });
      else out.add({ comment: tidy(`${slot.path}: no route takes what lands here`), match,
        dispatch, guards: NONE, noRoute: true, static: false, rewrite: NONE, proxy: false, headers: NONE });
    }
    for (const st of withStatic ? this.settings.static : []) {
      out.add({
        comment: tidy(`static files under ${st.prefix}`),
        match: `^~ ${quote(st.prefix, 'static prefix')}` as NgxArg,
        dispatch: NO_DISPATCH, guards: NONE, noRoute: false,
        // immutable: one Cache-Control with max-age and immutable, on successful responses only (like expires: a 404 must
        // not be kept for the whole expiry); otherwise nginx's expires sets Expires and max-age.
        static: { root: quote(this.plan.file(st.root), 'static root'), expires: st.immutable ? false : time(ttlMs(st.expires)),
          cacheControl: st.immutable ? quote(`public, max-age=${ttlMs(st.expires) / 1000}, immutable`) : false },
        rewrite: NONE,
        proxy: false,
        headers: this.securityHeaders,
      });
    }
    for (const r of [...named].sort((a, b) => a.order - b.order)) out.add({ ...this.locationFor(r, namedLocation(r)), dispatch: { text: tunnelJump(this.twinOf(r, used), I1, false), values: tunnelJumpValues() } });
    if (ownTwins) for (const t of used) out.add(this.twinLocation(t));
    return out.block();
  }

  /** Every twin the blocks so far jump to (for an include all servers share). */
  twinsBlock(): TextBlock {
    const out = new LocationsWriter();
    for (const t of this.twins.values()) out.add(this.twinLocation(t));
    return out.block();
  }

  /**
   * The twin an upgrade on a route goes to. The proxy's twins hold no route policy, only where and how to forward: routes
   * with the same service, rewrite, connect and tunnel timeouts share one (a few per service, not one per route).
   */
  private twinOf(r: Route, used: Set<Twin>): string {
    const rewrites = r.pathType !== 'regex' && (r.stripPrefix || r.rewrite);
    const key = `${r.service.id} ${r.timeouts.connectMs} ${r.timeouts.tunnelMs}${rewrites ? ` ${r.path} ${r.rewrite ?? ''}` : ''}`;
    let t = this.twins.get(key);
    if (!t) this.twins.set(key, t = { id: `edgegen_tunnel_${this.twins.size + 1}`, route: r });
    used.add(t);
    return t.id;
  }

  private twinLocation(t: Twin): Location {
    const l = this.locationFor(t.route, tunnelLocation(t.id), true);
    return { ...l, comment: tidy(`upgraded connections${this.serviceFor(t.route.service).comment}`) };
  }

  /** `tunnel`: the twin for upgrades (tunnel timeouts, never cached). */
  private locationFor(r: Route, match: NgxArg, tunnel = false): Location {
    let rewrite: readonly NgxArg[] = NONE;
    if (r.pathType !== 'regex' && (r.stripPrefix || r.rewrite)) {
      const base = r.path.replace(/\/$/, '');
      const to = (r.rewrite ?? '/').replace(/\/$/, '');
      const pattern = regex(`^${escapeRegex(base)}/?(.*)$`);
      quote(`${to}/`, 'rewrite'); // spec text: the same checks as any literal before it becomes an expression with $1
      // The route's path itself goes to the target itself ("/base" -> "/to"), the rest below it (model: upstreamPath).
      rewrite = [...(base ? [`${regex(`^${escapeRegex(base)}$`)} ${quote(to || '/', 'rewrite')}` as NgxArg] : []), `${pattern} ${expr(`${to}/$1`)}` as NgxArg];
    }
    const policy = r.cache?.layer === 'proxy' && !tunnel ? r.cache.policy : undefined;
    const svc = this.serviceFor(r.service);
    const cache = policy && this.cacheFor(policy);
    return { comment: `route ${r.name}${svc.comment}`, match, dispatch: NO_DISPATCH, guards: NONE, noRoute: false, static: false, rewrite,
      proxy: this.proxyFor(r, svc, cache, policy, tunnel), headers: cache ? cache.headers : NONE };
  }

  private proxyFor(r: Route, svc: ServiceParts, cache: CacheParts | undefined, policy: CachePolicy | undefined, tunnel: boolean): ProxyDirectives {
    const { connectMs } = r.timeouts;
    // After a 101 nginx keeps the read and send timeouts as the tunnel's idle timeouts.
    const sendMs = tunnel ? r.timeouts.tunnelMs : r.timeouts.sendMs;
    const readMs = tunnel ? r.timeouts.tunnelMs : r.timeouts.readMs;
    const last = svc.last;
    if (last && last.connectMs === connectMs && last.sendMs === sendMs && last.readMs === readMs && last.cache === cache) return last.proxy;
    const key = `${connectMs} ${sendMs} ${readMs} ${cache ? cache.id : ''}`;
    let proxy = svc.proxies.get(key);
    if (!proxy) {
      proxy = {
        pass: svc.pass,
        sslServerName: r.service.protocol === 'https',
        connectTimeout: this.time(connectMs),
        sendTimeout: this.time(sendMs),
        readTimeout: this.time(readMs),
        tries: svc.tries ??= num(r.service.retries + 1),
        cache: cache && policy ? cache.directives ??= this.cacheDirectives(policy) : false,
      };
      svc.proxies.set(key, proxy);
    }
    svc.last = { connectMs, sendMs, readMs, cache, proxy };
    return proxy;
  }

  private serviceFor(s: Service) {
    let svc = this.services.get(s);
    if (!svc) {
      this.services.set(s, svc = { pass: `${s.protocol === 'https' ? 'https' : 'http'}://${ident(s.id)}` as NgxArg,
        comment: tidy(` -> service ${s.name}`), proxies: new Map() });
    }
    return svc;
  }

  private time(ms: number): NgxArg {
    let t = this.times.get(ms);
    if (!t) this.times.set(ms, t = time(ms));
    return t;
  }

  private cacheFor(policy: CachePolicy) {
    let c = this.caches.get(policy);
    // Locations inherit the server's add_header lines unless they add their own (then nginx needs them all again).
    if (!c) this.caches.set(policy, c = { id: this.caches.size, headers: [...this.securityHeaders, `${policy.statusHeader} $upstream_cache_status` as NgxArg] });
    return c;
  }

  private cacheDirectives(policy: CachePolicy) {
    return { key: cacheKey(policy.key), methods: policy.methods.map((m) => ident(m)).join(' ') as NgxArg,
      statuses: policy.statuses.map(num).join(' ') as NgxArg, ttl: time(ttlMs(policy.ttl)) };
  }
}

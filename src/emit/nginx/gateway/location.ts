import type { AddressPlan } from '../../../model/plan.js';
import type { AnyLayer, CachePolicy, GatewayLayer, Model, Route } from '../../../model/types.js';
import type { TextBlock } from '../../text.js';
import { hstsLayer, hstsValue } from '../../tls.js';
import { escapeRegex, expr, ident, num, quote, regex, time, type NgxArg } from '../quote.js';
import { cacheFor } from './cache.js';
import { corsFor, type CorsHeaders, type Header } from './cors.js';
import { NEXT_LAYER_POOL } from './network.js';
import { limitsFor } from './rate.js';
import { scriptPolicy, type ScriptPolicy } from './script.js';
import { lines, requestTransform, responseTransform, setHeader, type HeaderSet } from './transforms.js';
import { kongErrorBody, type MapBlock } from './values.js';

/** What every location of one gateway config shares, and collects: maps, script policies, CORS and cache policies. */
export interface Context {
  model: Model;
  plan: AddressPlan;
  gw: GatewayLayer;
  next?: AnyLayer;
  isEntry: boolean;
  maps: MapBlock[];
  policies: Record<string, ScriptPolicy>;
  cors: Map<string, CorsHeaders>;
  caches: CachePolicy[];
}

const JSON_TYPE = quote('application/json; charset=utf-8');
const NOT_FOUND = kongErrorBody('no Route matched with those values');

function authId(ctx: Context, r: Route): string {
  const p = scriptPolicy(r.auth!.policy), key = JSON.stringify(p);
  const found = Object.entries(ctx.policies).find(([, q]) => JSON.stringify(q) === key);
  if (found) return found[0];
  const id = `a${Object.keys(ctx.policies).length + 1}`;
  ctx.policies[id] = p;
  return id;
}

function corsOf(ctx: Context, r: Route): CorsHeaders {
  const key = JSON.stringify(r.cors!.policy);
  if (!ctx.cors.has(key)) ctx.cors.set(key, corsFor(r.cors!.policy, ctx.cors.size + 1, ctx.maps));
  return ctx.cors.get(key)!;
}

/** Response headers of an answer: correlation echo, CORS (or the preflight's), `extra`, HSTS, then the response transform. */
function answer(ctx: Context, r: Route | undefined, extra: Header[], preflight?: Header[]) {
  const set: HeaderSet = new Map();
  const corr = ctx.gw.settings.correlationId;
  if (corr?.echo) setHeader(set, corr.header, expr('$edgegen_correlation_id'));
  for (const [n, v] of [...(preflight ?? (r?.cors ? corsOf(ctx, r).response : [])), ...extra]) setHeader(set, n, v);
  const tls = ctx.model.tls;
  if (tls?.hsts && hstsLayer(ctx.model) === 'gateway') setHeader(set, 'Strict-Transport-Security', quote(hstsValue(tls.hsts)));
  const { hide } = responseTransform(r?.responseHeaders, set, ctx.maps);
  return { headers: lines(set), hide };
}

/** Headers sent upstream on every hop, as Kong sends them. */
function forwarding(ctx: Context): HeaderSet {
  const up: HeaderSet = new Map();
  for (const [n, v] of [['Host', '$edgegen_host'], ['X-Real-IP', '$remote_addr'], ['X-Forwarded-For', '$edgegen_forwarded_for'],
    ['X-Forwarded-Proto', '$edgegen_forwarded_proto'], ['X-Forwarded-Host', '$host'], ['X-Forwarded-Port', '$server_port']]) setHeader(up, n, expr(v));
  // Upgrades (WebSockets) pass; other requests keep the upstream connection alive (see the map in nginx.conf).
  setHeader(up, 'Upgrade', expr('$http_upgrade'));
  setHeader(up, 'Connection', expr('$edgegen_connection'));
  const corr = ctx.gw.settings.correlationId;
  if (corr) setHeader(up, corr.header, expr('$edgegen_correlation_id'));
  return up;
}

/** TLS to the next hop: the next layer when the model re-encrypts (verified with tls.ca), or an https service. */
function ssl(ctx: Context, r: Route | undefined) {
  const { next, plan } = ctx;
  if (next && ctx.gw.upstreamTls) {
    const ca = ctx.model.tls?.ca;
    // One certificate serves every layer; edgegen's throw-away local certificates are issued for localhost.
    const name = plan.mode === 'local' ? 'localhost' : plan.reach(next.kind, 0, 'https').host;
    return { name: quote(name), verify: ca ? { trusted: quote(plan.file(ca), 'tls.ca') } : false };
  }
  if (!next && r?.service.protocol === 'https') return { name: quote(plan.service(r.service.name, 0).host), verify: false as const };
  return false;
}

function passTo(ctx: Context, r: Route | undefined): NgxArg {
  if (ctx.next) return `${ctx.gw.upstreamTls ? 'https' : 'http'}://${ident(NEXT_LAYER_POOL)}` as NgxArg;
  return `${r!.service.protocol}://${ident(r!.service.id)}` as NgxArg;
}

/** Kong's strip_path joined to the service path (only without a proxy behind, which rewrites itself): /p -> /to, /p/x -> /to/x. */
function rewriteOf(ctx: Context, r: Route): NgxArg[] {
  if (ctx.next || r.pathType === 'regex' || !(r.stripPrefix || r.rewrite)) return [];
  // As the model's upstreamPath: "/base" -> "/to", "/base/" -> "/to/", "/base/x" -> "/to/x", "/basement" -> "/to/ment".
  const from = escapeRegex(r.path.replace(/\/$/, '')), to = (r.rewrite ?? '/').replace(/\/$/, '');
  const out = from ? [`${regex(`^${from}$`)} ${quote(to || '/', 'rewrite')}` as NgxArg] : [];
  out.push(`${regex(`^${from}/?(.*)$`)} ${expr(`${to}/$1`)}` as NgxArg);
  return out;
}

export type LocationView = ReturnType<typeof routeLocation>;

/** The location of one route, its policies in Kong's order: CORS preflight, auth, rate limit, transforms, cache. */
/** `tunnel`: the twin that serves the route's upgrades (tunnel.ts): tunnel timeouts, never cached. */
export function routeLocation(ctx: Context, r: Route, match: NgxArg, guards: NgxArg[], tunnel = false) {
  const up = forwarding(ctx);
  const a = r.auth?.policy;
  const sets: NgxArg[] = [];
  const after: NgxArg[] = [];
  if (a) {
    sets.push(`$edgegen_auth_policy ${quote(authId(ctx, r))}` as NgxArg);
    // Kong sets the consumer headers and clears forged ones; its consumer and credential UUIDs have no equivalent here.
    for (const [n, v] of [['X-Consumer-ID', ''], ['X-Consumer-Custom-ID', '$edgegen_consumer_custom_id'], ['X-Consumer-Username', '$edgegen_consumer'],
      ['X-Credential-Identifier', '$edgegen_credential'], ['X-Anonymous', '']]) setHeader(up, n, v ? expr(v) : quote(''));
    if (a.type === 'key' && a.hideCredentials) {
      for (const k of a.keyNames) setHeader(up, k, quote(''));
      if (a.inQuery) after.push('$args $edgegen_args_without_key' as NgxArg);
    }
  }
  requestTransform(r.requestHeaders, up, ctx.maps);
  const rl = r.rateLimit ? limitsFor(r, r.rateLimit.policy) : undefined;
  if (rl) after.unshift(rl.identity);
  const cache = tunnel ? false : cacheFor(r, ctx.caches, ctx.maps);
  const main = answer(ctx, r, [...(rl?.headers ?? []), ...(cache ? [cache.status] : [])]);
  return {
    comment: `route ${r.name} -> ${ctx.next ? `${ctx.next.kind} layer` : `service ${r.service.name}`}${tunnel ? ', upgraded connections' : ''}`,
    match, dispatch: false as TextBlock | false, noRoute: false, guards, notFound: NOT_FOUND, json: JSON_TYPE, sets,
    preflight: r.cors ? answer(ctx, r, [], corsOf(ctx, r).preflight).headers : false,
    auth: a ? { denied: answer(ctx, r, [['WWW-Authenticate', expr('$edgegen_auth_challenge')]]).headers, failed: answer(ctx, r, []).headers } : false,
    after, rewrite: rewriteOf(ctx, r), limits: rl?.limits ?? [],
    refused: rl ? { name: rl.refused.name, body: rl.refused.body, json: JSON_TYPE, headers: answer(ctx, r, rl.refused.headers).headers } : false,
    proxy: {
      pass: passTo(ctx, r), setHeaders: lines(up), ssl: ssl(ctx, r), hide: main.hide,
      connectTimeout: time(r.timeouts.connectMs), sendTimeout: time(tunnel ? r.timeouts.tunnelMs : r.timeouts.sendMs),
      readTimeout: time(tunnel ? r.timeouts.tunnelMs : r.timeouts.readMs),
      tries: num(r.service.retries + 1), cache,
    },
    headers: main.headers,
  };
}

/** A slot no route takes (beyond those tried first): Kong's 404, with the headers of every answer (HSTS, correlation id). */
export function noRouteLocation(ctx: Context, path: string, match: NgxArg, dispatch: TextBlock | false): LocationView {
  const none = { pass: '' as NgxArg, setHeaders: [], ssl: false as const, hide: [], connectTimeout: '' as NgxArg, sendTimeout: '' as NgxArg,
    readTimeout: '' as NgxArg, tries: '' as NgxArg, cache: false as const };
  return {
    comment: `${path}: no route takes what ${dispatch ? 'the routes tried here leave' : 'lands here'}`, match, dispatch, noRoute: true,
    notFound: NOT_FOUND, json: JSON_TYPE, guards: [], sets: [], preflight: false, auth: false, after: [], rewrite: [], limits: [], refused: false,
    proxy: none as unknown as LocationView['proxy'], headers: answer(ctx, undefined, []).headers,
  };
}

/** A static prefix of the proxy layer: forwarded as Kong's proxy-static route does (GET and HEAD, no route policies). */
export function staticLocation(ctx: Context, prefix: string): LocationView {
  return {
    comment: `static files under ${prefix}: served by the proxy layer, GET and HEAD only, no route policies (as in Kong)`,
    match: `^~ ${quote(prefix, 'static prefix')}` as NgxArg, dispatch: false, noRoute: false, notFound: NOT_FOUND, json: JSON_TYPE,
    guards: [`$request_method !~ ${regex('^(GET|HEAD)$')}` as NgxArg],
    sets: [], preflight: false, auth: false, after: [], rewrite: [], limits: [], refused: false,
    proxy: { pass: passTo(ctx, undefined), setHeaders: lines(forwarding(ctx)), ssl: ssl(ctx, undefined), hide: [],
      connectTimeout: time(60_000), sendTimeout: time(60_000), readTimeout: time(60_000), tries: num(6), cache: false },
    headers: answer(ctx, undefined, []).headers,
  };
}

export { JSON_TYPE, NOT_FOUND };

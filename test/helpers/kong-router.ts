// Kong 3.9's route choice, evaluated on a kong.yaml without running Kong (it cannot run here). Both ATC-based router
// flavors are modelled after Kong's sources (kong/router/atc.lua, transform.lua, expressions.lua, fields.lua and
// the ATC router 1.6.2 it links):
// - every route becomes one ATC matcher: its `expression` (flavor `expressions`), or the expression Kong generates
//   from methods/hosts/paths/headers (transform.lua get_expression);
// - matchers are tried from the highest 64-bit priority down, ties broken by the higher route UUID (the router's
//   BTreeMap of (priority, uuid) walked in reverse); the first whose expression holds takes the request;
// - priority: an expression route has 0xFF << 56 | `priority`; a field route has get_priority's packed number
//   (match-field count, plain hosts, header count, regex or not, regex_priority, prefix length).
// Requests are taken as given: Kong's own URI normalization (percent-decoding, dot segments) is not applied.
import { parse } from 'yaml';
import { KONG_ROUTER_FLAVOR } from '../../src/emit/kong/routes.js';
import { parseAtc, type AtcExpr, type AtcPredicate } from '../../src/kong/schema/atc.js';
import { entityUuid, uuidV5 } from '../../src/kong/schema/ids.js';

export interface KongRequest { method: string; host?: string; path: string; headers?: Record<string, string>; scheme?: 'http' | 'https' }
export type RouterFlavor = 'expressions' | 'traditional_compatible';

type Rec = Record<string, unknown>;
interface Matcher { name: string; id: string; priority: bigint; expr: AtcExpr; stripPath: boolean; servicePath?: string }

/** The name of the route Kong picks for `req`, or undefined (Kong answers 404 "no Route matched"). */
export function kongRoute(kongYamlText: string, req: KongRequest, flavor: string = KONG_ROUTER_FLAVOR): string | undefined {
  return cachedMatcher(kongYamlText, flavor)(req)?.name;
}

type Hit = Matcher & { matchedPath?: string };

/** Matchers of the last few kong.yaml texts: callers ask many requests of one file. */
const recent = new Map<string, (req: KongRequest) => Hit | undefined>();

function cachedMatcher(kongYamlText: string, flavor: string): (req: KongRequest) => Hit | undefined {
  const key = `${flavor}\n${kongYamlText}`;
  let m = recent.get(key);
  if (!m) {
    m = kongMatcher(kongYamlText, flavor);
    if (recent.size >= 8) recent.delete(recent.keys().next().value!);
    recent.set(key, m);
  }
  return m;
}

/** The router of one kong.yaml, built once for many requests. */
export function kongRouter(kongYamlText: string, flavor: string = KONG_ROUTER_FLAVOR): (req: KongRequest) => string | undefined {
  if (flavor !== 'expressions' && flavor !== 'traditional_compatible') throw new Error(`router flavor ${flavor} is not modelled`);
  const route = kongMatcher(kongYamlText, flavor);
  return (req) => route(req)?.name;
}

/**
 * The route Kong picks and the path it sends upstream (atc.lua set_upstream_uri, utils.lua get_upstream_uri_v0):
 * with strip_path the text the route's `http.path` predicate matched is cut, and the rest joined to the service path.
 */
export function kongUpstream(kongYamlText: string, req: KongRequest, flavor: string = KONG_ROUTER_FLAVOR): { name: string; path: string } | undefined {
  const hit = cachedMatcher(kongYamlText, flavor)(req);
  if (!hit) return undefined;
  const prefix = (hit.stripPath ? hit.matchedPath : undefined) ?? '/';
  return { name: hit.name, path: upstreamUriV0(hit.stripPath, sanitizePostfix(req.path.slice(prefix.length)), req.path, hit.servicePath ?? '/') };
}

function kongMatcher(kongYamlText: string, flavor: string): (req: KongRequest) => Hit | undefined {
  if (flavor !== 'expressions' && flavor !== 'traditional_compatible') throw new Error(`router flavor ${flavor} is not modelled`);
  const matchers = routesOf(parse(kongYamlText, { version: '1.1' }) as Rec).flatMap((r) => matchersOf(r, flavor));
  matchers.sort((a, b) => (a.priority === b.priority ? (a.id < b.id ? 1 : a.id > b.id ? -1 : 0) : a.priority < b.priority ? 1 : -1));
  return (req) => {
    const ctx = context(req);
    for (const m of matchers) {
      const found: { path?: string } = {};
      if (holds(m.expr, ctx, found)) return { ...m, matchedPath: found.path };
    }
    return undefined;
  };
}

function sanitizePostfix(p: string): string {
  if (p === '.' || p === '..') return '';
  if (p.startsWith('./')) return p.slice(2);
  if (p.startsWith('../')) return p.slice(3);
  return p;
}

function upstreamUriV0(strip: boolean, postfix: string, uri: string, base: string): string {
  if (base.endsWith('/')) {
    if (!strip) return base + uri.slice(1);
    if (postfix === '') return base === '/' ? '/' : uri.endsWith('/') ? base : base.slice(0, -1);
    return postfix.startsWith('/') ? base.slice(0, -1) + postfix : base + postfix;
  }
  if (strip) {
    if (postfix === '') return uri.length > 1 && uri.endsWith('/') ? `${base}/` : base;
    return postfix.startsWith('/') ? base + postfix : `${base}/${postfix}`;
  }
  return uri === '/' ? base : base + uri;
}

/** Routes with the path of their service (nested, or referenced by name). */
function routesOf(doc: Rec): Rec[] {
  const out: Rec[] = [];
  const services = (doc.services as Rec[] | undefined) ?? [];
  for (const s of services) for (const r of (s.routes as Rec[] | undefined) ?? []) out.push({ ...r, _servicePath: s.path });
  for (const r of (doc.routes as Rec[] | undefined) ?? []) out.push({ ...r, _servicePath: services.find((s) => s.name === r.service || s.id === r.service)?.path });
  return out;
}

const list = (v: unknown): string[] => (Array.isArray(v) ? (v as string[]) : []);
const isRegexPath = (p: string) => p.startsWith('~');

function matchersOf(r: Rec, flavor: RouterFlavor): Matcher[] {
  const name = String(r.name);
  const id = typeof r.id === 'string' ? r.id : entityUuid('routes', name);
  const protocols = list(r.protocols).length ? list(r.protocols) : ['http', 'https'];
  const build = (route: Rec, rid: string): Matcher => {
    let text: string;
    let priority: bigint;
    if (typeof route.expression === 'string') {
      if (flavor !== 'expressions') throw new Error(`route ${name}: 'expression' exists only under router_flavor expressions`);
      text = route.expression;
      priority = (0xffn << 56n) | BigInt(Number(route.priority ?? 0));
    } else {
      text = fieldExpression(route);
      priority = fieldPriority(route);
    }
    // expressions.lua: a route not limited to https alone also names its protocols
    if (flavor === 'expressions' && !(protocols.length === 1 && ['https', 'tls', 'tls_passthrough'].includes(protocols[0]!)))
      text = `${text} && (${protocols.map((p) => `net.protocol == "${p === 'grpc' ? 'http' : p === 'grpcs' ? 'https' : p}"`).join(' || ')})`;
    const parsed = parseAtc(text);
    if ('error' in parsed) throw new Error(`route ${name}: Kong rejects its expression ${text}: ${parsed.error}`);
    return { name, id: rid, priority, expr: parsed.expr, stripPath: route.strip_path !== false,
      ...(typeof route._servicePath === 'string' ? { servicePath: route._servicePath } : {}) };
  };
  // transform.lua split_routes_and_services_by_path: a field route whose paths differ in kind or length becomes one
  // route per group (regexes together, prefixes by length), each with an id derived from the original one.
  const paths = list(r.paths);
  const groups = new Map<number, string[]>();
  for (const p of paths) {
    const k = isRegexPath(p) ? 0 : p.length;
    groups.set(k, [...(groups.get(k) ?? []), p]);
  }
  if (typeof r.expression === 'string' || groups.size <= 1) return [build(r, id)];
  return [...groups.values()].map((g, i) => build({ ...r, paths: g }, uuidV5('7f145bf9-0dce-4f91-98eb-debbce4b9f6b', `${id}#${i + 1}`)));
}

/** A string literal as transform.lua writes it: raw unless it holds `"#`. */
function str(s: string): string {
  return s.includes('"#') ? `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : `r#"${s}"#`;
}

/** transform.lua get_expression for an HTTP route given by fields. */
function fieldExpression(r: Rec): string {
  const parts: string[] = [];
  const methods = list(r.methods);
  if (methods.length) parts.push(`(${methods.map((m) => `http.method == ${str(m)}`).join(' || ')})`);
  const hosts = list(r.hosts);
  if (hosts.length)
    parts.push(`(${hosts.map((h) => {
      const colon = h.indexOf(':');
      const port = colon > 0 && /^\d+$/.test(h.slice(colon + 1)) ? h.slice(colon + 1) : undefined;
      let host = port ? h.slice(0, colon) : h;
      let op = '==';
      if (host.startsWith('*')) { op = '=^'; host = host.slice(1); }
      else if (host.endsWith('*')) { op = '^='; host = host.slice(0, -1); }
      const e = `http.host ${op} r#"${host}"#`;
      return port ? `(${e} && net.dst.port == ${port})` : e;
    }).join(' || ')})`);
  const paths = list(r.paths);
  if (paths.length)
    parts.push(`(${paths.map((p) => (isRegexPath(p) ? `http.path ~ ${str(`^${p.slice(1).replace(/\?</g, '?P<')}`)}` : `http.path ^= ${str(p)}`)).join(' || ')})`);
  const headers = (r.headers ?? {}) as Record<string, string[]>;
  for (const [h, values] of Object.entries(headers)) {
    const field = `any(lower(http.headers.${h.replace(/-/g, '_').toLowerCase()}))`;
    parts.push(`(${values.map((v) => (v.startsWith('~*') ? `${field} ~ ${str(v.slice(2).toLowerCase())}` : `${field} == ${str(v.toLowerCase())}`)).join(' || ')})`);
  }
  return parts.join(' && ');
}

/** transform.lua get_priority for an HTTP route given by fields (64 bits, as a bigint). */
export function fieldPriority(r: Rec): bigint {
  const nonEmpty = (v: unknown) => (Array.isArray(v) ? v.length > 0 : v !== null && typeof v === 'object' && Object.keys(v).length > 0);
  let weight = 0n;
  for (const f of ['sources', 'destinations', 'methods', 'hosts', 'headers', 'snis', 'paths']) if (nonEmpty(r[f])) weight++;
  const hosts = r.hosts;
  const plainHostOnly = Array.isArray(hosts) && !hosts.some((h: string) => h.includes('*'));
  const headerCount = BigInt(Math.min(255, nonEmpty(r.headers) ? Object.keys(r.headers as Rec).length : 0));
  const paths = list(r.paths);
  const regex = paths.length > 0 && isRegexPath(paths[0]!);
  const length = paths.length > 0 && !regex ? BigInt(paths[0]!.length) : 0n;
  const regexPriority = regex ? BigInt.asUintN(64, BigInt(Number(r.regex_priority ?? 0)) << 19n) : 0n;
  return BigInt.asUintN(64, (weight << 61n) | (plainHostOnly ? 1n << 60n : 0n) | (headerCount << 52n) | (regex ? 1n << 51n : 0n) | regexPriority | (length & 0x7ffffn));
}

/** The values the router reads from a request (fields.lua): absent fields make every predicate on them false. */
type Context = (field: string) => string[] | undefined;

function context(req: KongRequest): Context {
  const host = req.host === undefined ? undefined : /^(.*?)(?::\d+)?$/.exec(req.host)![1]!;
  return (field) => {
    if (field === 'http.method') return [req.method];
    if (field === 'http.path') return [req.path];
    if (field === 'http.host') return host === undefined ? undefined : [host];
    if (field === 'net.protocol') return [req.scheme ?? 'http'];
    if (field.startsWith('http.headers.')) {
      // ngx.req.get_headers(): names case-insensitive, "_" in the field name stands for "-"
      const want = field.slice('http.headers.'.length).replace(/_/g, '-');
      const values = Object.entries(req.headers ?? {}).filter(([k]) => k.toLowerCase() === want).map(([, v]) => v);
      return values.length ? values : undefined;
    }
    return undefined;
  };
}

/** Whether the expression holds; `found.path` gets what the last `http.path` predicate that held matched. */
function holds(e: AtcExpr, ctx: Context, found: { path?: string }): boolean {
  if (e.kind === 'and') return holds(e.left, ctx, found) && holds(e.right, ctx, found);
  if (e.kind === 'or') return holds(e.left, ctx, found) || holds(e.right, ctx, found);
  if (e.kind === 'not') return !holds(e.expr, ctx, found);
  const values = ctx(e.field);
  if (!values || values.length === 0) return false;
  // "all" mode unless any(): every value must satisfy the predicate
  const ok = e.any ? values.some((v) => test(e, v)) : values.every((v) => test(e, v));
  if (ok && e.field === 'http.path' && !['!=', 'not in'].includes(e.op)) found.path = matched(e, values[0]!);
  return ok;
}

/** The text a path predicate matched (interpreter.rs): the operand for ==, ^= and =^, the match for ~. */
function matched(p: AtcPredicate, v: string): string {
  return p.op === '~' ? p.regex!.exec(v)![0] : p.rhs.type === 'String' ? p.rhs.value : v;
}

function test(p: AtcPredicate, raw: string): boolean {
  const v = p.lower ? raw.toLowerCase() : raw;
  if (p.rhs.type !== 'String') throw new Error(`predicate on ${p.field}: only string operands are modelled`);
  const rhs = p.rhs.value;
  switch (p.op) {
    case '==': return v === rhs;
    case '!=': return v !== rhs;
    case '^=': return v.startsWith(rhs);
    case '=^': return v.endsWith(rhs);
    case 'contains': return v.includes(rhs);
    case '~':
      if (!p.regex) throw new Error(`regex ${rhs}: its Rust meaning is not modelled here`);
      return p.regex.test(v);
    default: throw new Error(`operator ${p.op} is not modelled`);
  }
}

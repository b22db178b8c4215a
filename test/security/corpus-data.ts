/**
 * The adversarial corpus: every field kind that reaches nginx.conf, haproxy.cfg or kong.yaml (one slot per field and
 * layer layout), and for each slot the payloads (test/security/payloads.ts) it must accept and emit inertly. Every
 * other payload must be rejected with an error at the field's line and column.
 */

import { CONTROL_PAYLOADS, PAYLOADS } from './payloads.js';
// Kong routes carry the value inside a router expression (src/emit/kong/routes.ts).
import { kongRegex } from '../../src/emit/kong/regex.js';
import { atcString } from '../../src/emit/kong/routes.js';

const SVC = 'services:\n  - { name: svc, instances: [{ address: "svc-1:3000" }] }';
const route = (match = '{ path: /web }', extra = '') => `routes:\n  - { name: web, match: ${match}, service: svc${extra} }`;

interface Parts { lb?: string; gw?: string; proxy?: string; tls?: string; services?: string; routes?: string; top?: string }
/** A spec in which "@@" marks the value under test. */
function spec(p: Parts): string {
  return [
    'version: 1', 'name: corpus', p.top, p.tls && `tls: ${p.tls}`, p.lb && `loadBalancer: ${p.lb}`, p.gw && `gateway: ${p.gw}`,
    p.proxy && `proxy: ${p.proxy}`, p.services ?? SVC, p.routes ?? route(),
  ].filter(Boolean).join('\n') + '\n';
}

const LB = '{ ports: { http: 80 } }';
const GW = '{ ports: { http: 8000 } }';
const PX = '{ ports: { http: 8080 } }';
/** Routing happens in HAProxy only when services sit right behind it; Kong and NGINX route when both are present. */
const atLb = (p: Parts) => spec({ lb: LB, ...p });
const atGwProxy = (p: Parts) => spec({ gw: GW, proxy: PX, ...p });

export interface Slot {
  id: string;
  /** Policy kind (SECURITY.md). */
  kind: 'name' | 'url path' | 'regex' | 'host' | 'header name' | 'header value' | 'file path' | 'mime type' | 'secret' | 'free text' | 'file name' | 'token';
  /** Spec text with "@@" where the YAML scalar goes (not used for the file-name slot). */
  text: string;
  /** How a payload sits inside an otherwise valid value. */
  embed: (payload: string) => string;
  /** The value for a second marker "@K" in the text, derived from the value under test. */
  derived?: (value: string) => string;
  /** The payload of the benign baseline build (default "z"). */
  benign?: string;
  /** Payloads accepted and emitted inertly. */
  inert: string[];
  /** The exact argument (nginx), word (HAProxy) or string (Kong) each target must hold for an accepted value. */
  expect?: (v: string) => { nginx?: string; haproxy?: string; kong?: string; njs?: string };
  /** Accepted values must not appear in any output at all (never emitted, or only as a digest). */
  absent?: boolean;
  /** The value reaches the loopback build that `engineCheck` runs nginx -t / haproxy -c on. */
  engine?: boolean;
  /** Payloads whose emitted result is known to be wrong: issue text (the test is `it.fails` until fixed). */
  holes?: Record<string, string>;
}

const PATH_SAFE = ['semicolon', 'squote', 'paren', 'comma', 'at', 'colon', 'equals', 'tilde', 'star'];
/** nginx, HAProxy and Kong expand nothing inside a regex pattern, so "$host" or "${HOME}" is text (or an anchor) there. */
const REGEX_SAFE = ['lbrace', 'rbrace', 'backslash', 'comma', 'at', 'colon', 'equals', 'tilde', 'star', 'dollar', 'nginxVar', 'dollarBrace', 'kongTemplate', 'handlebars', 'handlebarsRaw'];
const TEXT_SAFE = ['semicolon', 'lbrace', 'rbrace', 'hash', 'squote', 'space', 'paren', 'comma', 'at', 'colon', 'equals', 'tilde', 'star', 'handlebars', 'handlebarsPartial', 'handlebarsRaw', 'aclFlag'];
const SECRET_SAFE = ['semicolon', 'lbrace', 'rbrace', 'hash', 'dquote', 'squote', 'backslash', 'paren', 'comma', 'pct', 'pctenc', 'pctLf', 'pctNul', 'pctSlash', 'at', 'colon', 'equals', 'tilde', 'star', 'dollar', 'nginxVar', 'dollarBrace', 'dquotedEnv', 'sampleFetch', 'logFormatAlias', 'kongTemplate', 'vault', 'handlebars', 'handlebarsRaw'];
/** Kong serializes strings; only "$" (request-transformer templates) and controls matter there. */
const KONG_TEXT_SAFE = [...TEXT_SAFE, 'dquote', 'backslash', 'pct', 'pctenc', 'pctLf', 'pctNul', 'pctSlash', 'sampleFetch', 'logFormatAlias', 'vault', 'nginxBlock'];
/** Header values: "$" is a literal too (nginx gets ${edgegen_dollar}); "$(" (Kong templates) and "${{" (decK) stay refused. */
const HEADER_TEXT_SAFE = [...KONG_TEXT_SAFE, 'dollar', 'nginxVar', 'dollarBrace', 'dquotedEnv'];
/** What nginx holds for a header value: every "$" written as the variable that holds a literal "$". */
const ngxLiteral = (v: string) => v.replace(/\$/g, '${edgegen_dollar}');

export const SLOTS: Slot[] = [
  { id: 'name (stack)', kind: 'name', text: spec({ proxy: PX }).replace('name: corpus', 'name: @@'), embed: (p) => `a${p}b`, inert: [] },
  { id: 'services[].name', kind: 'name', text: atGwProxy({ services: `${SVC}\n  - { name: @@, instances: [{ address: "svc-2:3000" }] }` }), embed: (p) => `a${p}b`, inert: [] },
  { id: 'routes[].name', kind: 'name', text: atGwProxy({ routes: route().replace('name: web', 'name: @@') }), embed: (p) => `a${p}b`, inert: [] },
  // Consumer names may be email addresses ("alice@example.com"); Kong takes the username as data.
  { id: 'consumers[].name', kind: 'name', text: spec({ gw: '{ ports: { http: 8000 }, auth: { type: key }, consumers: [{ name: @@, keys: [k1] }] }' }), embed: (p) => `a${p}b`, inert: ['at'], expect: (v) => ({ kong: v }) },

  { id: 'match.path prefix @haproxy', kind: 'url path', text: atLb({ routes: route('{ path: @@ }') }), embed: (p) => `/a${p}b`, inert: PATH_SAFE, expect: (v) => ({ haproxy: v }), engine: true },
  { id: 'match.path prefix @nginx+kong', kind: 'url path', text: atGwProxy({ routes: route('{ path: @@ }') }), embed: (p) => `/a${p}b`, inert: PATH_SAFE, expect: (v) => ({ nginx: v, kong: `(http.path ^= ${atcString(v)})` }), engine: true },
  { id: 'match.path exact @haproxy', kind: 'url path', text: atLb({ routes: route('{ path: @@, pathType: exact }') }), embed: (p) => `/a${p}b`, inert: PATH_SAFE, expect: (v) => ({ haproxy: v }), engine: true },
  { id: 'match.path exact @nginx+kong', kind: 'url path', text: atGwProxy({ routes: route('{ path: @@, pathType: exact }') }), embed: (p) => `/a${p}b`, inert: PATH_SAFE, expect: (v) => ({ nginx: v }), engine: true },
  { id: 'match.path regex @haproxy', kind: 'regex', text: atLb({ routes: route('{ path: @@, pathType: regex }') }), embed: (p) => `^/a${p}b`, inert: REGEX_SAFE, expect: (v) => ({ haproxy: v }), engine: true },
  { id: 'match.path regex @nginx+kong', kind: 'regex', text: atGwProxy({ routes: route('{ path: @@, pathType: regex }') }), embed: (p) => `^/a${p}b`, inert: REGEX_SAFE, expect: (v) => ({ nginx: v, kong: `(http.path ~ ${atcString(kongRegex(v))})` }), engine: true },
  { id: 'match.hosts[] @haproxy', kind: 'host', text: atLb({ routes: route('{ path: /web, hosts: [@@] }') }), embed: (p) => `a${p}b.example.com`, inert: [], engine: true },
  { id: 'match.hosts[] @nginx+kong', kind: 'host', text: atGwProxy({ routes: route('{ path: /web, hosts: [@@] }') }), embed: (p) => `a${p}b.example.com`, inert: [], engine: true },
  { id: 'match.headers value @haproxy', kind: 'header value', text: atLb({ routes: route('{ path: /web, headers: { X-A: [@@] } }') }), embed: (p) => `x${p}y`, inert: ['space', 'colon', 'tilde', 'aclFlag'], expect: (v) => ({ haproxy: v }), engine: true },
  { id: 'match.headers value @nginx+kong', kind: 'header value', text: atGwProxy({ routes: route('{ path: /web, headers: { X-A: [@@] } }') }), embed: (p) => `x${p}y`, inert: ['space', 'colon', 'tilde', 'aclFlag'], expect: (v) => ({ kong: `(http.path ^= r#"/web"#) && (any(lower(http.headers.x_a)) == ${atcString(v.toLowerCase())})` }), engine: true },
  { id: 'match.headers name', kind: 'header name', text: atGwProxy({ routes: route('{ path: /web, headers: { @@: [x] } }') }), embed: (p) => `X-A${p}b`, inert: [] },
  { id: 'rewrite @haproxy', kind: 'url path', text: atLb({ routes: route('{ path: /web }', ', rewrite: @@') }), embed: (p) => `/a${p}b`, inert: PATH_SAFE, expect: (v) => ({ haproxy: `${v}/\\1\\2` }), engine: true },
  { id: 'rewrite @nginx', kind: 'url path', text: atGwProxy({ routes: route('{ path: /web }', ', rewrite: @@') }), embed: (p) => `/a${p}b`, inert: PATH_SAFE, expect: (v) => ({ nginx: `${v}/$1` }), engine: true },
  { id: 'services[].healthCheck.path', kind: 'url path', text: atLb({ services: 'services:\n  - { name: svc, instances: [{ address: "svc-1:3000" }], healthCheck: { path: @@ } }' }), embed: (p) => `/a${p}b`, inert: PATH_SAFE, expect: (v) => ({ haproxy: v }), engine: true },
  { id: 'loadBalancer.stats.path', kind: 'url path', text: spec({ lb: '{ ports: { http: 80 }, stats: { port: 8404, path: @@ } }' }), embed: (p) => `/a${p}b`, inert: PATH_SAFE, expect: (v) => ({ haproxy: v }), engine: true },
  { id: 'proxy.static[].prefix', kind: 'url path', text: atGwProxy({ proxy: '{ ports: { http: 8080 }, static: [{ prefix: @@, root: /srv/www }] }' }), embed: (p) => `/a${p}b/`, inert: PATH_SAFE, expect: (v) => ({ nginx: v, kong: `(http.path ^= ${atcString(v)}) && (http.method == r#"GET"# || http.method == r#"HEAD"#)` }), engine: true },
  { id: 'proxy.static[].root', kind: 'file path', text: spec({ proxy: '{ ports: { http: 8080 }, static: [{ prefix: /s/, root: @@ }] }' }), embed: (p) => `/srv/a${p}b`, inert: ['at'], expect: (v) => ({ nginx: v }), engine: true },
  { id: 'tls.certificate @nginx', kind: 'file path', text: spec({ tls: '{ strategy: terminate, certificate: @@, key: /etc/tls/edge.key }', proxy: '{ ports: { http: 8080, https: 8443 } }' }), embed: (p) => `/etc/tls/a${p}b.crt`, inert: ['at', 'space'], expect: (v) => ({ nginx: v }), engine: true },
  // HAProxy reads the key from beside the certificate, so the key path follows the certificate's.
  { id: 'tls.certificate @haproxy', kind: 'file path', text: spec({ tls: '{ strategy: terminate, certificate: @@, key: @K }', lb: '{ ports: { http: 80, https: 443 } }' }), embed: (p) => `/etc/tls/a${p}b.crt`,
    derived: (v) => v.replace(/\.crt$/, '.key'), inert: ['at', 'space'], expect: (v) => ({ haproxy: v }), engine: true },
  { id: 'tls.ca @haproxy', kind: 'file path', text: spec({ tls: '{ strategy: reencrypt, certificate: /etc/tls/e.crt, key: /etc/tls/e.key, ca: @@ }', lb: '{ ports: { http: 80, https: 443 } }', proxy: '{ ports: { https: 8443 } }' }), embed: (p) => `/etc/tls/a${p}b.crt`, inert: ['at', 'space'], expect: (v) => ({ haproxy: v }), engine: true },
  { id: 'services[].instances[].address', kind: 'host', text: atGwProxy({ services: 'services:\n  - { name: svc, instances: [{ address: @@ }] }' }), embed: (p) => `a${p}b:3000`, inert: [] },
  // IPv6 instances: junk inside the brackets, after them, or after the port.
  { id: 'services[].instances[].address IPv6 (in brackets)', kind: 'host', text: atGwProxy({ services: 'services:\n  - { name: svc, instances: [{ address: @@ }] }' }), embed: (p) => `[2001:db8::${p}10]:3000`, benign: '', inert: [] },
  { id: 'services[].instances[].address IPv6 (after brackets)', kind: 'host', text: atLb({ services: 'services:\n  - { name: svc, instances: [{ address: @@ }] }' }), embed: (p) => `[2001:db8::10]${p}:3000`, benign: '', inert: [] },
  { id: 'services[].instances[].address IPv6 (after port)', kind: 'host', text: atLb({ services: 'services:\n  - { name: svc, instances: [{ address: @@ }] }' }), embed: (p) => `[2001:db8::10]:3000${p}`, benign: '', inert: [] },
  { id: 'proxy.bind IPv6', kind: 'host', text: spec({ proxy: '{ ports: { http: 8080 }, bind: @@ }' }), embed: (p) => `2001:db8::${p}1`, benign: '', inert: [] },
  { id: 'loadBalancer.hosts[] IPv6', kind: 'host', text: spec({ lb: '{ ports: { http: 80 }, hosts: [@@] }', proxy: PX }), embed: (p) => `2001:db8::${p}1`, benign: '', inert: [] },
  { id: 'proxy.trustForwardedFrom[] IPv6', kind: 'token', text: spec({ proxy: '{ ports: { http: 8080 }, trustForwardedFrom: [@@] }' }), embed: (p) => `2001:db8::${p}/32`, benign: '', inert: [] },
  { id: 'proxy.hosts[]', kind: 'host', text: spec({ lb: LB, proxy: '{ ports: { http: 8080 }, hosts: [@@] }' }), embed: (p) => `a${p}b`, inert: [] },
  { id: 'proxy.bind', kind: 'host', text: spec({ proxy: '{ ports: { http: 8080 }, bind: @@ }' }), embed: (p) => `a${p}b`, inert: [] },
  { id: 'rateLimit.redis.host', kind: 'host', text: spec({ gw: '{ ports: { http: 8000 }, rateLimit: { minute: 5, policy: redis, redis: { host: @@ } } }' }), embed: (p) => `a${p}b`, inert: [] },
  { id: 'proxy.securityHeaders.contentSecurityPolicy', kind: 'header value', text: spec({ proxy: '{ ports: { http: 8080 }, securityHeaders: { contentSecurityPolicy: @@ } }' }), embed: (p) => `default-src 'self' x${p}y`, inert: [...TEXT_SAFE, 'vault'], expect: (v) => ({ nginx: v }), engine: true },
  { id: 'gateway.requestHeaders.add value', kind: 'header value', text: spec({ gw: '{ ports: { http: 8000 }, requestHeaders: { add: { X-A: @@ } } }' }), embed: (p) => `x${p}y`, inert: HEADER_TEXT_SAFE, expect: (v) => ({ kong: `X-A:${v}` }) },
  { id: 'gateway.responseHeaders.add value', kind: 'header value', text: spec({ gw: '{ ports: { http: 8000 }, responseHeaders: { add: { X-A: @@ } } }' }), embed: (p) => `x${p}y`, inert: HEADER_TEXT_SAFE, expect: (v) => ({ kong: `X-A:${v}` }) },
  { id: 'gateway.correlationId.header', kind: 'header name', text: spec({ lb: LB, gw: '{ ports: { http: 8000 }, correlationId: { header: @@ } }', proxy: PX }), embed: (p) => `X-A${p}b`, inert: [] },
  { id: 'loadBalancer.hashHeader', kind: 'header name', text: atLb({ lb: '{ ports: { http: 80 }, algorithm: header, hashHeader: @@ }' }), embed: (p) => `X-A${p}b`, inert: [] },
  { id: 'proxy.cache.statusHeader', kind: 'header name', text: spec({ proxy: '{ ports: { http: 8080 }, cache: { statusHeader: @@ } }' }), embed: (p) => `X-A${p}b`, inert: [] },
  { id: 'auth.keyNames[]', kind: 'header name', text: spec({ gw: '{ ports: { http: 8000 }, auth: { type: key, keyNames: [@@] } }' }), embed: (p) => `k${p}k`, inert: [] },
  { id: 'loadBalancer.sticky.cookie', kind: 'token', text: spec({ lb: '{ ports: { http: 80 }, sticky: { cookie: @@ } }', proxy: PX }), embed: (p) => `a${p}b`, inert: [] },
  { id: 'proxy.gzip.types[]', kind: 'mime type', text: spec({ proxy: '{ ports: { http: 8080 }, gzip: { types: [@@] } }' }), embed: (p) => `text/a${p}b`, inert: ['hash'], expect: (v) => ({ nginx: v }), engine: true },
  { id: 'gateway.cache.contentTypes[]', kind: 'mime type', text: spec({ gw: '{ ports: { http: 8000 }, cache: { contentTypes: [@@] } }' }), embed: (p) => `text/a${p}b`, inert: ['hash'], expect: (v) => ({ kong: v }) },
  { id: 'consumers[].keys[] literal', kind: 'secret', text: spec({ gw: '{ ports: { http: 8000 }, auth: { type: key }, consumers: [{ name: c, keys: [@@] }] }' }), embed: (p) => `k${p}k`, inert: SECRET_SAFE, expect: (v) => ({ kong: v }) },
  { id: 'consumers[].jwt[].secret literal', kind: 'secret', text: spec({ gw: '{ ports: { http: 8000 }, auth: { type: jwt }, consumers: [{ name: c, jwt: [{ key: iss, secret: @@ }] }] }' }), embed: (p) => `s${p}s`, inert: SECRET_SAFE, expect: (v) => ({ kong: v }) },
  { id: 'rateLimit.redis.password literal (whole value)', kind: 'secret', text: spec({ gw: '{ ports: { http: 8000 }, rateLimit: { minute: 5, policy: redis, redis: { host: redis.internal, password: @@ } } }' }), embed: (p) => p, inert: SECRET_SAFE.filter((p) => p !== 'vault'), expect: (v) => ({ kong: v }) },
  { id: 'consumers[].keys[].env', kind: 'token', text: spec({ gw: '{ ports: { http: 8000 }, auth: { type: key }, consumers: [{ name: c, keys: [{ env: @@ }] }] }' }), embed: (p) => `A${p}B`, benign: 'Z', inert: [] },
  { id: 'consumers[].jwt[].key', kind: 'token', text: spec({ gw: '{ ports: { http: 8000 }, auth: { type: jwt }, consumers: [{ name: c, jwt: [{ key: @@, secret: s }] }] }' }), embed: (p) => `i${p}s`, inert: ['colon', 'tilde'], expect: (v) => ({ kong: v }) },
  { id: 'consumers[].customId', kind: 'token', text: spec({ gw: '{ ports: { http: 8000 }, consumers: [{ name: c, customId: @@ }] }' }), embed: (p) => `c${p}d`, inert: ['tilde'], expect: (v) => ({ kong: v }) },
  { id: 'gateway.cors.origins[]', kind: 'token', text: spec({ gw: '{ ports: { http: 8000 }, cors: { origins: [@@] } }' }), embed: (p) => `https://a${p}b.example.com`, inert: [] },
  { id: 'proxy.trustForwardedFrom[]', kind: 'token', text: spec({ proxy: '{ ports: { http: 8080 }, trustForwardedFrom: [@@] }' }), embed: (p) => `10.0.0.1${p}`, benign: '0', inert: [] },
  { id: 'proxy.cache.key[] header part', kind: 'header name', text: spec({ proxy: '{ ports: { http: 8080 }, cache: { key: [@@] } }' }), embed: (p) => `header:X-A${p}b`, inert: [] },
  { id: 'timeouts (duration)', kind: 'token', text: atGwProxy({ services: 'services:\n  - { name: svc, instances: [{ address: "svc-1:3000" }], timeouts: { read: @@ } }' }), embed: (p) => `5${p}s`, benign: '0', inert: [] },
  { id: 'proxy.clientMaxBodySize', kind: 'token', text: spec({ proxy: '{ ports: { http: 8080 }, clientMaxBodySize: @@ }' }), embed: (p) => `1${p}m`, benign: '0', inert: [] },
  { id: '$schema (never emitted)', kind: 'free text', text: spec({ top: '$schema: @@', proxy: PX }), embed: (p) => `x${p}y`, absent: true,
    inert: ['semicolon', 'lbrace', 'rbrace', 'hash', 'dquote', 'squote', 'backslash', 'space', 'paren', 'comma', 'pct', 'pctenc', 'pctLf', 'pctNul', 'pctSlash', 'at', 'colon', 'equals', 'tilde', 'star', 'unicode', 'dollar', 'nginxVar', 'dollarBrace', 'dquotedEnv', 'sampleFetch', 'logFormatAlias', 'kongTemplate', 'vault', 'deck', 'handlebars', 'handlebarsPartial', 'handlebarsRaw', 'aclFlag', 'nginxBlock', 'long'] },
];

/** Percent-encoded route paths (issue 16): HAProxy matches them as sent, nginx and Kong decoded. */
const decoded = (v: string) => decodeURIComponent(v);
SLOTS.push(
  { id: 'match.path encoded @haproxy', kind: 'url path', text: atLb({ routes: route('{ path: @@ }') }), embed: (p) => `/a%20${p}b%C3%A9`, inert: PATH_SAFE, expect: (v) => ({ haproxy: v }), engine: true },
  { id: 'match.path encoded @nginx+kong', kind: 'url path', text: atGwProxy({ routes: route('{ path: @@ }') }), embed: (p) => `/a%20${p}b%C3%A9`, inert: PATH_SAFE, expect: (v) => ({ nginx: decoded(v), kong: `(http.path ^= ${atcString(decoded(v))})` }), engine: true },
  { id: 'match.path encoded exact @nginx+kong', kind: 'url path', text: atGwProxy({ routes: route('{ path: @@, pathType: exact }') }), embed: (p) => `/a%7B${p}b`, inert: PATH_SAFE, expect: (v) => ({ nginx: decoded(v) }), engine: true },
);

/** The same fields through the NGINX gateway engine (nginx.conf maps and locations, njs modules with JSON data). */
const GWN = (extra = '') => `{ engine: nginx, ports: { http: 8000 }${extra} }`;
SLOTS.push(
  { id: 'nginx gateway: match.path prefix', kind: 'url path', text: spec({ gw: GWN(), routes: route('{ path: @@ }') }), embed: (p) => `/a${p}b`, inert: PATH_SAFE, expect: (v) => ({ nginx: v }), engine: true },
  { id: 'nginx gateway: match.path regex', kind: 'regex', text: spec({ gw: GWN(), routes: route('{ path: @@, pathType: regex }') }), embed: (p) => `^/a${p}b`, inert: REGEX_SAFE, expect: (v) => ({ nginx: v }), engine: true },
  { id: 'nginx gateway: match.headers value', kind: 'header value', text: spec({ gw: GWN(), routes: route('{ path: /web, headers: { X-A: [@@] } }') }), embed: (p) => `x${p}y`, inert: ['space', 'colon', 'tilde', 'aclFlag'], engine: true },
  { id: 'nginx gateway: requestHeaders.add value', kind: 'header value', text: spec({ gw: GWN(', requestHeaders: { add: { X-A: @@ } }') }), embed: (p) => `x${p}y`, inert: HEADER_TEXT_SAFE, expect: (v) => ({ nginx: ngxLiteral(v) }), engine: true },
  { id: 'nginx gateway: responseHeaders.add value', kind: 'header value', text: spec({ gw: GWN(', responseHeaders: { add: { X-A: @@ } }') }), embed: (p) => `x${p}y`, inert: HEADER_TEXT_SAFE, expect: (v) => ({ nginx: ngxLiteral(v) }), engine: true },
  { id: 'nginx gateway: consumers[].keys[] literal', kind: 'secret', text: spec({ gw: GWN(', auth: { type: key }, consumers: [{ name: c, keys: [@@] }]') }), embed: (p) => `k${p}k`, inert: SECRET_SAFE, absent: true, engine: true },
  { id: 'nginx gateway: consumers[].jwt[].secret literal', kind: 'secret', text: spec({ gw: GWN(', auth: { type: jwt }, consumers: [{ name: c, jwt: [{ key: iss, secret: @@ }] }]') }), embed: (p) => `s${p}s`, inert: SECRET_SAFE, expect: (v) => ({ njs: v }), engine: true },
  { id: 'nginx gateway: consumers[].customId', kind: 'token', text: spec({ gw: GWN(', auth: { type: key }, consumers: [{ name: c, customId: @@, keys: [k1] }]') }), embed: (p) => `c${p}d`, inert: ['tilde'], expect: (v) => ({ njs: v }), engine: true },
  { id: 'nginx gateway: cors.origins[]', kind: 'token', text: spec({ gw: GWN(', cors: { origins: [@@] }') }), embed: (p) => `https://a${p}b.example.com`, inert: [], engine: true },
);

/** The spec file name reaches the header comment of every output. */
export const FILE_NAME_INERT = ['semicolon', 'lbrace', 'rbrace', 'hash', 'dquote', 'squote', 'backslash', 'space', 'paren', 'comma', 'pct', 'pctenc', 'pctLf', 'pctNul', 'pctSlash', 'at', 'colon', 'equals', 'tilde', 'star', 'unicode', 'dollar', 'nginxVar', 'dollarBrace', 'dquotedEnv', 'sampleFetch', 'logFormatAlias', 'kongTemplate', 'vault', 'deck', 'handlebars', 'handlebarsPartial', 'handlebarsRaw', 'aclFlag', 'nginxBlock', 'long'];
export const FILE_NAME_SPEC = spec({ lb: LB, gw: GW, proxy: PX });

/** Many inert values in one spec each, for the CLI's own engineCheck (src/engines/check.ts). */
export const KITCHEN_SINK: Record<string, string> = {
  'HAProxy routing to services': String.raw`version: 1
name: sink-haproxy
tls: { strategy: terminate, certificate: /etc/tls/a+b@c.crt, key: /etc/tls/a+b@c.key }
loadBalancer: { ports: { http: 80, https: 443 }, stats: { port: 8404, path: "/st;a'ts" } }
services:
  - { name: svc, instances: [{ address: "svc-1:3000" }], healthCheck: { path: "/h(e)a'l;th" } }
routes:
  - { name: a, match: { path: "/a';(b),c*@=:~", hosts: ["*.example.com", x.example.com], headers: { X-A: ["x -f /etc/passwd", "-m reg ."] } }, service: svc, rewrite: "/r;'=" }
  - { name: b, match: { path: '^/b${'$'}{HOME}$host{2}\d+[a-z]{{header}}$', pathType: regex }, service: svc }
  - { name: c, match: { path: "/c'x", pathType: exact, methods: [GET] }, service: svc }
`,
  'NGINX with TLS, static files, CSP and named-location dispatch': String.raw`version: 1
name: sink-nginx
tls: { strategy: terminate, certificate: /etc/tls/a+b@c.crt, key: /etc/tls/a+b@c.key }
proxy:
  ports: { http: 8080, https: 8443 }
  securityHeaders: { contentSecurityPolicy: "default-src 'self'; script-src 'none' {{header}} {{> location}} } { # -f" }
  gzip: { types: ["text/x#y", "application/vnd.a+b"] }
  static: [{ prefix: "/st';(a)/", root: /srv/a+b@c }]
  cache: { key: [scheme, "header:X-Tenant"] }
services:
  - { name: svc, instances: [{ address: "svc-1:3000" }] }
routes:
  - { name: a, match: { path: "/a';(b),c*@=:~", hosts: ["*.example.com"], headers: { X-A: ["x -f /etc/passwd"] } }, service: svc, rewrite: "/r;'=" }
  - { name: b, match: { path: '^/b${'$'}{HOME}$host{2}\d+[a-z]{{header}}$', pathType: regex }, service: svc }
  - { name: c, match: { path: "/c'x", pathType: exact, methods: [GET] }, service: svc }
  - { name: d, match: { path: "/c'x", pathType: exact, methods: [POST] }, service: svc }
`,
};

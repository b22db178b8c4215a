import { assertSafe, EmitError } from '../text.js';

/** nginx tokens. Every spec-derived argument goes through one of these; nothing else reaches nginx.conf. */

declare const ngxBrand: unique symbol;
/** A string that is one safe nginx argument. */
export type NgxArg = string & { readonly [ngxBrand]: true };

const IDENT = /^@?[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/**
 * Prefixes that keep a meaning in nginx even inside quotes: location modifiers (= ~ ~* ^~ @), server_name regexes
 * (~), and ssl_certificate sources (data:, engine: loads an OpenSSL engine, store:). No spec literal starts with one.
 */
const MEANINGFUL_PREFIX = /^(?:[=~@]|\^~|(?:data|engine|store):)/i;

function escape(value: string): string {
  // Backslash first, in one pass: "\" then "\"" (nginx also turns \t \r \n into controls, so every "\" is doubled).
  return value.replace(/[\\"]/g, (c) => `\\${c}`);
}

/**
 * A double-quoted literal: "\" and "\"" escaped, no "$" (nginx has no escape for it and expands variables in most
 * directives), no control characters, no meaningful prefix.
 */
export function quote(value: string, what = 'value'): NgxArg {
  assertSafe(value, what);
  if (value.includes('$')) throw new EmitError(`${what} must not contain "$" (nginx would expand it as a variable)`);
  if (MEANINGFUL_PREFIX.test(value)) throw new EmitError(`${what} must not start with "${MEANINGFUL_PREFIX.exec(value)![0]}" (nginx gives that prefix a meaning even inside quotes)`);
  return `"${escape(value)}"` as NgxArg;
}

/** A quoted string that may hold nginx variables the emitter wrote itself (never spec text). */
export function expr(value: string): NgxArg {
  assertSafe(value, 'expression');
  return `"${escape(value)}"` as NgxArg;
}

/** A quoted regex: same quoting; "$" is allowed because nginx does not expand variables in regex patterns. */
export function regex(value: string, what = 'regex'): NgxArg {
  assertSafe(value, what);
  if (/(^|[^\\])(\\\\)*\\$/.test(value)) throw new EmitError(`${what} ends with a lone "\\"`);
  return `"${escape(value)}"` as NgxArg;
}

/** An identifier edgegen generated or validated (upstream, zone and variable names; "@name" for named locations). */
export function ident(value: string): NgxArg {
  if (!IDENT.test(value)) throw new EmitError(`"${value}" is not a valid nginx identifier`);
  return value as NgxArg;
}

/** A non-negative integer (String(1e21) would be "1e+21", which nginx cannot read). */
export function num(n: number): NgxArg {
  if (!Number.isSafeInteger(n) || n < 0) throw new EmitError(`${n} is not a whole number nginx can read`);
  return String(n) as NgxArg;
}

/** Milliseconds as an nginx time ("1500ms", "30s"). */
export function time(ms: number): NgxArg {
  num(ms);
  return (ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`) as NgxArg;
}

/** An IPv6 address in the model (without brackets): hex digits and ":" (and "." for an IPv4 tail), at least two ":". */
const IPV6 = /^(?=(?:[^:]*:){2})[0-9A-Fa-f:.]{2,45}$/;

/** host:port for listen/server directives; hosts are validated names or IPs; an IPv6 host is bracketed ("[::1]:8080"). */
export function hostPort(host: string, port: number): NgxArg {
  const bare = /^\[.*\]$/.test(host) ? host.slice(1, -1) : host;
  const v6 = IPV6.test(bare);
  if (!v6 && !/^[A-Za-z0-9.-]{1,253}$/.test(host)) throw new EmitError(`"${host}" is not a host name or address`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new EmitError(`${port} is not a port`);
  return `${v6 ? `[${bare}]` : host}:${port}` as NgxArg;
}

/** An address or CIDR block for allow / set_real_ip_from (IPv4 or IPv6, validated by the spec). */
export function cidr(value: string): NgxArg {
  const [ip, bits, extra] = value.split('/');
  if (extra !== undefined || (bits !== undefined && !/^\d{1,3}$/.test(bits)) || !(/^[0-9.]{7,15}$/.test(ip) || IPV6.test(ip))) throw new EmitError(`"${value}" is not an address or CIDR block`);
  return value as NgxArg;
}

/** Escape regex metacharacters so a literal path can sit inside a regex. */
export function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A spec literal in a directive that expands variables (add_header, proxy_set_header, map values):
 * quoted, with every "$" written as ${edgegen_dollar} (a geo variable that holds "$"; nginx has no escape for it).
 */
export function literal(value: string, what = 'value'): NgxArg {
  assertSafe(value, what);
  const q = value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\$/g, '${edgegen_dollar}');
  if (q.length > 3000) throw new EmitError(`${what} is too long for one nginx argument`);
  return `"${q}"` as NgxArg;
}

/**
 * A literal map source key. map treats a leading "~" as a regex and "default", "hostnames", "include" and "volatile"
 * as keywords; a leading "\" (written "\\" inside quotes) makes map take the rest literally, so every key gets one.
 * Keys are matched case-insensitively, so callers must not rely on case.
 */
export function mapKey(value: string, what = 'map key'): NgxArg {
  assertSafe(value, what);
  if (value === '') throw new EmitError(`${what} is empty`);
  return `"\\\\${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` as NgxArg;
}

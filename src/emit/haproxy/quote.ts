import { assertSafe, EmitError } from '../text.js';

/**
 * HAProxy words. Every spec-derived word goes through one of these; nothing else reaches haproxy.cfg.
 * Spec text is always single-quoted: inside '...' HAProxy interprets nothing (no "\\" escapes, no "$VAR"/"${VAR}"
 * expansion, no "#" comment), and CR, LF and NUL, which end a line even inside quotes, are refused by assertSafe.
 */

declare const hapBrand: unique symbol;
export type HapWord = string & { readonly [hapBrand]: true };

/** A strong (single-quoted) literal: nothing inside is interpreted; "'" becomes '\''. */
export function quote(value: string, what = 'value'): HapWord {
  assertSafe(value, what);
  return `'${value.replace(/'/g, `'\\''`)}'` as HapWord;
}

/** A single-quoted log-format string: "%" doubled so no sample fetch can be reached from spec text. */
export function logFormat(value: string, what = 'value'): HapWord {
  return quote(value.replace(/%/g, '%%'), what);
}

/** A log-format expression edgegen wrote itself (may use %[...]); single-quoted. */
export function fmtExpr(value: string): HapWord {
  assertSafe(value, 'expression');
  return `'${value.replace(/'/g, `'\\''`)}'` as HapWord;
}

/** Proxy, server and ACL names: HAProxy allows [A-Za-z0-9._:-]. */
export function ident(value: string): HapWord {
  if (!/^[A-Za-z0-9._:-]{1,128}$/.test(value)) throw new EmitError(`"${value}" is not a valid HAProxy name`);
  return value as HapWord;
}

/** A non-negative integer (String(1e21) would be "1e+21"). */
export function num(n: number): HapWord {
  if (!Number.isSafeInteger(n) || n < 0) throw new EmitError(`${n} is not a whole number HAProxy can read`);
  return String(n) as HapWord;
}

/** HAProxy keeps times in a signed 32-bit count of milliseconds ("timer overflow" above it). */
export const MAX_TIME_MS = 2_147_483_647;

export function time(ms: number): HapWord {
  num(ms);
  if (ms > MAX_TIME_MS) throw new EmitError(`a time of ${ms} ms is longer than HAProxy can keep (at most ${MAX_TIME_MS} ms, about 24.8 days)`);
  return (ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`) as HapWord;
}

/** An IPv6 address in the model (without brackets): hex digits and ":" (and "." for an IPv4 tail), at least two ":". */
const IPV6 = /^(?=(?:[^:]*:){2})[0-9A-Fa-f:.]{2,45}$/;

/**
 * host:port for bind and server lines. An IPv6 host is written "ipv6@[addr]:port": the family prefix says what it is
 * (HAProxy would otherwise guess from the text), the brackets end the address before the port. Spec hosts never
 * carry a prefix of their own ("unix@", "abns@", "fd@" ... would change the socket family).
 */
export function address(host: string, port: number): HapWord {
  const bare = /^\[.*\]$/.test(host) ? host.slice(1, -1) : host;
  const v6 = IPV6.test(bare);
  if (!v6 && !/^[A-Za-z0-9.-]{1,253}$/.test(host)) throw new EmitError(`"${host}" is not a host name or address`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new EmitError(`${port} is not a port`);
  return (v6 ? `ipv6@[${bare}]:${port}` : `${host}:${port}`) as HapWord;
}

/** ACL patterns: "--" ends the flags so a pattern can never be read as "-f file" or "-m reg". */
export function patterns(values: string[], what = 'pattern'): HapWord {
  return `-- ${values.map((v) => quote(v, what)).join(' ')}` as HapWord;
}

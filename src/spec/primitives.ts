import { isIPv6 } from 'node:net';
import { z } from 'zod';
import { describeChar, unsafeValueChar } from '../security/chars.js';

/** Field grammars shared by every target: strict allow-lists, full-match, no control characters. */

export const NAME_RE = /^[a-z][a-z0-9-]{0,62}$/;
/**
 * DNS names: LDH labels of at most 63 characters, 253 in all. The last label is never all digits, so "10.1" or
 * "2130706433" (which inet_aton reads as addresses while DNS would not) cannot pass as names; IPv4 is IPV4_RE.
 */
export const HOSTNAME_RE = /^(?!(?:.*\.)?\d+$)(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
export const WILDCARD_HOST_RE = /^(?!(?:.*\.)?\d+$)(\*\.)?(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
export const IPV4_RE = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
export const HEADER_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/;
export const DURATION_RE = /^(\d{1,9})(ms|s|m|h|d)$/;
/**
 * A URL path: '/' then RFC 3986 pchar without '%' (nginx matches decoded paths, HAProxy raw ones, Kong refuses
 * non-normalized ones, and '%' is HAProxy's log-format sigil), no '//' runs, no '.' or '..' segments.
 */
export const PATH_RE = /^(?!.*\/\/)(?!(?:.*\/)?\.\.?(?:\/|$))\/[A-Za-z0-9._~!&'()*+,;=:@\/-]*$/;
/**
 * Percent-encoded bytes a route path may hold: exactly the bytes a client must encode (space, " < > \\ ^ ` { | } and
 * non-ASCII characters as UTF-8), in upper-case hex. That makes the encoding canonical: two different accepted paths
 * never decode to the same string, so nginx (which matches the decoded URI) and Kong (which decodes every byte but the
 * reserved ones) tell apart exactly the paths HAProxy (which matches the path as sent) does.
 */
const MUST_ENCODE = new Set([0x20, 0x22, 0x3c, 0x3e, 0x5c, 0x5e, 0x60, 0x7b, 0x7c, 0x7d]);

/** Why a prefix or exact route path with "%" is refused, or undefined when every triplet is one a client must send. */
export function encodedPathProblem(path: string): string | undefined {
  const bad = /%(?![0-9A-Fa-f]{2})/.exec(path);
  if (bad) return `"${path.slice(bad.index, bad.index + 3)}" is not a percent-encoded byte (write "%" followed by two hex digits)`;
  for (const m of path.matchAll(/%([0-9A-Fa-f]{2})/g)) {
    const t = m[0];
    const b = parseInt(m[1], 16);
    if (b === 0x2f) return 'a path must not contain "%2F" (an encoded "/": nginx decodes it into a segment separator, HAProxy and Kong do not)';
    if (b < 0x20 || b === 0x7f) return `a path must not contain "${t}" (an encoded control character)`;
    if (b === 0x25) return 'a path must not contain "%25" (an encoded "%": nginx decodes it, HAProxy and Kong keep it)';
    if (b < 0x80 && !MUST_ENCODE.has(b)) return `"${t}" encodes "${String.fromCharCode(b)}", which a path writes as itself (nginx decodes it, HAProxy matches the path as sent)`;
    if (t !== t.toUpperCase()) return `write percent-encoded bytes in upper case ("${t.toUpperCase()}", not "${t}"): HAProxy matches the path as sent`;
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return 'the percent-encoded bytes of a path must be UTF-8 (e.g. "%C3%A9" for "é")';
  }
  const unsafe = unsafeValueChar(decoded);
  if (unsafe) return `a path must not encode ${describeChar(unsafe.char)}`;
  return undefined;
}

/** A route path as nginx and Kong compare it: percent-decoded (paths are validated by encodedPathProblem). */
export function decodeRoutePath(path: string): string {
  return path.includes('%') ? decodeURIComponent(path) : path;
}

export const FS_PATH_RE = /^\/[A-Za-z0-9._+@/-]{0,1023}$/;
/** RFC 6838 restricted names without "$" (nginx would expand it; no registered type uses it). */
export const MIME_RE = /^[a-z0-9][a-z0-9!#&^_.+-]{0,126}\/[a-z0-9*][a-z0-9!#&^_.+-]{0,126}$/;

const bounded = (max: number) => z.string().min(1).max(max);

export const name = (what: string) =>
  bounded(63).regex(NAME_RE, { message: `${what} must be lowercase letters, digits and '-', starting with a letter (e.g. "users-api")` });

/** Kong consumer usernames are free strings; edgegen takes names and email addresses ("alice@example.com"). */
export const consumerName = bounded(128).regex(/^[A-Za-z0-9][A-Za-z0-9._@+-]*$/, {
  message: 'a consumer name holds letters, digits and . _ @ + -, starting with a letter or digit (e.g. "alice" or "alice@example.com")',
});

export const port = z.number().int().min(1).max(65535);

export const duration = bounded(12).regex(DURATION_RE, {
  message: 'a duration is a whole number with a unit: ms, s, m, h or d (e.g. "30s", "5m")',
});

export const hostname = bounded(253).refine((v) => HOSTNAME_RE.test(v) || IPV4_RE.test(v), {
  message: 'must be a DNS name (letters, digits, "-" and ".") or an IPv4 address',
});

export const routeHost = bounded(253).refine((v) => WILDCARD_HOST_RE.test(v), {
  message: 'must be a DNS name, optionally starting with "*." (e.g. "api.example.com", "*.example.com")',
});

/** An IPv6 address as written without brackets (no zone id such as "%eth0": no target reads it the same way). */
export function isIpv6(v: string): boolean {
  return v.length <= 45 && /^[0-9A-Fa-f:.]+$/.test(v) && v.includes(':') && isIPv6(v);
}

/** An IPv4 or IPv6 address (not a name): a previous layer's address that can be trusted as it is. */
export function isIpAddress(v: string): boolean {
  return IPV4_RE.test(v) || isIpv6(v);
}

/** host:port, or [IPv6]:port; the host without brackets. Undefined when the text is neither. */
export function splitHostPort(v: string): { host: string; port: number } | undefined {
  const m = /^\[([^\]]*)\]:(\d{1,5})$/.exec(v) ?? /^([^:\[\]]*):(\d{1,5})$/.exec(v);
  if (!m) return undefined;
  const [, host, p] = m;
  const port = Number(p);
  if (port < 1 || port > 65535) return undefined;
  const bracketed = v.startsWith('[');
  if (bracketed ? !isIpv6(host) : !(HOSTNAME_RE.test(host) || IPV4_RE.test(host))) return undefined;
  return { host, port };
}

export const address = bounded(260).superRefine((v, ctx) => {
  if (splitHostPort(v)) return;
  // An IPv6 address has colons of its own, so it needs brackets; say so rather than "host:port" in general.
  const v6 = v.startsWith('[') || (v.match(/:/g) ?? []).length > 1;
  ctx.addIssue({ code: 'custom', message: v6
    ? 'an IPv6 address is written in brackets with a port, e.g. "[2001:db8::10]:8080" (port 1-65535, no zone id)'
    : 'an address is host:port, e.g. "users-1:3000" or "10.0.1.15:8080" (port 1-65535)' });
});

/** A host an instance is reached by or listens on: a DNS name, an IPv4 address or an IPv6 address (without brackets). */
export const hostOrIp = bounded(253).refine((v) => HOSTNAME_RE.test(v) || IPV4_RE.test(v) || isIpv6(v), {
  message: 'must be a DNS name (letters, digits, "-" and "."), an IPv4 address or an IPv6 address without brackets (e.g. "::1")',
});

/** An IPv4 or IPv6 address or CIDR block (trusted proxies). */
export const ipCidr = z.string().max(49).refine((v) => {
  const [ip, bits, extra] = v.split('/');
  if (extra !== undefined || (bits !== undefined && !/^\d{1,3}$/.test(bits))) return false;
  if (IPV4_RE.test(ip)) return bits === undefined || Number(bits) <= 32;
  return isIpv6(ip) && (bits === undefined || Number(bits) <= 128);
}, { message: 'an IPv4 or IPv6 address or CIDR block, e.g. "10.0.0.0/8", "192.0.2.10" or "2001:db8::/32"' });

export const urlPath = bounded(1024).regex(PATH_RE, {
  message: 'a path starts with "/" and holds only URL path characters (no spaces, quotes, "%", "#", "?", "//", "." or ".." segments, or control characters)',
});

export const fsPath = bounded(1024)
  .regex(FS_PATH_RE, { message: 'a file path is absolute and holds only letters, digits and . _ + @ / -' })
  .refine((v) => !v.split('/').includes('..'), { message: 'a file path must not contain ".." segments' });

/**
 * A path to a file that may be relative to the spec file. No ".." segments (a checker that copies test files to
 * these paths must never be steered outside its directory) and no leading "-", "+" or "@" (never an option to a
 * tool, never an nginx prefix).
 */
export const filePath = bounded(1024)
  .regex(/^[A-Za-z0-9._+@/ -]+$/, { message: 'a file path holds only letters, digits, spaces and . _ + @ / -' })
  .refine((v) => !/(^|\/) | (\/|$)/.test(v), { message: 'a file path must not have a space at the start or end of a name' })
  .refine((v) => !v.split('/').includes('..'), { message: 'a file path must not contain ".." segments' })
  .refine((v) => /^[A-Za-z0-9_./]/.test(v), { message: 'a file path starts with a letter, digit, "_", "." or "/"' });

export const headerName = bounded(64).regex(HEADER_NAME_RE, {
  message: 'a header name holds only letters, digits and "-" (e.g. "X-Request-ID")',
});

/**
 * Printable text for header values: not empty (Kong refuses empty header matches), no control characters, no line
 * breaks. "$" is a literal (the NGINX emitters write it as ${edgegen_dollar}, HAProxy single-quotes it), except where
 * Kong or decK would read it: "$(...)" is a request-transformer template, "${{ ... }}" a decK substitution.
 */
export const headerValue = z
  .string()
  .min(1)
  .max(1024)
  .regex(/^[\x20-\x7E]*$/, { message: 'a header value is printable ASCII without line breaks or control characters' })
  .refine((v) => !v.includes('$('), { message: 'a header value must not contain "$(" (Kong\'s request-transformer reads "$(...)" as a template)' })
  .refine((v) => !v.includes('${{'), { message: 'a header value must not contain "${{" (decK substitutes "${{ env ... }}" in the file text)' });

export const mimeType = bounded(255).regex(MIME_RE, { message: 'a MIME type looks like "application/json"' });

export const httpMethod = z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * A secret: a literal string or a reference to an environment variable. A literal must not look like a Kong vault
 * reference ("{vault://env/NAME}" makes Kong read its own environment, e.g. into a Redis password sent to a host the
 * spec names) or a decK template ("${{ env ... }}"), so a literal is always used as written.
 */
export const secret = z.union([
  bounded(512)
    .regex(/^[\x21-\x7E]+$/, { message: 'a literal secret is printable ASCII without spaces' })
    .refine((v) => !/^\{vault:/i.test(v) && !v.includes('${{'), { message: 'a literal secret must not be a vault reference or template ("{vault://...}", "${{...}}"); use { env: NAME }' }),
  z
    .object({
      env: bounded(128).regex(/^[A-Z_][A-Z0-9_]*$/, { message: 'an environment variable name is UPPER_CASE letters, digits and "_"' }),
    })
    .strict(),
]);

export type Secret = z.infer<typeof secret>;

export function durationMs(d: string): number {
  const m = DURATION_RE.exec(d);
  if (!m) throw new Error(`bad duration ${d}`);
  const n = Number(m[1]);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms'];
  return n * unit;
}

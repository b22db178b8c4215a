// Primitive field definitions after kong/db/schema/typedefs.lua (Kong 3.9.3).
import { atLeastOneOf } from './checks.js';
import { isValidIpOrCidr, normalizeIp } from './ip.js';
import { isPlainRegexPath, pcreCompileError } from './regex.js';
import type { ArrayField, BooleanField, Field, MapField, NumberField, RecordField, StringField } from './types.js';

export const PROTOCOLS = ['grpc', 'grpcs', 'http', 'https', 'tcp', 'tls', 'tls_passthrough', 'udp'] as const;
export const HTTP_PROTOCOLS = ['grpc', 'grpcs', 'http', 'https'] as const;

type Opts<F> = Partial<Omit<F, 'type'>>;

export const str = (o: Opts<StringField> = {}): StringField => ({ type: 'string', ...o });
export const int = (o: Opts<NumberField> = {}): NumberField => ({ type: 'integer', ...o });
export const num = (o: Opts<NumberField> = {}): NumberField => ({ type: 'number', ...o });
export const bool = (o: Opts<BooleanField> = {}): BooleanField => ({ type: 'boolean', ...o });
export const arr = (elements: Field, o: Opts<ArrayField> = {}): ArrayField => ({ type: 'array', elements, ...o });
export const set = (elements: Field, o: Opts<ArrayField> = {}): ArrayField => ({ type: 'set', elements, ...o });
export const map = (keys: Field, values: Field, o: Opts<MapField> = {}): MapField => ({ type: 'map', keys, values, ...o });
export const record = (fields: Record<string, Field>, o: Opts<RecordField> = {}): RecordField => ({ type: 'record', fields, ...o });

// --- names -----------------------------------------------------------------

const UTF8_NAME = /^[A-Za-z0-9._~\-\u0080-\u{10FFFF}]+$/u;

/** `utf8_name`: service/route names, plugin instance_name. */
export const utf8Name = (o: Opts<StringField> = {}): StringField =>
  str({
    custom: (v) =>
      UTF8_NAME.test(v)
        ? undefined
        : `invalid value '${v}': the only accepted ascii characters are alphanumerics or ., -, _, and ~`,
    ...o,
    // only sound for the checks above
    fastAccept: Object.keys(o).some((k) => k !== 'required' && k !== 'default') ? o.fastAccept : ASCII_NAME,
  });

/** The ASCII names `utf8Name` accepts. */
export const ASCII_NAME = /^[A-Za-z0-9._~-]+$/;

const TAG = /^[ \x21-\x2B\x2D\x2E\x30-\x7E\u0080-\u{10FFFF}]+$/u;

export const tags = (): ArrayField =>
  set(
    str({
      custom: (v) =>
        TAG.test(v) ? undefined : `invalid tag '${v}': expected printable ascii (except \`,\` and \`/\`) or valid utf-8 sequences`,
    }),
  );

export const uuid = (o: Opts<StringField> = {}): StringField => str({ uuid: true, ...o });

export const headerName = (o: Opts<StringField> = {}): StringField =>
  str({
    custom: (v) =>
      /^[A-Za-z0-9_-]+$/.test(v)
        ? undefined
        : `bad header name '${v}', allowed characters are A-Z, a-z, 0-9, '_', and '-'`,
    ...o,
  });

/** `cookie_name`: an RFC 7230 token. */
export const cookieName = (): StringField =>
  str({
    custom: (v) =>
      /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(v)
        ? undefined
        : 'contains one or more invalid characters. ASCII control characters (0-31;127), space, tab and the characters ()<>@,;:\\"/?={}[] are not allowed.',
  });

// --- hosts and addresses ---------------------------------------------------

/** `host`: hostname or IP, no port. */
export function validateHost(host: string): string | undefined {
  const r = normalizeIp(host);
  if ('err' in r && r.err !== 'invalid port number') return `invalid value: ${host}`;
  if ('err' in r || r.ok.port !== undefined) return 'must not have a port';
  return undefined;
}

export const host = (o: Opts<StringField> = {}): StringField => str({ custom: validateHost, ...o });

export function validateHostWithOptionalPort(v: string): string | undefined {
  const r = normalizeIp(v);
  return 'err' in r ? r.err : undefined;
}

export const hostWithOptionalPort = (): StringField => str({ custom: validateHostWithOptionalPort });

function validateSniLike(host: string): string | undefined {
  const r = normalizeIp(host);
  if ('err' in r && r.err !== 'invalid port number') return `invalid value: ${host}`;
  if ('ok' in r && r.ok.type !== 'name') return 'must not be an IP';
  if ('err' in r || r.ok.port !== undefined) return 'must not have a port';
  return undefined;
}

export const sni = (o: Opts<StringField> = {}): StringField => str({ custom: (v) => validateSniLike(v), ...o });

/** `wildcard_host`: an SNI with at most one leading or trailing `*`. */
export const wildcardHost = (o: Opts<StringField> = {}): StringField =>
  str({
    custom: (v) => {
      const idx = v.indexOf('*');
      if (idx < 0) return validateSniLike(v);
      if (idx !== 0 && idx !== v.length - 1) return 'wildcard must be leftmost or rightmost character';
      const mock = v.replace(/\*/g, 'wildcard');
      if ((v.match(/\*/g) ?? []).length > 1) return 'only one wildcard must be specified';
      return validateSniLike(mock);
    },
    ...o,
  });

export const ipOrCidr = (): StringField =>
  str({ custom: (v) => (isValidIpOrCidr(v) ? undefined : `invalid ip or cidr range: '${v}'`) });

export const port = (o: Opts<NumberField> = {}): NumberField => int({ between: [0, 65535], ...o });

export const timeout = (o: Opts<NumberField> = {}): NumberField => int({ between: [0, 2 ** 31 - 2], ...o });

// --- paths and urls --------------------------------------------------------

/** `validate_path`: RFC 3986 characters and well-formed percent-encoding. */
export function validatePath(path: string): { err: string; code: 'rfc3986' | 'percent' } | undefined {
  if (!RFC3986_PATH.test(path)) {
    return { err: `invalid path: '${path}' (characters outside of the reserved list of RFC 3986 found)`, code: 'rfc3986' };
  }
  const err = percentError(path);
  return err === undefined ? undefined : { err, code: 'percent' };
}

const RFC3986_PATH = /^\/[A-Za-z0-9._~/%:@!$&'()*+,;=-]*$/;

/** The url-encoding error of a path made of RFC 3986 characters. */
function percentError(path: string): string | undefined {
  if (!path.includes('%')) return undefined;
  const raw = path.replace(/%[0-9A-Fa-f]{2}/g, '___');
  const at = raw.indexOf('%');
  return at >= 0 ? `invalid url-encoded value: '${raw.slice(at, at + 3)}'` : undefined;
}

const EMPTY_SEGMENTS = { re: /\/\//, err: 'must not have empty segments' };

/** `path`: service path, upstream hash_on_cookie_path, rate-limiting path, ... */
export const path = (o: Opts<StringField> = {}): StringField =>
  str({ startsWith: '/', matchNone: [EMPTY_SEGMENTS], custom: (v) => validatePath(v)?.err, ...o });

const RESERVED = new Set("!*'();:@&=+$,/?%#[]".split('').map((c) => c.charCodeAt(0)));

/** Kong's `kong.tools.uri.normalize(uri, true)`. */
export function normalizeUri(input: string): string {
  let uri = input;
  if (uri === '' || uri === '/') return uri;
  if (uri.includes('%')) uri = uri.replace(/%([0-9A-Fa-f]{2})/g, (m, hex: string) => {
    const n = parseInt(hex, 16);
    return RESERVED.has(n) ? m.toUpperCase() : String.fromCharCode(n);
  });
  if (!uri.includes('.') && !uri.includes('//')) return uri;
  const out: string[] = [];
  while (uri.length > 0) {
    if (uri === '/.') uri = '/';
    else if (uri === '/..') {
      uri = '/';
      out.pop();
    } else if (uri === '.' || uri === '..') uri = '';
    else if (uri.startsWith('../')) uri = uri.slice(3);
    else if (uri.startsWith('./')) uri = uri.slice(2);
    else if (uri.startsWith('/./')) uri = uri.slice(2);
    else if (uri.startsWith('/../')) {
      uri = uri.slice(3);
      out.pop();
    } else if (uri.startsWith('//')) uri = uri.slice(1);
    else {
      const i = uri.indexOf('/', 1);
      out.push(i >= 0 ? uri.slice(0, i) : uri);
      uri = i >= 0 ? uri.slice(i) : '';
    }
  }
  return out.join('');
}

/** `validate_path_with_regexes`: route paths (prefix must be normalized, regex must compile). */
export function validateRouterPath(p: string): string | undefined {
  // validatePath(p) when its error is about url-encoding
  if (p.includes('%') && RFC3986_PATH.test(p)) {
    const err = percentError(p);
    if (err !== undefined) return err;
  }
  if (!p.startsWith('~')) {
    const normalized = normalizeUri(p);
    return p === normalized ? undefined : `non-normalized path, consider use '${normalized}' instead`;
  }
  if (isPlainRegexPath(p)) return undefined;
  const re = p.slice(1);
  const err = pcreCompileError(re);
  return err ? `invalid regex: '${re}' (PCRE returned: ${err})` : undefined;
}

/**
 * Route paths that pass every check of `routerPath`: a prefix path of letters, digits,
 * `/_~-` (normalized: no `.`, `%` or `//`), or a regex path `~/...` whose pattern is
 * literal characters, anchors and `.` (see regex.ts `isPlainRegexPath`) without `%` or `//`.
 */
export const PLAIN_ROUTER_PATH = /^(?!.*\/\/)(?:\/[A-Za-z0-9/_~-]*|~\/[A-Za-z0-9/_.$^:~@,=&;!-]*)$/s;

export const routerPath = (): StringField =>
  str({
    matchAny: { res: [/^\//, /^~\//], err: 'should start with: / (fixed path) or ~/ (regex path)' },
    matchNone: [EMPTY_SEGMENTS],
    custom: validateRouterPath,
    fastAccept: PLAIN_ROUTER_PATH,
  });

export interface ParsedUrl {
  scheme?: string;
  host?: string;
  port?: string;
  path?: string;
  userinfo?: string;
}

/** Generic URI split in the spirit of LuaSocket's `socket.url.parse`. */
export function parseUrl(url: string): ParsedUrl {
  const m = /^(?:([A-Za-z][A-Za-z0-9+.-]*):)?(?:\/\/([^/?#]*))?([^?#]*)(?:\?[^#]*)?(?:#.*)?$/.exec(url);
  const out: ParsedUrl = {};
  if (!m) return out;
  if (m[1]) out.scheme = m[1].toLowerCase();
  if (m[2] !== undefined) {
    let authority = m[2];
    const at = authority.lastIndexOf('@');
    if (at >= 0) {
      out.userinfo = authority.slice(0, at);
      authority = authority.slice(at + 1);
    }
    const hm = /^(\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(authority);
    if (hm?.[1]) out.host = hm[1].replace(/^\[(.*)\]$/, '$1');
    if (hm?.[2]) out.port = hm[2];
  }
  if (m[3]) out.path = m[3];
  return out;
}

export const url = (o: Opts<StringField> = {}): StringField =>
  str({
    custom: (v) => {
      const u = parseUrl(v);
      if (!u.host) return 'missing host in url';
      if (!u.scheme) return 'missing scheme in url';
      return undefined;
    },
    ...o,
  });

// --- composite typedefs ----------------------------------------------------

export const protocol = (o: Opts<StringField> = {}): StringField => str({ oneOf: PROTOCOLS, ...o });

/** Plugin `protocols`: `typedefs.protocols` (any protocol) or `protocols_http`. */
export const protocols = (allowed: readonly string[] = PROTOCOLS, dflt: readonly string[] = HTTP_PROTOCOLS): ArrayField =>
  set(str({ oneOf: allowed }), { required: true, default: [...dflt] });

export const httpMethod = (): StringField => str({ match: /^[A-Z]+$/ });

/** Route `hosts`: at most one `*`, as the whole leftmost or rightmost label. */
export const routeHosts = (): ArrayField =>
  arr(
    str({
      matchNone: [{ re: /\*.*\*/, err: 'invalid wildcard: must have at most one wildcard' }],
      matchAny: { res: [/^\*\./, /\.\*$/, /^[^*]*$/], err: 'invalid wildcard: must be placed at leftmost or rightmost label' },
      custom: (v) => validateHostWithOptionalPort(v.replace(/\*/g, 'abc')),
    }),
  );

/** `headers`: map of header name to array of values. */
export const headers = (keyOpts: Opts<StringField> = {}): MapField => map(headerName(keyOpts), arr(str()));

/** Route `sources`/`destinations`. */
export const endpoints = (): ArrayField =>
  set(record({ ip: ipOrCidr(), port: port() }, { checks: [atLeastOneOf(['ip', 'port'])] }));

export const autoTimestamp = (): NumberField => int({ gt: 0, err: 'expected a valid timestamp' });

/** Fields present on most entities. */
export const common = (): Record<string, Field> => ({
  id: uuid(),
  created_at: autoTimestamp(),
  updated_at: { type: 'any' },
  tags: tags(),
});

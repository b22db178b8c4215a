import { TextBlock } from '../../text.js';
import type { NgxArg } from '../quote.js';

/**
 * The location blocks of the proxy layer, written here rather than by a template: a 10 000-route spec has that many
 * of them, and Handlebars spent most of the build iterating over them. Every argument is an NgxArg (made by quote.ts);
 * the rest is fixed text.
 */

export interface CacheDirectives { key: NgxArg; methods: NgxArg; statuses: NgxArg; ttl: NgxArg }

/** What proxies a request upstream; routes with the same service, timeouts and cache policy share one (and its text). */
export interface ProxyDirectives {
  pass: NgxArg;
  sslServerName: boolean;
  connectTimeout: NgxArg;
  sendTimeout: NgxArg;
  readTimeout: NgxArg;
  tries: NgxArg;
  cache: CacheDirectives | false;
}

export interface Location {
  /** Free text after "#" (route and service names, a static prefix), already tidy(). */
  comment: string;
  match: NgxArg;
  /** Routes tried before the one served here, as rewrite-phase lines (slots.ts dispatchText); values: their count. */
  dispatch: { text: string; values: number };
  /** Tests that answer the JSON 404 when one holds (the served route's failed conditions, when no route follows it). */
  guards: readonly NgxArg[];
  /** No route takes what lands here: the JSON 404. */
  noRoute: boolean;
  /** cacheControl: a long-lived Cache-Control for successful responses only (add_header without always). */
  static: { root: NgxArg; expires: NgxArg | false; cacheControl: NgxArg | false } | false;
  /** Before proxy_pass. */
  rewrite: readonly NgxArg[];
  proxy: ProxyDirectives | false;
  headers: readonly NgxArg[];
}

/** Without trailing blanks (what the tidying of template output removed). */
export function tidy(text: string): string {
  let end = text.length;
  while (end > 0 && (text.charCodeAt(end - 1) === 0x20 || text.charCodeAt(end - 1) === 0x09)) end--;
  return end === text.length ? text : text.slice(0, end);
}

const I1 = '            ';
const I2 = '                ';
const NO_ROUTE = `return 404 '{"message":"no route matched"}';\n`;
const CACHE_FIXED = `${I1}proxy_cache_lock on;\n${I1}proxy_cache_use_stale error timeout updating http_500 http_502 http_503 http_504;\n`;

const proxyTexts = new WeakMap<ProxyDirectives, string>();

function proxyText(p: ProxyDirectives): string {
  let s = proxyTexts.get(p);
  if (s === undefined) {
    s = `${I1}proxy_pass ${p.pass};\n`;
    if (p.sslServerName) s += `${I1}proxy_ssl_server_name on;\n`;
    s += `${I1}proxy_connect_timeout ${p.connectTimeout};\n${I1}proxy_send_timeout ${p.sendTimeout};\n`
      + `${I1}proxy_read_timeout ${p.readTimeout};\n${I1}proxy_next_upstream_tries ${p.tries};\n`;
    const c = p.cache;
    if (c) {
      s += `${I1}proxy_cache edgegen_cache;\n${I1}proxy_cache_key ${c.key};\n${I1}proxy_cache_methods ${c.methods};\n`
        + `${I1}proxy_cache_valid ${c.statuses} ${c.ttl};\n${CACHE_FIXED}`;
    }
    proxyTexts.set(p, s);
  }
  return s;
}

const headerTexts = new WeakMap<readonly NgxArg[], string>();

function headersText(headers: readonly NgxArg[]): string {
  let s = headerTexts.get(headers);
  if (s === undefined) headerTexts.set(headers, s = headers.map((h) => `${I1}add_header ${h} always;\n`).join(''));
  return s;
}

function text(l: Location): string {
  let s = `\n        # ${l.comment}\n        location ${l.match} {\n`;
  s += l.dispatch.text;
  for (const g of l.guards) s += `${I1}if (${g}) {\n${I2}${NO_ROUTE}${I1}}\n`;
  if (l.noRoute) s += `${I1}default_type application/json;\n${I1}${NO_ROUTE}`;
  if (l.static) {
    s += `${I1}root ${l.static.root};\n${I1}try_files $uri =404;\n`;
    if (l.static.expires) s += `${I1}expires ${l.static.expires};\n`;
  }
  if (l.proxy) {
    for (const r of l.rewrite) s += `${I1}rewrite ${r} break;\n`;
    s += proxyText(l.proxy);
  }
  const success = l.static && l.static.cacheControl ? `${I1}add_header Cache-Control ${l.static.cacheControl};\n` : '';
  return `${s}${headersText(l.headers)}${success}        }\n`;
}

/**
 * Values a location stands for, counted as a template view of it was (each object, list, flag and token): keeps the
 * MAX_VIEW_VALUES cap of text.ts where it was.
 */
function valueCount(l: Location): number {
  let n = 4 + (l.static ? 3 : 1) + 1 + l.dispatch.values + l.guards.length + 1 + l.headers.length;
  if (l.proxy) n += 8 + l.rewrite.length + (l.proxy.cache ? 5 : 1);
  else n += 1;
  return n;
}

/** The locations of one server (or include file), in the order added. */
export class LocationsWriter {
  private readonly parts: string[] = [];
  private values = 2;

  add(l: Location): void {
    this.parts.push(text(l));
    this.values += valueCount(l);
  }

  block(): TextBlock {
    return new TextBlock(this.parts.join(''), this.values + 1);
  }
}

import { TextBlock } from '../../text.js';
import type { NgxArg } from '../quote.js';

/**
 * The location blocks of the proxy layer, written here rather than by a template: a 10 000-route spec has that many
 * of them, and Handlebars spent most of the build iterating over them. Every argument is an NgxArg (made by quote.ts);
 * the rest is fixed text.
 */

/** A route that shares its location with others: jumped to (error_page with a private status code) when all its tests hold. */
export interface Dispatch { code: NgxArg; target: NgxArg; tests: readonly NgxArg[]; variable: NgxArg; append: NgxArg; all: NgxArg }

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
  dispatch: readonly Dispatch[];
  guards: readonly NgxArg[];
  static: { root: NgxArg; expires: NgxArg | false } | false;
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
const FALLBACK = `
        location / {
${I1}default_type application/json;
${I1}${NO_ROUTE}        }
`;
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
  for (const d of l.dispatch) {
    s += `${I1}error_page ${d.code} = ${d.target};\n${I1}set ${d.variable} "";\n`;
    for (const t of d.tests) s += `${I1}if (${t}) {\n${I2}set ${d.variable} ${d.append};\n${I1}}\n`;
    s += `${I1}if (${d.variable} = ${d.all}) {\n${I2}return ${d.code};\n${I1}}\n`;
  }
  for (const g of l.guards) s += `${I1}if (${g}) {\n${I2}${NO_ROUTE}${I1}}\n`;
  if (l.static) {
    s += `${I1}root ${l.static.root};\n${I1}try_files $uri =404;\n`;
    if (l.static.expires) s += `${I1}expires ${l.static.expires};\n`;
  }
  if (l.proxy) {
    for (const r of l.rewrite) s += `${I1}rewrite ${r} break;\n`;
    s += proxyText(l.proxy);
  }
  return `${s}${headersText(l.headers)}        }\n`;
}

/**
 * Values a location stands for, counted as a template view of it was (each object, list, flag and token): keeps the
 * MAX_VIEW_VALUES cap of text.ts where it was.
 */
function valueCount(l: Location): number {
  let n = 4 + (l.static ? 3 : 1) + 1 + l.guards.length + 1 + l.headers.length;
  for (const d of l.dispatch) n += 7 + d.tests.length;
  if (l.proxy) n += 8 + l.rewrite.length + (l.proxy.cache ? 5 : 1);
  else n += 1;
  return n;
}

/** The locations of one server (or include file): its locations, then its named locations, then maybe a JSON 404. */
export class LocationsWriter {
  private readonly main: string[] = [];
  private readonly named: string[] = [];
  private values = 2;

  add(l: Location, named = false): void {
    (named ? this.named : this.main).push(text(l));
    this.values += valueCount(l);
  }

  /** With `fallback`, everything no location matches gets the JSON 404 (servers without a route for "/"). */
  block(fallback: boolean): TextBlock {
    const text = this.main.concat(this.named, fallback ? [FALLBACK] : []).join('');
    return new TextBlock(text, this.values + (fallback ? 2 : 1));
  }
}

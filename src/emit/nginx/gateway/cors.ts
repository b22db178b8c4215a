import type { CorsPolicy } from '../../../model/types.js';
import { escapeRegex, expr, quote, regex, type NgxArg } from '../quote.js';
import type { MapBlock } from './values.js';

/** CORS headers for one policy, with Kong's cors plugin semantics (3.9). */
export type Header = [name: string, value: NgxArg];
export interface CorsHeaders { preflight: Header[]; response: Header[] }

/** Maps shared by every CORS policy: is this request a preflight (OPTIONS with Origin and Access-Control-Request-Method)? */
export function preflightMaps(): MapBlock[] {
  const m = (source: string, target: string, entries: string[]): MapBlock =>
    ({ source: source as NgxArg, target: target as NgxArg, entries: entries as NgxArg[] });
  return [
    m('$http_origin', '$edgegen_has_origin', ['"" ""', 'default 1']),
    m('$http_access_control_request_method', '$edgegen_has_acrm', ['"" ""', 'default 1']),
    m(expr('$request_method:$edgegen_has_origin$edgegen_has_acrm'), '$edgegen_preflight', [`${regex('~^OPTIONS:11$')} 1`, 'default ""']),
  ];
}

/** Kong strips the default port when it compares origins. */
function normalize(origin: string): string {
  return origin.replace(/^(http:\/\/[^/]+):80$/, '$1').replace(/^(https:\/\/[^/]+):443$/, '$1');
}

/** Build the maps and header lines of CORS policy number `n`. */
export function corsFor(p: CorsPolicy, n: number, maps: MapBlock[]): CorsHeaders {
  const origins = p.origins;
  const allowAll = origins.length === 1 && origins[0] === '*';
  const common: Header[] = [];
  const v = (name: string) => `$edgegen_cors${n}_${name}`;
  const map = (name: string, entries: string[]) => {
    maps.push({ source: '$http_origin' as NgxArg, target: v(name) as NgxArg, entries: entries as NgxArg[] });
    return expr(v(name));
  };
  if (allowAll && p.credentials) {
    // Kong echoes the request's Origin and allows credentials when one is sent; otherwise "*".
    common.push(['Access-Control-Allow-Origin', map('origin', ['"" "*"', 'default $http_origin'])]);
    common.push(['Vary', map('vary', ['"" ""', 'default "Origin"'])]);
    common.push(['Access-Control-Allow-Credentials', map('credentials', ['"" ""', 'default "true"'])]);
  } else if (allowAll) {
    common.push(['Access-Control-Allow-Origin', quote('*')]);
  } else {
    common.push(['Vary', quote('Origin')]);
    if (origins.length === 1) {
      common.push(['Access-Control-Allow-Origin', quote(origins[0], 'cors origin')]);
    } else if (origins.includes('*')) {
      // Kong answers "*" (or the Origin itself when credentials are allowed) whenever an Origin is sent.
      common.push(['Access-Control-Allow-Origin', map('origin', ['"" ""', p.credentials ? 'default $http_origin' : 'default "*"'])]);
    } else {
      const entries = origins.map((o) => {
        const norm = normalize(o);
        const port = /:\d+$/.test(norm) ? '' : `(${norm.startsWith('https:') ? ':443' : ':80'})?`;
        return `${regex(`~^${escapeRegex(norm)}${port}$`, 'cors origin')} ${quote(norm, 'cors origin')}`;
      });
      common.push(['Access-Control-Allow-Origin', map('origin', [...entries, 'default ""'])]);
    }
    if (p.credentials) common.push(['Access-Control-Allow-Credentials', quote('true')]);
  }
  const preflight = [...common];
  preflight.push(['Access-Control-Allow-Headers', p.headers.length ? quote(p.headers.join(',')) : expr('$http_access_control_request_headers')]);
  preflight.push(['Access-Control-Allow-Methods', quote(p.methods.join(','))]);
  preflight.push(['Access-Control-Max-Age', quote(String(p.maxAge))]);
  const response = [...common];
  if (p.exposedHeaders.length) response.push(['Access-Control-Expose-Headers', quote(p.exposedHeaders.join(','))]);
  return { preflight, response };
}

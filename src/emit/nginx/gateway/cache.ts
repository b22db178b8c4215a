import type { CachePolicy, Route } from '../../../model/types.js';
import { EmitError } from '../../text.js';
import { expr, num, time, type NgxArg } from '../quote.js';
import type { Header } from './cors.js';
import { headerVar, mapKey, type MapBlock } from './values.js';

function ttlMs(d: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(d);
  if (!m) throw new EmitError(`"${d}" is not a duration`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms'];
}

/** A size the schema validated ("64m"), as a bare token. */
export function sizeArg(v: string): NgxArg {
  if (!/^\d{1,6}[kmg]$/.test(v)) throw new EmitError(`"${v}" is not a size like "64m"`);
  return v as NgxArg;
}

/** Cache status values in Kong's proxy-cache wording. */
export const CACHE_STATUS_MAP: MapBlock = {
  source: '$upstream_cache_status' as NgxArg, target: '$edgegen_cache_status' as NgxArg,
  entries: ['HIT Hit', 'STALE Hit', 'UPDATING Hit', 'REVALIDATED Hit', 'EXPIRED Refresh', 'MISS Miss', 'default Bypass'] as NgxArg[],
};

/**
 * Kong's proxy-cache on a route of the gateway layer: keyed per route and consumer like Kong's, only the listed
 * methods, statuses and content types (a map on the upstream Content-Type), Cache-Control and Expires ignored.
 * `caches` collects the distinct policies (one content-type map each).
 */
export function cacheFor(r: Route, caches: CachePolicy[], maps: MapBlock[]) {
  const c = r.cache?.layer === 'gateway' ? r.cache.policy : undefined;
  if (!c) return false;
  let i = caches.findIndex((x) => JSON.stringify(x) === JSON.stringify(c));
  if (i < 0) {
    i = caches.push(c) - 1;
    const types = [...new Set(c.contentTypes.map((t) => t.toLowerCase()))];
    maps.push({ source: '$upstream_http_content_type' as NgxArg, target: `$edgegen_nocache${i + 1}` as NgxArg,
      entries: ['default 1', ...types.map((t) => `${mapKey(t, 'cache content type')} ""`)] as NgxArg[] });
  }
  const parts: Record<string, string> = { scheme: '$scheme', method: '$request_method', host: '$host', uri: '$request_uri', args: '$args' };
  const key = c.key.map((p) => (p.startsWith('header:') ? `|$http_${headerVar(p.slice(7))}` : parts[p])).join('');
  return {
    key: expr(`${key}|${r.id}${r.auth ? '|$edgegen_consumer' : ''}`),
    methods: c.methods.join(' '), statuses: c.statuses.map(num).join(' '), ttl: time(ttlMs(c.ttl)),
    skip: `$edgegen_nocache${i + 1}`, status: [c.statusHeader, expr('$edgegen_cache_status')] as Header,
  };
}

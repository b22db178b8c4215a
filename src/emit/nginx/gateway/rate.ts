import type { RateLimitPolicy, Route } from '../../../model/types.js';
import { expr, ident, num, quote, type NgxArg } from '../quote.js';
import type { Header } from './cors.js';
import { kongErrorBody } from './values.js';

/**
 * Kong's fixed windows on nginx's leaky bucket. Each window has a limit_req zone whose key holds the window's number
 * (seconds since the epoch divided by its length, UTC like Kong), so every window starts with a fresh bucket. The zone
 * leaks at nginx's slowest rate, 1r/m (0.016 requests per second), and burst = N-1 with nodelay lets exactly N
 * requests through at once: within a second or a minute the leak stays below one request, so the (N+1)th request of
 * a window is refused however the requests are spread. Within an hour the leak can let up to 57 more requests through
 * when they are spread out (never in a burst); see docs/nginx-gateway.md.
 */
export const WINDOWS = ['second', 'minute', 'hour'] as const;
export type Window = (typeof WINDOWS)[number];
const SECONDS: Record<Window, number> = { second: 1, minute: 60, hour: 3600 };
const TITLE: Record<Window, string> = { second: 'Second', minute: 'Minute', hour: 'Hour' };

export function windowsOf(p: RateLimitPolicy): Window[] {
  return WINDOWS.filter((w) => p[w] !== undefined);
}

/** Seconds until the window ends, as Kong's RateLimit-Reset computes it (at least 1). */
function reset(w: Window): NgxArg {
  return w === 'second' ? quote('1') : expr(`$edgegen_reset_${w}`);
}

export interface RouteLimits {
  /** `set` arguments that run after authentication: who is counted. */
  identity: NgxArg;
  limits: NgxArg[];
  /** add_header lines on every response of the route. */
  headers: Header[];
  /** The named location that answers a refused request. */
  refused: { name: NgxArg; headers: Header[]; body: NgxArg };
}

export function zoneKey(w: Window): NgxArg {
  return expr(`$edgegen_rl_id|$edgegen_window_${w}`);
}

/** limit_req settings and Kong's rate-limit headers for one route. */
export function limitsFor(r: Route, p: RateLimitPolicy): RouteLimits {
  const ws = windowsOf(p);
  const who = p.by === 'route' ? '' : p.by === 'ip' || !r.auth ? '|$remote_addr' : '|$edgegen_consumer';
  // Kong reports the window with the fewest remaining requests; with the count unknown, the smallest limit (ties: longer window).
  const primary = [...ws].sort((a, b) => p[a]! - p[b]! || SECONDS[b] - SECONDS[a])[0];
  const longest = ws[ws.length - 1];
  const limitHeaders = ws.map((w) => [`X-RateLimit-Limit-${TITLE[w]}`, quote(String(p[w]))] as Header);
  const headers = [...limitHeaders, ['RateLimit-Limit', quote(String(p[primary]))] as Header, ['RateLimit-Reset', reset(primary)] as Header];
  // On a refusal nginx does not say which window was full: with one window the headers are exact; with several,
  // Retry-After waits for the longest window, after which every bucket is fresh.
  const stop = ws.length === 1 ? primary : longest;
  const refusedHeaders = [
    ...limitHeaders,
    ...(ws.length === 1 ? [[`X-RateLimit-Remaining-${TITLE[stop]}`, quote('0')] as Header] : []),
    ['RateLimit-Limit', quote(String(p[stop]))] as Header,
    ['RateLimit-Remaining', quote('0')] as Header,
    ['RateLimit-Reset', reset(stop)] as Header,
    ['Retry-After', reset(stop)] as Header,
  ];
  return {
    identity: `$edgegen_rl_id ${expr(`${ident(r.id)}${who}`)}` as NgxArg,
    limits: ws.map((w) => (p[w]! > 1 ? `zone=edgegen_rl_${w} burst=${num(p[w]! - 1)} nodelay` : `zone=edgegen_rl_${w} nodelay`) as NgxArg),
    headers,
    refused: { name: `@${ident(`edgegen_limited_${r.id}`)}` as NgxArg, headers: refusedHeaders, body: kongErrorBody('API rate limit exceeded') },
  };
}

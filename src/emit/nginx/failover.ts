import type { HealthCheck } from '../../model/types.js';
import { num, time, type NgxArg } from './quote.js';

/**
 * Passive health of an upstream server (NGINX open source has no active checks): the first failed attempt
 * (max_fails=1; what counts is what proxy_next_upstream retries: a refused or reset connection, a timeout, a 502/503/504)
 * takes the instance out for fail_timeout, and the request goes to the next instance. After fail_timeout one live
 * request tries it again (and is retried elsewhere if it fails). With a health check that is the time the load balancer
 * takes to let an instance back in (rise x interval); without one, nginx's own 10 s.
 */
export function passiveHealth(hc: Pick<HealthCheck, 'intervalMs' | 'rise'> | undefined, fallbackMs = 10_000): string {
  // nginx reads fail_timeout in whole seconds.
  const ms = hc ? hc.intervalMs * hc.rise : fallbackMs;
  return `max_fails=1 fail_timeout=${num(Math.max(1, Math.ceil(ms / 1000)))}s`;
}

/**
 * How long nginx keeps an idle upstream connection: shorter than the next server keeps it, so nginx closes it first
 * and never writes a request onto a connection the server is closing. Services: below the 5 s that Node, uvicorn and
 * Apache default to. Edgegen's own next layer: 5 s below its keepalive_timeout, at most 60 s.
 */
export const SERVICE_IDLE_MS = 4000;

export function idleTimeout(nextKeepaliveMs: number): NgxArg {
  const ms = nextKeepaliveMs > 10_000 ? Math.min(60_000, nextKeepaliveMs - 5000) : Math.max(1000, Math.floor(nextKeepaliveMs / 2000) * 1000);
  return time(ms);
}

/** Requests per upstream connection: the proxy layer's own keepalive_requests. */
export const KEEPALIVE_REQUESTS = 10_000;

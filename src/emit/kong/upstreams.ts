import type { HealthCheck } from '../../model/types.js';

type Check = Pick<HealthCheck, 'path' | 'intervalMs' | 'timeoutMs' | 'rise' | 'fall' | 'expectStatus'>;

/**
 * Kong upstream health checks: HTTP probes of service instances, or TCP probes of the proxy pool (Kong cannot probe
 * another port); the default interval is HAProxy's (2 s).
 *
 * Passive: a target leaves the balancer at its first failed connection (tcp_failures 1) instead of after the active
 * check's `fall` probes; Kong retries the request on another target. The active check brings it back. A service that
 * answers 503 says it cannot serve (it is draining or overloaded): one takes it out too. The proxy pool counts no HTTP
 * status: a 5xx from a proxy is the answer of a service behind it, and counting it would take healthy proxies out.
 */
export function healthchecks(hc: Check | undefined, target: 'service' | 'proxy-pool' = 'service') {
  const sec = (ms: number) => Math.max(1, Math.round(ms / 1000));
  const rise = hc?.rise ?? 2, fall = hc?.fall ?? 3, interval = sec(hc?.intervalMs ?? 2000);
  const passiveHttp = target === 'service' ? { http_statuses: [503], http_failures: 1 } : { http_failures: 0 };
  return {
    healthchecks: {
      active: hc
        ? { type: 'http', http_path: hc.path, timeout: sec(hc.timeoutMs), concurrency: 10,
          healthy: { interval, successes: rise, http_statuses: [hc.expectStatus] },
          unhealthy: { interval, http_failures: fall, tcp_failures: fall, timeouts: fall } }
        : { type: 'tcp', timeout: 2, concurrency: 10, healthy: { interval, successes: rise }, unhealthy: { interval, tcp_failures: fall, timeouts: fall } },
      passive: { type: 'http', unhealthy: { ...passiveHttp, tcp_failures: 1, timeouts: 3 } },
    },
  };
}

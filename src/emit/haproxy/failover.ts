import type { HealthCheck } from '../../model/types.js';
import { num, time, type HapWord } from './quote.js';

/** Active checks where the spec names none: a TCP connect, so an instance taken out passively comes back. */
export const DEFAULT_CHECK: Pick<HealthCheck, 'intervalMs' | 'rise' | 'fall'> = { intervalMs: 2000, rise: 2, fall: 3 };

/** Methods a request may be sent twice with (RFC 9110 idempotent methods). */
export const IDEMPOTENT = 'GET HEAD OPTIONS PUT DELETE TRACE';

const w = (...parts: string[]) => parts.join(' ') as HapWord;

/**
 * How a backend takes a dead instance out of rotation and sends what it would have got elsewhere.
 * - Passive health: the first failed connection marks the instance DOWN (observe layer4, error-limit 1, on-error
 *   mark-down) instead of `fall` failed checks later. Only connection failures count: a 5xx that a healthy next layer
 *   relays is an application's answer, and one would take that instance out.
 * - Active checks confirm it and bring it back: a failed check is followed by checks every fastinter, and a DOWN
 *   instance is probed every downinter, so it is confirmed dead, or back after `rise` checks, within a few seconds.
 * - option redispatch 1: every retry runs the balance algorithm again; as the instance is already DOWN, even source or
 *   URI hashing then picks another one (without it a retry goes back to the same, dead, server).
 */
export function failoverLines(check: Pick<HealthCheck, 'intervalMs' | 'rise' | 'fall'>, redispatch: boolean): HapWord[] {
  const fast = time(Math.min(check.intervalMs, 1000));
  return [
    w('# Passive health: an instance leaves rotation at its first failed connection; active checks confirm it and bring it back.'),
    w('default-server inter', time(check.intervalMs), 'fastinter', fast, 'downinter', fast, 'fall', num(check.fall), 'rise', num(check.rise),
      'observe layer4 error-limit 1 on-error mark-down'),
    ...(redispatch ? [w('option redispatch 1')] : []),
  ];
}

/**
 * HTTP mode: a request the next instance never answered (it stopped, crashed, or closed a reused connection) is sent
 * again to another instance when its method is idempotent; other methods are retried only when the connection itself
 * failed (nothing was sent). The retry replays the request from HAProxy's buffer, so requests larger than
 * tune.bufsize (16 kB by default) are not retried. A slow answer (response-timeout) is not retried: that would
 * multiply the load on a backend that is already slow.
 */
export function l7RetryLines(): HapWord[] {
  return [
    w('# Layer-7 retries: an unanswered idempotent request goes to another instance; other methods only on connection failure.'),
    w('retry-on conn-failure empty-response junk-response 0rtt-rejected'),
    w(`http-request disable-l7-retry unless { method ${IDEMPOTENT} }`),
  ];
}

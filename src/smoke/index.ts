import type { Env } from '../emit/kong/secrets.js';
import type { Model } from '../model/types.js';
import type { Driver } from '../runtime/driver.js';
import type { StackState } from '../runtime/state.js';
import { authChecks } from './checks/auth.js';
import { cacheChecks } from './checks/cache.js';
import { distributionChecks } from './checks/distribution.js';
import { failoverChecks } from './checks/failover.js';
import { headerChecks } from './checks/headers.js';
import { rateLimitChecks } from './checks/ratelimit.js';
import { routeHeaderChecks } from './checks/route-headers.js';
import { routingChecks } from './checks/routing.js';
import { staticChecks } from './checks/static.js';
import { tlsChecks } from './checks/tls.js';
import { websocketChecks } from './checks/websocket.js';
import { SmokeContext, type CheckResult } from './context.js';

export type { CheckResult } from './context.js';

import type { CheckGroup } from './groups.js';

export { CHECK_GROUPS, type CheckGroup } from './groups.js';

/**
 * Run the checks the model implies against a running stack. Order matters: failover stops and restarts instances,
 * and the rate-limit probes spend a whole window's budget, so they come last.
 */
export async function runSmoke(model: Model, state: StackState, driver: Driver, env: Env, only?: CheckGroup[]): Promise<CheckResult[]> {
  const ctx = await new SmokeContext(model, state, driver, env).init();
  const groups: [CheckGroup, (c: SmokeContext) => Promise<CheckResult[]>][] = [
    ['routing', routingChecks], ['auth', authChecks], ['headers', headerChecks], ['route-headers', routeHeaderChecks], ['cache', cacheChecks], ['static', staticChecks],
    ['tls', tlsChecks], ['websocket', websocketChecks], ['distribution', distributionChecks], ['failover', failoverChecks], ['rate-limit', rateLimitChecks],
  ];
  const results: CheckResult[] = [];
  for (const [name, fn] of groups) if (!only || only.includes(name)) results.push(...(await fn(ctx)));
  for (const l of model.bypassed ?? []) {
    if (!results.some((r) => r.layer === l)) results.push({ layer: l, check: 'layer', name: `${l} layer`, status: 'not-run', reason: `${l} was bypassed (--bypass ${l})`, durationMs: 0 });
  }
  return results;
}

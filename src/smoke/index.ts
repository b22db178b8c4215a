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
import { echoBehindEntry, entryGroups, entryNotRun, entryState, noDriver, type EntryTarget } from './entry.js';

export type { CheckResult } from './context.js';

import type { CheckGroup } from './groups.js';

export { CHECK_GROUPS, type CheckGroup } from './groups.js';

/**
 * Run the checks the model implies against a running stack. Order matters: failover stops and restarts instances,
 * and the rate-limit probes spend a whole window's budget, so they come last.
 */
export async function runSmoke(model: Model, state: StackState, driver: Driver, env: Env, only?: CheckGroup[]): Promise<CheckResult[]> {
  const ctx = await new SmokeContext(model, state, driver, env).init();
  return runGroups(ctx, only);
}

/**
 * Smoke a deployed stack (staging, production) through its entry only: the checks a client can observe there run;
 * those that need per-instance access (distribution, failover, the cache's and static files' backend counts) are
 * not run, with the reason, and so are the checks that read the echo backend's answer when the services are not it.
 */
export async function runEntrySmoke(model: Model, spec: string, entry: EntryTarget, env: Env, only?: CheckGroup[]): Promise<{ state: StackState; results: CheckResult[] }> {
  const state = entryState(model, spec, entry);
  const ctx = new SmokeContext(model, state, noDriver(), env);
  ctx.entryOnly = true;
  await ctx.init();
  const echo = await echoBehindEntry(ctx);
  const groups = entryGroups(echo).filter((g) => !only || only.includes(g));
  return { state, results: [...(await runGroups(ctx, groups)), ...entryNotRun(model, echo, only)] };
}

async function runGroups(ctx: SmokeContext, only?: CheckGroup[]): Promise<CheckResult[]> {
  const model = ctx.model;
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

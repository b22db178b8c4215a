import type { Model, RateLimitPolicy } from '../../model/types.js';
import type { Finding, Rule } from '../types.js';

const WINDOWS = ['second', 'minute', 'hour'] as const;

/** Header names that carry the credential a consumer-keyed limit counts by. */
function credentialHeaders(model: Model): string[] {
  const names: string[] = [];
  for (const r of model.routes) {
    const a = r.auth?.policy;
    if (a?.type === 'key') names.push(...a.keyNames);
    if (a?.type === 'jwt') names.push(a.header);
  }
  return names.map((n) => n.toLowerCase());
}

/** Does the load balancer keep one client (as the limit counts it) on one gateway instance? */
function affinity(model: Model, rl: RateLimitPolicy): boolean {
  const lb = model.loadBalancer?.settings;
  // A per-route counter sums every client; no client affinity keeps it on one instance.
  if (!lb || rl.by === 'route') return false;
  if (lb.sticky || lb.algorithm === 'source') return true;
  return lb.algorithm === 'header' && rl.by === 'consumer' && credentialHeaders(model).includes(lb.hashHeader!.toLowerCase());
}

/** How many times the declared limit one client can reach: the instance count, or sum/max of the weights. */
function multiplier(model: Model): number {
  const gw = model.gateway!;
  const weights = model.loadBalancer?.settings.weights?.filter((w) => w > 0);
  if (!weights?.length) return gw.instances;
  return weights.reduce((a, b) => a + b, 0) / Math.max(...weights);
}

const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));

export const rateLimitLocalMultiInstance: Rule = {
  id: 'rate-limit-local-multi-instance',
  defaultSeverity: 'warning',
  title: 'A local rate limit is counted separately on every gateway instance',
  rationale:
    'With policy "local" each Kong instance keeps its own counters in memory. Behind a load balancer that spreads one client ' +
    "over N gateway instances (round robin, least connections, random, URI hashing), every instance allows the full limit, so " +
    'the client really gets about N times the declared limit (with weights: the sum of the weights divided by the largest), ' +
    'and the limit moves whenever an instance is added or removed.',
  fix:
    'Use rateLimit.policy: redis (with redis.host) so all instances share one counter; or keep each client on one instance ' +
    '(loadBalancer.algorithm: source, or header hashing on the credential header) and accept that a failover resets its counter; ' +
    'a limit by route needs redis.',
  check({ model }) {
    const gw = model.gateway;
    if (!gw || gw.instances < 2) return [];
    const factor = multiplier(model);
    if (factor <= 1) return [];
    const seen = new Map<string, Finding>();
    for (const r of model.routes) {
      const applied = r.rateLimit;
      if (!applied || applied.policy.policy !== 'local' || affinity(model, applied.policy)) continue;
      const key = applied.origin.path.join('.');
      if (seen.has(key)) continue;
      const rl = applied.policy;
      const windows = WINDOWS.filter((w) => rl[w] !== undefined);
      const declared = windows.map((w) => `${rl[w]}/${w}`).join(' and ');
      const effective = windows.map((w) => `${fmt(rl[w]! * factor)}/${w}`).join(' and ');
      const lb = model.loadBalancer;
      const spread = lb ? `behind a ${lb.settings.algorithm} load balancer` : 'reached independently';
      seen.set(key, {
        path: applied.origin.path,
        message: `rate limit ${declared} by ${rl.by} is counted separately on each of ${gw.instances} gateway instances ${spread}: ` +
          `the effective limit is about ${effective}`,
      });
    }
    return [...seen.values()];
  },
};

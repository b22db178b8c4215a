import type { Route } from '../../model/types.js';
import { sleep } from '../../runtime/health.js';
import type { CheckResult, SmokeContext } from '../context.js';
import { timed, windowMs } from '../context.js';
import { requestFor, winningRoute } from '../sample.js';

const MAX_REQUESTS = 200;

function limitOf(r: Route): { limit: number; period: string } {
  const rl = r.rateLimit!.policy;
  if (rl.second !== undefined) return { limit: rl.second, period: 'Second' };
  if (rl.minute !== undefined) return { limit: rl.minute, period: 'Minute' };
  return { limit: rl.hour!, period: 'Hour' };
}

/** N requests pass, the next is refused with 429 and rate-limit headers; per-consumer limits are independent. */
export async function rateLimitChecks(ctx: SmokeContext): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  if (!ctx.model.chain.includes('gateway')) {
    if (ctx.model.bypassed?.includes('gateway') && ctx.model.routes.some((r) => r.rateLimit === undefined))
      out.push({ layer: 'gateway', check: 'rate-limit', name: 'rate limits', status: 'not-run', reason: 'the gateway layer was bypassed', durationMs: 0 });
    return out;
  }
  const seen = new Set<string>();
  for (const r of ctx.model.routes) {
    if (!r.rateLimit) continue;
    const key = JSON.stringify(r.rateLimit.policy);
    if (seen.has(key)) continue;
    seen.add(key);
    const shape = requestFor(r, 'edgegen-smoke-ratelimit');
    if (!shape || winningRoute(ctx.model, shape) !== r) continue;
    const { limit, period } = limitOf(r);
    const rl = r.rateLimit.policy;
    const gateways = ctx.model.gateway!.instances;
    const spread = rl.policy === 'local' && gateways > 1 && ctx.model.chain[0] === 'loadBalancer' ? gateways : 1;
    const consumers = r.auth ? ctx.consumers.filter((c) => ctx.credentials(r, c)) : [{ name: undefined as unknown as string }];
    const [first, second] = consumers;
    out.push(await timed('gateway', 'rate-limit', `route ${r.name}: ${limit}/${period.toLowerCase()} by ${rl.by}`, async () => {
      if (!first) return { status: 'not-run', reason: 'no consumer has a credential for this route' };
      if (limit * spread > MAX_REQUESTS) return { status: 'not-run', reason: `the limit (${limit * spread} per ${period.toLowerCase()}) is too high to exhaust in a smoke run` };
      // Start well inside a window so the count is not reset halfway.
      const w = windowMs(r);
      if (w > 1000 && Date.now() % w > w - 15_000) await sleep(w - (Date.now() % w) + 200);
      const creds = r.auth ? ctx.credentials(r, first)! : {};
      const before = ctx.spent(r, first.name);
      let passed = 0;
      let refused: Awaited<ReturnType<SmokeContext['send']>> | undefined;
      let req = ctx.request(shape, creds);
      let fresh = false;
      for (let i = 0; i < limit * spread + 1 - before && !refused; i++) {
        req = ctx.request(shape, creds);
        const res = await ctx.send(req);
        // Refused before anything passed: an earlier run spent this window; start over in the next one (once).
        if (res.status === 429 && passed === 0 && before === 0 && !fresh && w <= 60_000) {
          fresh = true;
          await sleep(w - (Date.now() % w) + 200);
          i = -1;
          continue;
        }
        if (res.status === 429) refused = res;
        else if (res.status >= 200 && res.status < 300) { passed++; ctx.spend(r, first.name, res); }
        else return { status: 'fail', expected: `200 until the limit, then 429`, observed: `${res.status || res.error} after ${passed} passed`, reproduce: ctx.curl(req) };
      }
      const total = before + passed;
      const effective = spread > 1 ? ` (local policy on ${spread} gateway instances: up to ${limit * spread})` : '';
      if (!refused) return { status: 'fail', expected: `429 after ${limit}${effective}`, observed: `${total} requests passed, none refused`, reproduce: ctx.curl(req) };
      const h = refused.headers;
      const headersOk = h['retry-after'] !== undefined && (h[`x-ratelimit-limit-${period.toLowerCase()}`] !== undefined || h['ratelimit-limit'] !== undefined);
      const inRange = total >= limit && total <= limit * spread;
      return {
        status: inRange && headersOk ? 'pass' : 'fail',
        expected: `${limit} pass then 429 with Retry-After and rate-limit headers${effective}`,
        observed: `effective limit ${total}; 429 with Retry-After=${h['retry-after'] ?? 'missing'}, X-RateLimit-Limit-${period}=${h[`x-ratelimit-limit-${period.toLowerCase()}`] ?? 'missing'}`,
        reproduce: ctx.curl(req),
      };
    }));
    if (rl.by === 'consumer' && first && second) {
      out.push(await timed('gateway', 'rate-limit', `route ${r.name}: consumers are limited independently`, async () => {
        if (ctx.remaining(r, second.name) < 1) return { status: 'not-run', reason: `consumer ${second.name} has no requests left in this window` };
        const req = ctx.request(shape, ctx.credentials(r, second)!);
        const res = await ctx.send(req);
        ctx.spend(r, second.name, res);
        return { status: res.status === 200 ? 'pass' : 'fail', expected: `200 for ${second.name} while ${first.name} is limited`, observed: String(res.status || res.error), reproduce: ctx.curl(req) };
      }));
    }
  }
  return out;
}

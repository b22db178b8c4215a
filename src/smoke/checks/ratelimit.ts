import { randomBytes } from 'node:crypto';
import type { Route } from '../../model/types.js';
import { sleep } from '../../runtime/health.js';
import type { CheckResult, SmokeContext } from '../context.js';
import { CLIENT, limitedPerIp, LIMIT_PROBE_CLIENT, timed, windowMs } from '../context.js';
import type { SmokeResponse } from '../http.js';
import { servedBy } from '../observe.js';
import { requestFor, winningRoute, type RequestShape } from '../sample.js';

const MAX_REQUESTS = 200;

function limitOf(r: Route): { limit: number; period: string } {
  const rl = r.rateLimit!.policy;
  if (rl.second !== undefined) return { limit: rl.second, period: 'Second' };
  if (rl.minute !== undefined) return { limit: rl.minute, period: 'Minute' };
  return { limit: rl.hour!, period: 'Hour' };
}

/** The client address a backend was told about (X-Real-IP, else the first X-Forwarded-For entry). */
function clientSeen(res: SmokeResponse): string | undefined {
  const h = (res.json?.headers ?? {}) as Record<string, string>;
  return h['x-real-ip'] ?? h['x-forwarded-for']?.split(',')[0].trim();
}

const marked = (shape: RequestShape, marker: string): RequestShape => ({ ...shape, path: `${shape.path}${shape.path.includes('?') ? '&' : '?'}edgegen-smoke-rl=${marker}` });

/**
 * N requests pass, the next is refused with 429 and rate-limit headers; per-consumer limits are independent, and so
 * are per-IP limits: those are probed from a second loopback address (127.0.0.2), so the budget of 127.0.0.1 that
 * every other check uses is never spent here, and then a request from another address still passes.
 */
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
    const perIp = limitedPerIp(r);
    const from = perIp && ctx.aliases ? LIMIT_PROBE_CLIENT : CLIENT;
    let refusedMarker: string | undefined;
    out.push(await timed('gateway', 'rate-limit', `route ${r.name}: ${limit}/${period.toLowerCase()} by ${rl.by}${from !== CLIENT ? ` (probed from ${from})` : ''}`, async () => {
      if (!first) return { status: 'not-run', reason: 'no consumer has a credential for this route' };
      if (limit * spread > MAX_REQUESTS) return { status: 'not-run', reason: `the limit (${limit * spread} per ${period.toLowerCase()}) is too high to exhaust in a smoke run` };
      // Start well inside a window so the count is not reset halfway.
      const w = windowMs(r);
      if (w > 1000 && Date.now() % w > w - 15_000) await sleep(w - (Date.now() % w) + 200);
      const creds = r.auth ? ctx.credentials(r, first)! : {};
      const before = ctx.spent(r, first.name, from);
      let passed = 0;
      let refused: SmokeResponse | undefined;
      let req = ctx.request(shape, creds, undefined, from);
      let fresh = false;
      let seenAs: string | undefined;
      const run = randomBytes(4).toString('hex');
      for (let i = 0; i < limit * spread + 1 - before && !refused; i++) {
        const marker = `${run}-${i}-`;
        req = { ...ctx.request(marked(shape, marker), creds, undefined, from), probe: true };
        const res = await ctx.send(req);
        seenAs ??= clientSeen(res);
        // Refused before anything passed: an earlier run spent this window; start over in the next one (once).
        if (res.status === 429 && passed === 0 && before === 0 && !fresh && w <= 60_000) {
          fresh = true;
          await sleep(w - (Date.now() % w) + 200);
          i = -1;
          continue;
        }
        if (res.status === 429) {
          refused = res;
          refusedMarker = marker;
        } else if (res.status >= 200 && res.status < 300) {
          passed++;
          ctx.spend(r, first.name, res);
        } else return { status: 'fail', expected: `200 until the limit, then 429`, observed: `${res.status || res.error} after ${passed} passed`, reproduce: ctx.curl(req) };
      }
      const total = before + passed;
      const effective = spread > 1 ? ` (local policy on ${spread} gateway instances: up to ${limit * spread})` : '';
      if (!refused) return { status: 'fail', expected: `429 after ${limit}${effective}`, observed: `${total} requests passed, none refused`, reproduce: ctx.curl(req) };
      const h = refused.headers;
      const headersOk = h['retry-after'] !== undefined && (h[`x-ratelimit-limit-${period.toLowerCase()}`] !== undefined || h['ratelimit-limit'] !== undefined);
      const inRange = total >= limit && total <= limit * spread;
      // The engines must count the probe as its own client: the backend is told the address it was sent from.
      const asSent = from === CLIENT || seenAs === undefined || seenAs === from;
      return {
        status: inRange && headersOk && asSent ? 'pass' : 'fail',
        expected: `${limit} pass then 429 with Retry-After and rate-limit headers${effective}${from !== CLIENT ? `; the backend sees the client as ${from}` : ''}`,
        observed: `effective limit ${total}; 429 with Retry-After=${h['retry-after'] ?? 'missing'}, X-RateLimit-Limit-${period}=${h[`x-ratelimit-limit-${period.toLowerCase()}`] ?? 'missing'}${perIp ? `; backend saw the client as ${seenAs ?? '(not told)'}` : ''}`,
        reproduce: ctx.curl(req),
      };
    }));
    if (perIp && first) out.push(await timed('gateway', 'rate-limit', `route ${r.name}: client addresses are limited independently`, () => otherClient(ctx, r, shape, r.auth ? ctx.credentials(r, first)! : {}, first.name, from, refusedMarker, spread > 1)));
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

/**
 * While `limited` is refused, a request from another client address passes. With several gateway instances counting
 * locally, that request must reach the instance that refused (seen in the gateways' access logs), or the pass would
 * prove nothing: addresses are tried until one lands there.
 */
async function otherClient(ctx: SmokeContext, r: Route, shape: RequestShape, creds: Record<string, string>, consumer: string | undefined,
  limited: string, refusedMarker: string | undefined, local: boolean): Promise<Omit<CheckResult, 'layer' | 'check' | 'name' | 'durationMs'>> {
  if (limited === CLIENT) return { status: 'not-run', reason: `no second client address to send from: ${ctx.noAliases}` };
  if (!refusedMarker) return { status: 'not-run', reason: `${limited} was not refused` };
  const refusedBy = local ? await servedBy(ctx.units('gateway'), refusedMarker) : [];
  if (local && refusedBy.length !== 1) return { status: 'not-run', reason: 'the gateway access logs do not show which instance refused the probe' };
  const tried: string[] = [];
  for (let attempt = 0; attempt < 8; attempt++) {
    const next = ctx.otherClient(r, [...tried, limited]);
    if (!next) break;
    tried.push(next);
    const marker = `other-${randomBytes(4).toString('hex')}`;
    const req = { ...ctx.request(marked(shape, marker), creds, undefined, next), probe: true };
    const res = await ctx.send(req);
    ctx.spend(r, consumer, res);
    if (local && !(await servedBy(ctx.units('gateway'), marker)).includes(refusedBy[0])) continue;
    const at = local ? ` at ${refusedBy[0]}, which refused ${limited}` : '';
    return { status: res.status === 200 ? 'pass' : 'fail', expected: `200 for ${next}${at} while ${limited} is limited`, observed: `${res.status || res.error} for ${next}${at}`, reproduce: ctx.curl(req) };
  }
  return { status: 'not-run', reason: `no other client address reached ${refusedBy[0]} (tried ${tried.join(', ') || 'none'})` };
}

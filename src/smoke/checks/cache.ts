import { randomBytes } from 'node:crypto';
import type { Route } from '../../model/types.js';
import type { CheckResult, SmokeContext } from '../context.js';
import { timed } from '../context.js';
import { requestFor, winningRoute, type RequestShape } from '../sample.js';

function cacheStatus(h: Record<string, string | string[] | undefined>, header: string): string {
  return String(h[header.toLowerCase()] ?? 'absent').toUpperCase();
}

async function repeat(ctx: SmokeContext, r: Route, shape: RequestShape, times: number) {
  const consumer = ctx.consumerFor(r);
  const creds = consumer ? ctx.credentials(r, consumer)! : {};
  const statuses: string[] = [];
  const header = r.cache?.policy.statusHeader ?? 'X-Cache-Status';
  let req = ctx.request(shape, creds);
  for (let i = 0; i < times; i++) {
    req = ctx.request(shape, creds);
    const res = await ctx.send(req);
    ctx.spend(r, consumer?.name, res);
    statuses.push(`${res.status}:${cacheStatus(res.headers, header)}`);
  }
  return { statuses, req, consumer };
}

/** Cached routes go MISS then HIT with one backend request per caching instance; uncached routes and methods reach the backend every time. */
export async function cacheChecks(ctx: SmokeContext): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  const cached = ctx.model.routes.filter((r) => r.cache && r.pathType === 'prefix');
  const uncached = ctx.model.routes.filter((r) => !r.cache && r.pathType === 'prefix' && cached.length > 0);
  for (const r of cached) {
    const layer = r.cache!.layer;
    const shape = requestFor(r, `edgegen-smoke-cache-${randomBytes(4).toString('hex')}`);
    if (!shape || winningRoute(ctx.model, shape) !== r) continue;
    const instances = ctx.model[layer]?.instances ?? 1;
    // Through a gateway the proxy pool is hashed by path; a load balancer straight to proxies may round-robin.
    const pinned = layer === 'gateway' || ctx.model.chain.includes('gateway') || instances === 1;
    const tries = pinned ? 2 : instances + 1;
    out.push(await timed(layer, 'cache', `route ${r.name}: GET twice -> MISS then HIT`, async () => {
      const consumer = ctx.consumerFor(r);
      if (r.auth && !consumer) return { status: 'not-run', reason: 'no consumer has a credential for this route' };
      if (ctx.remaining(r, consumer?.name) < tries) return { status: 'not-run', reason: `the rate limit leaves fewer than ${tries} requests in this window` };
      const { statuses, req } = await repeat(ctx, r, shape, tries);
      const hits = await ctx.backendHits(r.service.name, shape.path);
      const ok = statuses[0].endsWith('MISS') && statuses.some((s) => s === '200:HIT') && hits <= (pinned ? 1 : instances);
      return { status: ok ? 'pass' : 'fail', expected: `MISS then HIT, backend saw ${pinned ? 1 : `at most ${instances}`}`, observed: `${statuses.join(', ')}; backend saw ${hits}`, reproduce: ctx.curl(req) };
    }));
  }
  for (const r of uncached.slice(0, 2)) {
    const shape = requestFor(r, `edgegen-smoke-nocache-${randomBytes(4).toString('hex')}`);
    if (!shape || winningRoute(ctx.model, shape) !== r) continue;
    out.push(await timed(ctx.model.proxy ? 'proxy' : 'gateway', 'cache', `route ${r.name}: not cached`, async () => {
      const consumer = ctx.consumerFor(r);
      if (r.auth && !consumer) return { status: 'not-run', reason: 'no consumer has a credential for this route' };
      if (ctx.remaining(r, consumer?.name) < 2) return { status: 'not-run', reason: 'the rate limit leaves fewer than 2 requests in this window' };
      const { statuses, req } = await repeat(ctx, r, shape, 2);
      const hits = await ctx.backendHits(r.service.name, shape.path);
      return { status: hits === 2 && !statuses.some((s) => s.endsWith('HIT')) ? 'pass' : 'fail', expected: 'backend saw both requests, no HIT', observed: `${statuses.join(', ')}; backend saw ${hits}`, reproduce: ctx.curl(req) };
    }));
  }
  return out;
}

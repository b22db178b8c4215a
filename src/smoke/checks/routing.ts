import { randomBytes } from 'node:crypto';
import type { CheckResult, SmokeContext } from '../context.js';
import { timed } from '../context.js';
import { requestFor, winningRoute } from '../sample.js';

/** Every route: a request it matches reaches the service the model says wins it; an unrouted path gets 404. */
export async function routingChecks(ctx: SmokeContext): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  const layer = ctx.model.chain.includes('gateway') ? 'gateway' : ctx.model.chain[ctx.model.chain.length - 1];
  for (const r of [...ctx.model.routes].sort((a, b) => a.specIndex - b.specIndex)) {
    out.push(await timed(layer, 'routing', `route ${r.name} -> ${r.service.name}`, async () => {
      // A fresh path each run: a cache in front must not answer for the route.
      const shape = requestFor(r, `edgegen-smoke-routing-${randomBytes(4).toString('hex')}`);
      if (!shape) return { status: 'not-run', reason: `no sample path could be derived from the regex ${r.path}` };
      const winner = winningRoute(ctx.model, shape)!;
      const consumer = ctx.consumerFor(winner);
      const creds = consumer ? ctx.credentials(winner, consumer)! : {};
      if (winner.auth && !consumer) return { status: 'not-run', reason: `no consumer has a credential for the ${winner.auth.policy.type} auth of route ${winner.name}` };
      const from = ctx.clientFor(winner, [consumer?.name], 1);
      if (!from) return { status: 'not-run', reason: `the rate limit of route ${winner.name} is spent for this window` };
      const req = ctx.request(shape, creds, undefined, from);
      const res = await ctx.send(req);
      ctx.spend(winner, consumer?.name, res);
      const got = res.json?.service;
      const expected = `200 from service ${winner.service.name}${winner !== r ? ` (route ${winner.name} wins this request)` : ''}`;
      return { status: res.status === 200 && got === winner.service.name ? 'pass' : 'fail', expected, observed: `${res.status || res.error} from ${got ?? 'no service'}`, reproduce: ctx.curl(req) };
    }));
  }
  out.push(await timed(layer, 'routing', 'unrouted path -> 404', async () => {
    const shape = { method: 'GET', host: 'localhost', path: '/edgegen-smoke-no-route/x', headers: {} };
    if (winningRoute(ctx.model, shape)) return { status: 'not-run', reason: 'every path is routed (a route matches /)' };
    const req = ctx.request(shape);
    const res = await ctx.send(req);
    return { status: res.status === 404 ? 'pass' : 'fail', expected: '404', observed: String(res.status || res.error), reproduce: ctx.curl(req) };
  }));
  return out;
}

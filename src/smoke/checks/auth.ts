import type { Route } from '../../model/types.js';
import type { CheckResult, SmokeContext } from '../context.js';
import { timed } from '../context.js';
import { requestFor, winningRoute } from '../sample.js';

/** One route per distinct auth policy: no credential and a wrong one get 401, each consumer's credential gets through as that consumer. */
export async function authChecks(ctx: SmokeContext): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  const seen = new Set<string>();
  const routes: Route[] = [];
  for (const r of ctx.model.routes) {
    if (!r.auth) continue;
    const key = JSON.stringify(r.auth.policy);
    if (!seen.has(key)) { seen.add(key); routes.push(r); }
  }
  if (!ctx.model.chain.includes('gateway')) {
    const why = ctx.model.bypassed?.includes('gateway') ? 'the gateway layer was bypassed' : 'the spec has no gateway';
    if (ctx.model.bypassed?.includes('gateway')) out.push({ layer: 'gateway', check: 'auth', name: 'auth', status: 'not-run', reason: why, durationMs: 0 });
    return out;
  }
  for (const r of routes) {
    const shape = requestFor(r, 'edgegen-smoke-auth');
    if (!shape || winningRoute(ctx.model, shape) !== r) continue;
    const auth = r.auth!.policy;
    const name = `route ${r.name} (${auth.type})`;
    out.push(await timed('gateway', 'auth', `${name}: no credential -> 401`, async () => {
      const req = ctx.request(shape);
      const res = await ctx.send(req);
      return { status: res.status === 401 ? 'pass' : 'fail', expected: '401', observed: String(res.status || res.error), reproduce: ctx.curl(req) };
    }));
    out.push(await timed('gateway', 'auth', `${name}: wrong credential -> 401`, async () => {
      const wrong = auth.type === 'key' ? { [auth.keyNames[0]]: 'edgegen-smoke-wrong-key' } : { [auth.header]: 'Bearer e30.e30.c2lnbmF0dXJl' };
      const req = ctx.request(shape, wrong);
      const res = await ctx.send(req);
      return { status: res.status === 401 ? 'pass' : 'fail', expected: '401', observed: String(res.status || res.error), reproduce: ctx.curl(req) };
    }));
    for (const c of ctx.consumers) {
      const creds = ctx.credentials(r, c);
      if (!creds) continue;
      out.push(await timed('gateway', 'auth', `${name}: consumer ${c.name} -> 200 as ${c.name}`, async () => {
        const from = ctx.clientFor(r, [c.name], 1);
        if (!from) return { status: 'not-run', reason: 'the rate limit is spent for this window' };
        const req = ctx.request(shape, creds, undefined, from);
        const res = await ctx.send(req);
        ctx.spend(r, c.name, res);
        const seenAs = (res.json?.headers as Record<string, string> | undefined)?.['x-consumer-username'];
        return { status: res.status === 200 && seenAs === c.name ? 'pass' : 'fail', expected: `200, backend sees X-Consumer-Username: ${c.name}`,
          observed: `${res.status || res.error}, backend saw ${seenAs ?? 'no consumer'}`, reproduce: ctx.curl(req) };
      }));
      if (auth.type === 'jwt') {
        out.push(await timed('gateway', 'auth', `${name}: expired token of ${c.name} -> 401`, async () => {
          const req = ctx.request(shape, ctx.credentials(r, c, { expired: true }));
          const res = await ctx.send(req);
          return { status: res.status === 401 ? 'pass' : 'fail', expected: '401', observed: String(res.status || res.error), reproduce: ctx.curl(req) };
        }));
      }
    }
  }
  return out;
}

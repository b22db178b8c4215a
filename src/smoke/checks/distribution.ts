import { randomBytes } from 'node:crypto';
import type { Service } from '../../model/types.js';
import type { CheckResult, SmokeContext } from '../context.js';
import { backendPath, CLIENT, timed } from '../context.js';
import { proportional, servedCount, shareText } from '../observe.js';
import { requestFor, winningRoute } from '../sample.js';

const N = 20;

/** Where to send traffic meant for a service's instances: straight to the proxy when one is innermost (no gateway policies spent). */
export function serviceBase(ctx: SmokeContext): { base: string; direct: boolean } {
  const inner = ctx.model.chain[ctx.model.chain.length - 1];
  if (inner === 'proxy' && ctx.model.chain.length > 1) {
    const u = ctx.units('proxy')[0];
    const p = ctx.model.proxy!;
    const port = u.ports[0];
    const scheme = p.listen.http !== undefined ? 'http' : 'https';
    return { base: `${scheme}://${port.host}:${port.port}`, direct: true };
  }
  return { base: ctx.entry, direct: false };
}

/**
 * A prefix route to a service that a smoke client can use: preferably uncached, without a rate limit, and passing the
 * path unchanged (so a backend's count for the request path is the route's); otherwise any usable one (see backendPath).
 */
export function routeFor(ctx: SmokeContext, s: Service) {
  const usable = ctx.model.routes.filter((r) => r.service === s && r.pathType === 'prefix' && (!r.auth || ctx.consumers.some((c) => ctx.credentials(r, c))));
  const score = (r: (typeof usable)[number]) => (r.cache ? 4 : 0) + (r.rateLimit ? 2 : 0) + (r.stripPrefix || r.rewrite ? 1 : 0);
  return [...usable].sort((a, b) => score(a) - score(b))[0];
}

/** Load balancer across the next layer, and each service's instances, as their algorithms say. */
export async function distributionChecks(ctx: SmokeContext): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  const lb = ctx.model.loadBalancer;
  const next = lb ? ctx.model[ctx.model.chain[1]] : undefined;
  if (lb && next && next.instances > 1) {
    const s = lb.settings;
    out.push(await timed('loadBalancer', 'distribution', `${s.algorithm}${s.sticky ? ' + sticky cookie' : ''} across ${next.instances} ${next.kind} instances`, async () => {
      const marker = `/edgegen-smoke-lb-${randomBytes(4).toString('hex')}`;
      let cookie: string | undefined;
      let req = ctx.request({ method: 'GET', host: 'localhost', path: marker, headers: {} });
      for (let i = 0; i < N; i++) {
        req = ctx.request({ method: 'GET', host: 'localhost', path: marker, headers: {} }, cookie ? { cookie } : {});
        const res = await ctx.send(req);
        const set = res.headers['set-cookie']?.find((c) => s.sticky && c.startsWith(`${s.sticky.cookie}=`));
        if (set) cookie = set.split(';')[0];
      }
      // Access logs are buffered (flushed every second).
      await new Promise((r) => setTimeout(r, 1500));
      const units = ctx.units(next.kind);
      const counts = units.map((u) => servedCount(u, marker));
      const one = s.sticky || ['source', 'uri', 'header'].includes(s.algorithm);
      const ok = one ? counts.filter((c) => c > 0).length === 1 && counts.reduce((a, b) => a + b, 0) === N
        : s.algorithm === 'random' ? counts.every((c) => c > 0) : proportional(counts, s.weights ?? counts.map(() => 1));
      return { status: ok ? 'pass' : 'fail', expected: one ? `all ${N} to one instance` : s.algorithm === 'random' ? 'every instance gets some' : `${N} spread ${s.weights ? `by weights ${s.weights.join(':')}` : 'evenly'}`,
        observed: shareText(counts, units.map((u) => u.id)), reproduce: ctx.curl(req) };
    }));
  }
  const { base, direct } = serviceBase(ctx);
  for (const svc of ctx.model.services) {
    const active = svc.instances.filter((i) => !i.backup);
    if (active.length < 2) continue;
    const r = routeFor(ctx, svc);
    if (!r) continue;
    out.push(await timed('services', 'distribution', `${svc.algorithm} across ${svc.name}'s ${active.length} instances`, async () => {
      const shape = requestFor(r, `edgegen-smoke-dist-${randomBytes(4).toString('hex')}`);
      if (!shape || winningRoute(ctx.model, shape) !== r) return { status: 'not-run', reason: 'no request path reaches only this route' };
      const consumer = ctx.consumerFor(r);
      const from = direct ? CLIENT : ctx.clientFor(r, [consumer?.name], N);
      if (!from) return { status: 'not-run', reason: `route ${r.name}'s rate limit leaves fewer than ${N} requests` };
      let req = ctx.request(shape, {}, base);
      for (let i = 0; i < N; i++) {
        // A fresh query string per request: a cache in front must not answer for the backends.
        req = ctx.request({ ...shape, path: `${shape.path}?edgegen-smoke=${i}` }, direct || !consumer ? {} : ctx.credentials(r, consumer)!, base, from);
        const res = await ctx.send(req);
        if (!direct) ctx.spend(r, consumer?.name, res);
      }
      // A stripPrefix or rewrite route: the backends count the path they receive, not the one sent.
      const seenPath = backendPath(r, shape.path, ctx.model);
      const units = ctx.units('service').filter((u) => u.service === svc.name);
      const counts = await Promise.all(units.map(async (u) => (await ctx.echo(u, 'stats')).byPath[seenPath] ?? 0));
      const one = svc.algorithm === 'iphash' || svc.algorithm === 'hash';
      const weights = svc.instances.map((i) => (i.backup ? 0 : i.weight));
      const ok = one ? counts.filter((c) => c > 0).length === 1 && counts.reduce((a, b) => a + b, 0) === N
        : svc.algorithm === 'random' ? counts.every((c, i) => (weights[i] > 0 ? c > 0 : c === 0)) : proportional(counts, weights);
      return { status: ok ? 'pass' : 'fail', expected: one ? `all ${N} to one instance` : `${N} spread by weights ${weights.join(':')}`,
        observed: shareText(counts, units.map((u) => u.id)), reproduce: ctx.curl(req) };
    }));
  }
  return out;
}

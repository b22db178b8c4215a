import { randomBytes } from 'node:crypto';
import type { Route } from '../../model/types.js';
import type { CheckResult, SmokeConsumer, SmokeContext } from '../context.js';
import { backendPath, timed } from '../context.js';
import type { SmokeResponse } from '../http.js';
import { requestFor, winningRoute, type RequestShape } from '../sample.js';

function cacheStatus(h: Record<string, string | string[] | undefined>, header: string): string {
  return String(h[header.toLowerCase()] ?? 'absent').toUpperCase();
}

/**
 * How many caching instances one client's requests for one path can reach: 1 when the layer in front pins a path or
 * a client to one instance (Kong hashes its proxy pool on the path when the proxies cache; HAProxy source or uri
 * hashing; the entry layer is reached on one instance), otherwise every instance (round robin), each with its own
 * cache: a MISS on each before a HIT.
 */
export function cacheSpread(ctx: SmokeContext, layer: 'gateway' | 'proxy'): number {
  const instances = ctx.model[layer]?.instances ?? 1;
  const at = ctx.model.chain.indexOf(layer);
  if (instances === 1 || at <= 0) return 1;
  const before = ctx.model.chain[at - 1];
  if (before === 'loadBalancer') return ['source', 'uri'].includes(ctx.model.loadBalancer!.settings.algorithm) ? 1 : instances;
  if (before === 'gateway') return ctx.model.gateway!.settings.engine === 'kong' ? 1 : instances;
  return instances;
}

/** The consumer name a backend response (fresh or cached) was made for. */
function madeFor(res: SmokeResponse): string | undefined {
  return (res.json?.headers as Record<string, string> | undefined)?.['x-consumer-username'];
}

/**
 * `times` requests for one path as each consumer (or none), each stream from its client address; statuses per
 * consumer. Interleaved (A, B, A, B) when one cache answers them all; otherwise consumer after consumer, so the later
 * ones reach caches that already hold the earlier ones' answers (what a cache shared across consumers would serve).
 */
async function rounds(ctx: SmokeContext, r: Route, shape: RequestShape, who: (SmokeConsumer | undefined)[], times: number, from: string[], interleave = true) {
  const header = r.cache?.policy.statusHeader ?? 'X-Cache-Status';
  const seen = who.map(() => [] as { status: string; madeFor?: string }[]);
  const order = interleave ? Array.from({ length: times }, () => [...who.keys()]).flat() : [...who.keys()].flatMap((k) => Array<number>(times).fill(k));
  let req = ctx.request(shape, {}, undefined, from[0]);
  for (const k of order) {
    const c = who[k];
    req = ctx.request(shape, c ? ctx.credentials(r, c)! : {}, undefined, from[k]);
    const res = await ctx.send(req);
    ctx.spend(r, c?.name, res);
    seen[k].push({ status: `${res.status}:${cacheStatus(res.headers, header)}`, madeFor: madeFor(res) });
  }
  return { seen, req };
}

/** Backend requests for the path a route sends a request path to, over all the service's instances. */
function hits(ctx: SmokeContext, r: Route, shape: RequestShape): Promise<number> {
  return ctx.backendHits(r.service.name, backendPath(r, shape.path, ctx.model));
}

export interface CacheProbe { route: Route; shape?: RequestShape; perConsumer: boolean; reason?: string }

/** Why the echo backend's answers (200, application/json) cannot be cached under a policy, if they cannot. */
function uncacheable(r: Route): string | undefined {
  const p = r.cache!.policy;
  if (!p.statuses.includes(200)) return `the policy caches statuses ${p.statuses.join(', ')}, and the echo backend answers 200`;
  if (r.cache!.layer === 'gateway' && !p.contentTypes.some((t) => t.toLowerCase() === 'application/json'))
    return `the policy caches ${p.contentTypes.join(', ')}, and the echo backend answers application/json`;
  if (!p.key.some((k) => k === 'uri' || k === 'args') && r.cache!.layer === 'proxy') return 'the cache key holds no part of the URL: a smoke request cannot make a fresh entry';
  return undefined;
}

/**
 * One route per distinct cache policy (and layer, and shared or per consumer), in precedence order, prefix routes
 * first (their paths take a unique suffix); a policy no route can be probed on gets the reason.
 */
export function cachePlan(ctx: SmokeContext): CacheProbe[] {
  const byKey = new Map<string, CacheProbe>();
  const routes = [...ctx.model.routes].sort((a, b) => Number(a.pathType !== 'prefix') - Number(b.pathType !== 'prefix'));
  for (const r of routes) {
    if (!r.cache) continue;
    const holders = r.auth ? ctx.consumers.filter((c) => ctx.credentials(r, c)) : [];
    const perConsumer = holders.length >= 2;
    const key = `${r.cache.layer}|${JSON.stringify(r.cache.policy)}|${r.auth ? 'auth' : 'open'}`;
    if (byKey.has(key) && !byKey.get(key)!.reason) continue;
    const shape = requestFor(r, `edgegen-smoke-cache-${randomBytes(4).toString('hex')}`);
    const reason = r.auth && holders.length === 0 ? 'no consumer has a credential for this route'
      : !shape || winningRoute(ctx.model, shape) !== r ? 'no request path reaches only this route' : uncacheable(r);
    if (!byKey.has(key) || !reason) byKey.set(key, { route: r, shape, perConsumer, reason });
  }
  return [...byKey.values()];
}

/**
 * Each distinct cache policy goes MISS then HIT with one backend request per caching instance; a cache keyed per
 * consumer is asked by two consumers (a MISS each, then a HIT each, every answer made for its own consumer);
 * uncached routes and methods reach the backend every time.
 */
export async function cacheChecks(ctx: SmokeContext): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const { route: r, shape, perConsumer, reason } of cachePlan(ctx)) {
    const layer = r.cache!.layer;
    if (reason || !shape) {
      out.push({ layer, check: 'cache', name: `route ${r.name}: cached`, status: 'not-run', reason: reason ?? 'no sample path', durationMs: 0 });
      continue;
    }
    const spread = cacheSpread(ctx, layer);
    const tries = spread + 1;
    const who = perConsumer ? ctx.consumers.filter((c) => ctx.credentials(r, c)).sort((a, b) => ctx.remaining(r, b.name) - ctx.remaining(r, a.name)).slice(0, 2)
      : [r.auth ? ctx.consumerFor(r) : undefined];
    const names = who.map((c) => c?.name);
    const title = perConsumer ? `route ${r.name}: GET as ${names.join(' and ')} -> a MISS each, then a HIT each` : `route ${r.name}: GET twice -> MISS then HIT`;
    out.push(await timed(layer, 'cache', title, async () => {
      const from = ctx.clientsFor(r, names, tries);
      if (!from) return { status: 'not-run', reason: `the rate limit leaves fewer than ${tries * who.length} requests in this window` };
      const before = await hits(ctx, r, shape);
      const { seen, req } = await rounds(ctx, r, shape, who, tries, from, spread === 1);
      const backend = (await hits(ctx, r, shape)) - before;
      const most = spread * who.length;
      const own = seen.every((s, k) => !perConsumer || s.every((x) => x.madeFor === names[k]));
      const ok = seen.every((s) => s[0].status.endsWith('MISS') && s.some((x) => x.status === '200:HIT')) && own && backend >= who.length && backend <= most;
      const spreadText = spread > 1 ? `, up to one MISS on each of the ${spread} ${layer} instances the requests can reach` : '';
      const observed = seen.map((s, k) => `${names[k] ?? 'anonymous'}: ${s.map((x) => x.status + (perConsumer && x.madeFor !== names[k] ? ` (made for ${x.madeFor ?? 'nobody'})` : '')).join(', ')}`).join('; ');
      return { status: ok ? 'pass' : 'fail',
        expected: `${perConsumer ? 'each consumer: ' : ''}MISS then HIT${spreadText}${perConsumer ? ', every answer made for its own consumer' : ''}; backend saw ${most === who.length ? most : `${who.length} to ${most}`}`,
        observed: `${observed}; backend saw ${backend}`, reproduce: ctx.curl(req) };
    }));
  }
  const uncached = ctx.model.routes.filter((r) => !r.cache && r.pathType === 'prefix');
  if (!ctx.model.routes.some((r) => r.cache)) return out;
  for (const r of uncached.slice(0, 2)) {
    const shape = requestFor(r, `edgegen-smoke-nocache-${randomBytes(4).toString('hex')}`);
    if (!shape || winningRoute(ctx.model, shape) !== r) continue;
    out.push(await timed(ctx.model.proxy ? 'proxy' : 'gateway', 'cache', `route ${r.name}: not cached`, async () => {
      const consumer = ctx.consumerFor(r);
      if (r.auth && !consumer) return { status: 'not-run', reason: 'no consumer has a credential for this route' };
      const from = ctx.clientFor(r, [consumer?.name], 2);
      if (!from) return { status: 'not-run', reason: 'the rate limit leaves fewer than 2 requests in this window' };
      const { seen, req } = await rounds(ctx, r, shape, [consumer], 2, [from]);
      const backend = await hits(ctx, r, shape);
      const statuses = seen[0].map((x) => x.status);
      return { status: backend === 2 && !statuses.some((s) => s.endsWith('HIT')) ? 'pass' : 'fail', expected: 'backend saw both requests, no HIT', observed: `${statuses.join(', ')}; backend saw ${backend}`, reproduce: ctx.curl(req) };
    }));
  }
  return out;
}

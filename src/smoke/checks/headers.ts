import { randomBytes } from 'node:crypto';
import type { Route } from '../../model/types.js';
import type { CheckResult, SmokeContext } from '../context.js';
import { CLIENT, timed } from '../context.js';
import { requestFor, winningRoute } from '../sample.js';

/**
 * A route that is cheapest to use for a layer-wide check: no rate limit, no auth if possible, and uncached (the cache
 * checks need the budget of cached routes); among limited ones, the one with the most requests left.
 */
export function cheapestRoute(ctx: SmokeContext): Route | undefined {
  const usable = ctx.model.routes.filter((r) => r.pathType === 'prefix' && (!r.auth || ctx.consumers.some((c) => ctx.credentials(r, c))));
  const cost = (r: Route) => (r.rateLimit ? 4 : 0) + (r.auth ? 2 : 0) + (r.cache ? 1 : 0);
  const left = (r: Route) => Math.max(...(r.auth ? ctx.consumers.filter((c) => ctx.credentials(r, c)).map((c) => c.name) : [undefined]).map((c) => ctx.remaining(r, c)));
  return [...usable].sort((a, b) => cost(a) - cost(b) || (left(b) - left(a) || 0))[0];
}

/** Security headers, X-Forwarded-For that the client cannot forge, and one request id from the edge to the backend. */
export async function headerChecks(ctx: SmokeContext): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  const r = cheapestRoute(ctx);
  if (!r) return out;
  const shape = requestFor(r, `edgegen-smoke-headers-${randomBytes(4).toString('hex')}`);
  if (!shape || winningRoute(ctx.model, shape) !== r) return out;
  const consumer = ctx.consumerFor(r);
  const from = ctx.clientFor(r, [consumer?.name], 2);
  if (!from) return [{ layer: ctx.model.chain[0], check: 'headers', name: 'headers', status: 'not-run', reason: 'the rate limit is spent for this window', durationMs: 0 }];
  const rid = `edgegen-smoke-${randomBytes(6).toString('hex')}`;
  const ridHeader = ctx.model.gateway?.settings.correlationId?.header ?? 'X-Request-ID';
  const req = ctx.request(shape, { ...(consumer ? ctx.credentials(r, consumer) : {}), 'X-Forwarded-For': '203.0.113.77', [ridHeader]: rid }, undefined, from);
  const res = await ctx.send(req);
  ctx.spend(r, consumer?.name, res);
  const seen = (res.json?.headers ?? {}) as Record<string, string>;
  const sec = ctx.model.proxy?.settings.securityHeaders;
  if (sec) {
    const want: [string, string][] = [];
    if (sec.contentTypeOptions) want.push(['x-content-type-options', 'nosniff']);
    if (sec.frameOptions) want.push(['x-frame-options', sec.frameOptions]);
    if (sec.referrerPolicy) want.push(['referrer-policy', sec.referrerPolicy]);
    if (sec.contentSecurityPolicy) want.push(['content-security-policy', sec.contentSecurityPolicy]);
    out.push(await timed('proxy', 'headers', 'security headers present', async () => {
      const missing = want.filter(([k, v]) => res.headers[k] !== v).map(([k]) => k);
      return { status: res.status === 200 && missing.length === 0 ? 'pass' : 'fail', expected: want.map(([k, v]) => `${k}: ${v}`).join('; '),
        observed: missing.length ? `${res.status || res.error}; missing or different: ${missing.join(', ')}` : 'all present', reproduce: ctx.curl(req) };
    }));
  }
  out.push(await timed(ctx.model.chain[0], 'headers', 'X-Forwarded-For holds the client, not a value the client sent', async () => {
    const xff = String(seen['x-forwarded-for'] ?? '');
    // The address the request really left from (a refused one is sent again from a fresh address).
    const client = res.from ?? CLIENT;
    const ok = res.status === 200 && xff.split(',')[0].trim() === client && !xff.includes('203.0.113.77');
    return { status: ok ? 'pass' : 'fail', expected: `X-Forwarded-For starts with ${client} and drops the forged 203.0.113.77`, observed: `${res.status || res.error}; backend saw X-Forwarded-For: ${xff || 'absent'}`, reproduce: ctx.curl(req) };
  }));
  out.push(await timed(ctx.model.chain[0], 'headers', 'one request id travels to the backend', async () => {
    const got = seen[ridHeader.toLowerCase()];
    const plain = ctx.request({ ...shape, path: `${shape.path}?edgegen-smoke=rid` }, consumer ? ctx.credentials(r, consumer) : {}, undefined, from);
    const res2 = await ctx.send(plain);
    ctx.spend(r, consumer?.name, res2);
    const generated = ((res2.json?.headers ?? {}) as Record<string, string>)[ridHeader.toLowerCase()];
    const echoed = res2.headers[ridHeader.toLowerCase()];
    const ok = got === rid && Boolean(generated) && (echoed === undefined || echoed === generated);
    return { status: ok ? 'pass' : 'fail', expected: `the backend sees the client's ${ridHeader} unchanged, and a generated one when the client sends none`,
      observed: `sent ${rid}, backend saw ${got ?? 'none'}; without one the backend saw ${generated ?? 'none'}${echoed ? `, client got ${echoed}` : ''}`, reproduce: ctx.curl(req) };
  }));
  return out;
}

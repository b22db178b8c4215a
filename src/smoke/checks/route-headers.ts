import { randomBytes } from 'node:crypto';
import type { HeaderTransform, Route } from '../../model/types.js';
import type { SmokeResponse, SmokeRequest } from '../http.js';
import type { CheckResult, SmokeContext } from '../context.js';
import { timed } from '../context.js';
import { requestFor, winningRoute } from '../sample.js';

/** Request headers edgegen's layers set themselves: a transform's add does not apply to them, or a later hop replaces them. */
const LAYER_REQUEST = ['host', 'x-real-ip', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'x-forwarded-path',
  'x-forwarded-prefix', 'forwarded', 'via', 'upgrade', 'connection', 'keep-alive', 'te', 'transfer-encoding', 'content-length', 'x-consumer-id',
  'x-consumer-custom-id', 'x-consumer-username', 'x-credential-identifier', 'x-anonymous', 'authorization'];
/** Response headers the backend, the cache, CORS, limits or another layer may send: their origin cannot be told apart. */
const LAYER_RESPONSE = ['content-type', 'content-length', 'date', 'server', 'connection', 'keep-alive', 'transfer-encoding', 'via', 'age', 'vary',
  'etag', 'cache-control', 'expires', 'retry-after', 'strict-transport-security', 'x-content-type-options', 'x-frame-options', 'referrer-policy',
  'content-security-policy', 'www-authenticate', 'location'];
/** Response header families of CORS, rate limits and Kong itself. */
const LAYER_RESPONSE_PREFIXES = ['access-control-', 'ratelimit-', 'x-ratelimit-', 'x-kong-'];

type Dir = 'request' | 'response';
const transformOf = (r: Route, dir: Dir) => (dir === 'request' ? r.requestHeaders : r.responseHeaders);

/** The value a transform adds for a header (names compare case-insensitively). */
function added(t: HeaderTransform | undefined, name: string): string | undefined {
  const key = name.toLowerCase();
  return Object.entries(t?.add ?? {}).find(([k]) => k.toLowerCase() === key)?.[1];
}

/** What one request to a route showed: the backend's view of the request headers, and the client's of the response. */
interface Seen { req: SmokeRequest; res: SmokeResponse; backend: Record<string, string> }

/**
 * Per-route header transforms (route requestHeaders/responseHeaders): each header a route adds with a value of its
 * own reaches the backend (request) or the client (response) on that route, and not on another route, which gets
 * its own transform's value or nothing.
 */
export async function routeHeaderChecks(ctx: SmokeContext): Promise<CheckResult[]> {
  const gw = ctx.model.gateway?.settings;
  if (!gw) return [];
  const layerOf = { request: gw.requestHeaders, response: gw.responseHeaders };
  const out: CheckResult[] = [];
  const own = (r: Route, dir: Dir) => transformOf(r, dir) !== undefined && transformOf(r, dir) !== layerOf[dir];
  const routes = [...ctx.model.routes].sort((a, b) => a.specIndex - b.specIndex);
  const skip = (dir: Dir) => new Set([...(dir === 'request' ? LAYER_REQUEST : LAYER_RESPONSE),
    ...(gw.correlationId ? [gw.correlationId.header.toLowerCase()] : []),
    ...(dir === 'request' ? routes.flatMap((r) => (r.auth?.policy.type === 'key' ? r.auth.policy.keyNames : r.auth ? [r.auth.policy.header] : []).map((h) => h.toLowerCase())) : []),
    ...(dir === 'response' ? [...routes.flatMap((r) => (r.cache ? [r.cache.policy.statusHeader.toLowerCase()] : []))] : [])]);

  // One request per route, sent when first needed (a fresh path each: no cache answers for the route).
  const seen = new Map<Route, Seen | string>();
  const visit = async (r: Route): Promise<Seen | string> => {
    const known = seen.get(r);
    if (known) return known;
    let got: Seen | string;
    const shape = requestFor(r, `edgegen-smoke-route-headers-${randomBytes(4).toString('hex')}`);
    const consumer = ctx.consumerFor(r);
    const from = ctx.clientFor(r, [consumer?.name], 1);
    if (!shape || winningRoute(ctx.model, shape) !== r) got = `no request that route ${r.name} wins could be derived from its match`;
    else if (r.auth && !consumer) got = `no consumer has a credential for the ${r.auth.policy.type} auth of route ${r.name}`;
    else if (!from) got = `the rate limit of route ${r.name} is spent for this window`;
    else {
      const req = ctx.request(shape, consumer ? ctx.credentials(r, consumer) : {}, undefined, from);
      const res = await ctx.send(req);
      ctx.spend(r, consumer?.name, res);
      got = { req, res, backend: (res.json?.headers ?? {}) as Record<string, string> };
    }
    seen.set(r, got);
    return got;
  };
  const cost = (r: Route) => (r.rateLimit ? 4 : 0) + (r.auth ? 2 : 0) + (r.cache ? 1 : 0);
  const header = (s: Seen, dir: Dir, name: string) => {
    const v = dir === 'request' ? s.backend[name.toLowerCase()] : s.res.headers[name.toLowerCase()];
    return Array.isArray(v) ? v.join(', ') : v;
  };
  const shown = (v: string | undefined, name: string) => (v === undefined ? `no ${name}` : `${name}: ${v}`);

  for (const r of routes) {
    for (const dir of ['request', 'response'] as const) {
      if (!own(r, dir)) continue;
      const t = transformOf(r, dir)!;
      const where = dir === 'request' ? 'the backend sees' : 'the client gets';
      // Only what this route adds with a value of its own (the gateway-wide value is not route-specific).
      const names = Object.keys(t.add).filter((h) => added(layerOf[dir], h) !== t.add[h]);
      const unseen = names.filter((h) => skip(dir).has(h.toLowerCase()) || (dir === 'response' && LAYER_RESPONSE_PREFIXES.some((p) => h.toLowerCase().startsWith(p))));
      if (unseen.length) {
        out.push({ layer: 'gateway', check: 'headers', name: `route ${r.name} adds ${dir} header ${unseen.join(', ')}`, status: 'not-run', durationMs: 0,
          reason: `${unseen.join(', ')} ${unseen.length > 1 ? 'are' : 'is'} also set by the stack's own layers${dir === 'response' ? ' or the backend' : ''}, so the route's value cannot be told apart` });
      }
      for (const h of names.filter((x) => !unseen.includes(x))) {
        const value = t.add[h];
        // The other routes whose transform does not add this value: each gets its own value or none (rate-limited
        // routes only when no other is left, so their budget stays for the checks that need it).
        const others = routes.filter((o) => o !== r && added(transformOf(o, dir), h) !== value).sort((a, b) => cost(a) - cost(b));
        const controls = others.some((o) => !o.rateLimit) ? others.filter((o) => !o.rateLimit) : others.slice(0, 1);
        let compared = 0;
        const result = await timed('gateway', 'headers', `route ${r.name} adds ${dir} header ${h}`, async () => {
          const mine = await visit(r);
          if (typeof mine === 'string') return { status: 'not-run', reason: mine };
          if (dir === 'request' && mine.res.status === 200 && typeof mine.res.json?.headers !== 'object') {
            return { status: 'not-run', reason: `the backend of route ${r.name} does not report the request headers it got (edgegen's echo backend does)` };
          }
          const got = header(mine, dir, h);
          const okHere = mine.res.status === 200 && got === value;
          const wrong: string[] = [];
          let failed: SmokeRequest | undefined;
          for (const o of controls) {
            const s = await visit(o);
            if (typeof s === 'string') continue;
            compared++;
            const want = added(transformOf(o, dir), h);
            const there = header(s, dir, h);
            if (s.res.status !== 200 || there !== want) {
              wrong.push(`route ${o.name}: ${s.res.status || s.res.error}, ${shown(there, h)} (expected ${shown(want, h)})`);
              failed ??= s.req;
            }
          }
          const here = `route ${r.name}: ${mine.res.status || mine.res.error}, ${shown(got, h)}`;
          return { status: okHere && !wrong.length ? 'pass' : 'fail',
            expected: `${where} ${h}: ${value} on route ${r.name}${compared ? `; on ${compared} other route(s) their own value of ${h} or none` : ''}`,
            observed: `${here}${compared ? `; ${wrong.length ? wrong.join('; ') : `as expected on ${compared} other route(s)`}` : ''}`,
            reproduce: ctx.curl(okHere && failed ? failed : mine.req) };
        });
        out.push(result);
        if (result.status !== 'not-run' && !compared) {
          out.push({ layer: 'gateway', check: 'headers', name: `route ${r.name}: ${dir} header ${h} stays off the other routes`, status: 'not-run', durationMs: 0,
            reason: others.length ? 'no request to another route could be sent (no derivable request, no credential, or the rate limit is spent)' : `every other route adds ${h}: ${value} too` });
        }
      }
    }
  }
  return out;
}

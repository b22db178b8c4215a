import type { AuthPolicy, Route } from '../../model/types.js';
import type { Finding, Rule } from '../types.js';
import { nameList } from '../names.js';

/** Headers Kong sets on the upstream request after authenticating (spoofed client values are overwritten). */
const IDENTITY_HEADERS = ['x-consumer-id', 'x-consumer-username', 'x-consumer-custom-id', 'x-credential-identifier'];

/** Cache key parts that still tell consumers apart when the request reaches the proxy behind the gateway. */
function identityParts(auth: AuthPolicy): string[] {
  const parts = IDENTITY_HEADERS.map((h) => `header:${h}`);
  if (auth.type === 'jwt') parts.push(`header:${auth.header.toLowerCase()}`);
  if (auth.type === 'key' && !auth.hideCredentials) {
    parts.push(...auth.keyNames.map((k) => `header:${k.toLowerCase()}`));
    if (auth.inQuery) parts.push('args');
  }
  return parts;
}

/** Per auth policy, then per cache policy: routes share their policies, so each pair is judged once. */
const judged = new WeakMap<object, WeakMap<object, boolean>>();

function keysPerConsumer(r: Route): boolean {
  const auth = r.auth!.policy;
  const cache = r.cache!.policy;
  let byCache = judged.get(auth);
  if (!byCache) judged.set(auth, (byCache = new WeakMap()));
  let yes = byCache.get(cache);
  if (yes === undefined) {
    const parts = identityParts(auth);
    byCache.set(cache, (yes = cache.key.some((k) => parts.includes(k.toLowerCase()))));
  }
  return yes;
}

export const cacheSharedAcrossConsumers: Rule = {
  id: 'cache-shared-across-consumers',
  defaultSeverity: 'error',
  title: 'An authenticated route is cached without the consumer in the cache key',
  rationale:
    'The NGINX response cache sits behind the gateway, so it only sees requests Kong already authenticated, and it keys ' +
    'entries by the cache key alone. When an authenticated route is cached without anything that identifies the consumer in ' +
    "that key, the first consumer's response is stored and then served to every other consumer asking for the same URL: a " +
    'cross-user data leak. (Kong\'s own proxy-cache keys entries per consumer, so a cache at the gateway is not affected.) With ' +
    'key auth the API key header is removed before the proxy (hideCredentials), so only the X-Consumer-* headers Kong adds ' +
    'still identify the consumer there.',
  fix:
    'Add "header:X-Consumer-ID" (or "header:X-Consumer-Username") to the cache key, or turn the cache off for the route ' +
    '(cache: false); cache only responses that are the same for every consumer.',
  check({ model, declares }) {
    const byPolicy = new Map<string, { path: (string | number)[]; routes: string[] }>();
    for (const r of model.routes) {
      if (!r.cache || !r.auth || r.cache.layer !== 'proxy' || keysPerConsumer(r)) continue;
      const keyPath = [...r.cache.origin.path, 'key'];
      const path = declares(keyPath) ? keyPath : r.cache.origin.path;
      const entry = byPolicy.get(path.join('.')) ?? { path, routes: [] };
      entry.routes.push(r.name);
      byPolicy.set(path.join('.'), entry);
    }
    return [...byPolicy.values()].map((e): Finding => ({
      path: e.path,
      message: `route${e.routes.length > 1 ? 's' : ''} ${nameList(e.routes)} require${e.routes.length > 1 ? '' : 's'} auth ` +
        'but the proxy cache key does not identify the consumer: one consumer\'s cached response is served to the others',
    }));
  },
};

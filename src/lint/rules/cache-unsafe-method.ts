import type { Finding, Rule } from '../types.js';

const CACHEABLE = ['GET', 'HEAD'];

export const cacheUnsafeMethod: Rule = {
  id: 'cache-unsafe-method',
  defaultSeverity: 'warning',
  title: 'The response cache stores answers to methods that change state',
  rationale:
    'Only GET and HEAD are safe to answer from a cache. With POST in cache.methods the proxy or gateway stores the response of ' +
    'a POST under a key built from the URL (the body is not part of it), so the next POST to the same URL gets the stored ' +
    'answer and never reaches the service: the write is silently dropped, and different request bodies share one answer.',
  fix:
    'Keep cache.methods to [GET, HEAD]. If a read-only API uses POST for queries (search, GraphQL), give those queries their own ' +
    'route and cache them by a key that includes what distinguishes them, or cache them in the service.',
  check({ model }) {
    const seen = new Map<string, Finding>();
    for (const r of model.routes) {
      const c = r.cache;
      if (!c) continue;
      const unsafe = c.policy.methods.filter((m) => !CACHEABLE.includes(m));
      const key = c.origin.path.join('.');
      if (unsafe.length === 0 || seen.has(key)) continue;
      seen.set(key, {
        path: [...c.origin.path, 'methods'],
        message: `the ${c.layer} cache stores responses to ${unsafe.join(', ')}: a repeated request to the same URL is answered from the cache and never reaches the service`,
      });
    }
    return [...seen.values()];
  },
};

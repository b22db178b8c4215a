import type { Finding, Rule, SpecPath } from '../types.js';
import { nameList } from '../names.js';

export const authWithoutRateLimit: Rule = {
  id: 'auth-without-rate-limit',
  defaultSeverity: 'warning',
  title: 'An authenticated route has no rate limit',
  rationale:
    'A route that checks credentials without a rate limit lets anyone try keys or tokens as fast as the gateway answers ' +
    '(credential stuffing, key guessing), and lets one authenticated consumer, or one leaked key, take all of the backend\'s ' +
    'capacity. Authentication says who is calling; only a limit bounds how much.',
  fix:
    'Add rateLimit to the gateway (by consumer) or to the route; do not turn it off with rateLimit: false on routes that require auth.',
  check({ model }) {
    const byPlace = new Map<string, { path: SpecPath; routes: string[] }>();
    for (const r of model.routes) {
      if (!r.auth || r.rateLimit) continue;
      // Point at the explicit "rateLimit: false" when the route turned a layer-wide limit off, else at the auth policy.
      const disabled = model.gateway?.settings.rateLimit !== undefined;
      const path = disabled ? ['routes', r.specIndex, 'rateLimit'] : r.auth.origin.path;
      const g = byPlace.get(path.join('.')) ?? { path, routes: [] };
      g.routes.push(r.name);
      byPlace.set(path.join('.'), g);
    }
    return [...byPlace.values()].map(({ path, routes }): Finding => ({
      path,
      message: `route${routes.length > 1 ? 's' : ''} ${nameList(routes)} require${routes.length > 1 ? '' : 's'} auth but ` +
        `${routes.length > 1 ? 'have' : 'has'} no rate limit: credentials can be guessed, and one consumer can take the whole backend`,
    }));
  },
};

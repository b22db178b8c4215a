import { coverCandidates, describePath, routeCovers } from '../route-match.js';
import type { Finding, Rule } from '../types.js';

export const routeShadowed: Rule = {
  id: 'route-shadowed',
  defaultSeverity: 'error',
  title: 'A route can never match because an earlier route takes all its requests',
  rationale:
    'Every engine tries routes in the one precedence order the model computes (host-specific first, then exact paths, regex ' +
    'paths in spec order, prefixes longest first, then routes with more method and header conditions). A route whose every ' +
    'possible request is also matched by a route earlier in that order never receives traffic: its service, auth, limits and ' +
    'cache settings are dead configuration, and requests meant for it silently go elsewhere.',
  fix:
    'Narrow the earlier route (a longer prefix, an exact path, fewer methods or hosts) or widen this one so they no longer ' +
    'coincide; for regex routes, order matters: put the more specific regex first in the spec. Remove the route if it is not needed.',
  check({ model }) {
    const out: Finding[] = [];
    const candidates = coverCandidates(model.routes);
    for (const b of model.routes) {
      const a = candidates.get(b)!.find((x) => x.order < b.order && routeCovers(x, b));
      if (!a) continue;
      out.push({ path: ['routes', b.specIndex, 'match'],
        message: `route "${b.name}" can never match: route "${a.name}" (${describePath(a)}) comes first in precedence and matches every request it would (${describePath(b)})` });
    }
    return out;
  },
};

import { describePath, headersCover, pathKey, pathMatch, routeCovers, samePath, sharedHosts, sharedMethods } from '../route-match.js';
import type { Finding, Rule } from '../types.js';

export const routeOverlap: Rule = {
  id: 'route-overlap',
  defaultSeverity: 'warning',
  title: 'Two routes share a path and overlap on some hosts or methods',
  rationale:
    'Two routes with the same path whose host lists or method lists partly coincide both claim the requests in the ' +
    'intersection. Only the one earlier in precedence gets them, which is rarely what both route authors meant: the later ' +
    'route serves some hosts or methods and silently not others, and reordering the spec or adding a condition changes ' +
    'which service answers.',
  fix:
    'Make the routes disjoint: give each host or method to exactly one of them (split the lists), or merge them into one route.',
  check({ model }) {
    const out: Finding[] = [];
    // Only routes with the same path match can overlap this way: compare within those groups.
    const groups = new Map<string, typeof model.routes>();
    for (const r of model.routes) {
      const k = pathKey(pathMatch(r));
      const group = groups.get(k);
      if (group) group.push(r);
      else groups.set(k, [r]);
    }
    for (const b of model.routes) {
      for (const a of groups.get(pathKey(pathMatch(b)))!) {
        if (a.order >= b.order || routeCovers(a, b)) continue;
        if (!samePath(pathMatch(a), pathMatch(b)) || !headersCover(a.headers, b.headers) || !headersCover(b.headers, a.headers)) continue;
        const hosts = sharedHosts(a.hosts, b.hosts);
        const methods = sharedMethods(a.methods, b.methods);
        if (hosts.length === 0 || methods.length === 0) continue;
        out.push({ path: ['routes', b.specIndex, 'match'],
          message: `routes "${a.name}" and "${b.name}" both match ${methods.join(', ')} ${describePath(b)} on ${hosts.join(', ')}; ` +
            `"${a.name}" comes first, so those requests never reach "${b.name}"` });
        break;
      }
    }
    return out;
  },
};

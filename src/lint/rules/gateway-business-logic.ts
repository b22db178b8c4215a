import type { HeaderTransform } from '../../model/types.js';
import type { Finding, Rule } from '../types.js';

/** More header operations than this on the gateway reads as application logic rather than perimeter policy. */
const HEADER_OPERATIONS_LIMIT = 4;

const count = (t?: HeaderTransform) => (t ? Object.keys(t.add).length + t.remove.length : 0);

export const gatewayBusinessLogic: Rule = {
  id: 'gateway-business-logic',
  defaultSeverity: 'info',
  title: 'The gateway rewrites many headers (business logic creeping into the gateway)',
  rationale:
    'A gateway should stay domain-agnostic: authenticate, limit, route. Each header it adds or strips for a service is a ' +
    'piece of that service\'s contract living in the gateway; as they accumulate, the gateway becomes the "gateway monolith" ' +
    'the seed article warns about, and changing a service needs a gateway deploy.',
  fix:
    'Move service-specific headers into the services; keep only perimeter headers (correlation id, security headers, removing ' +
    'internal headers) in gateway.requestHeaders and responseHeaders, and keep route requestHeaders/responseHeaders to a version or tenant marker.',
  check({ model, declares }) {
    const gw = model.gateway?.settings;
    if (!gw) return [];
    const request = count(gw.requestHeaders);
    const response = count(gw.responseHeaders);
    const out: Finding[] = request + response <= HEADER_OPERATIONS_LIMIT ? [] : [{
      path: ['gateway', gw.requestHeaders ? 'requestHeaders' : 'responseHeaders'],
      message: `the gateway adds or removes ${request + response} headers on every route (request: ${request}, response: ${response}); ` +
        `more than ${HEADER_OPERATIONS_LIMIT} is service logic living in the gateway`,
    }];
    // A route's own transform counts with the gateway's it is merged onto; reported where the route's pushes it over.
    for (const r of [...model.routes].sort((a, b) => a.specIndex - b.specIndex)) {
      const own = (['requestHeaders', 'responseHeaders'] as const).find((k) => declares(['routes', r.specIndex, k]) && r[k] !== gw[k]);
      if (!own) continue;
      const rq = count(r.requestHeaders), rs = count(r.responseHeaders);
      if (rq + rs <= HEADER_OPERATIONS_LIMIT || (rq <= request && rs <= response)) continue;
      out.push({
        path: ['routes', r.specIndex, own],
        message: `the gateway adds or removes ${rq + rs} headers on route "${r.name}" (request: ${rq}, response: ${rs}, the gateway's included); ` +
          `more than ${HEADER_OPERATIONS_LIMIT} is service logic living in the gateway`,
      });
    }
    return out;
  },
};

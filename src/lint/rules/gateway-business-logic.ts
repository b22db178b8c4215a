import type { HeaderTransform } from '../../model/types.js';
import type { Rule } from '../types.js';

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
    'internal headers) in gateway.requestHeaders and responseHeaders.',
  check({ model }) {
    const gw = model.gateway?.settings;
    if (!gw) return [];
    const request = count(gw.requestHeaders);
    const response = count(gw.responseHeaders);
    if (request + response <= HEADER_OPERATIONS_LIMIT) return [];
    return [{
      path: ['gateway', gw.requestHeaders ? 'requestHeaders' : 'responseHeaders'],
      message: `the gateway adds or removes ${request + response} headers on every route (request: ${request}, response: ${response}); ` +
        `more than ${HEADER_OPERATIONS_LIMIT} is service logic living in the gateway`,
    }];
  },
};

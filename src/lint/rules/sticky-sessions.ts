import type { Rule } from '../types.js';

export const stickySessions: Rule = {
  id: 'sticky-sessions',
  defaultSeverity: 'info',
  title: 'Sticky sessions pin clients to instances',
  rationale:
    'Cookie stickiness keeps a client on the instance that holds its in-memory session. That is a scaling anti-pattern: ' +
    'instances cannot be drained, restarted or scaled down without dropping the sessions on them, new instances get no share ' +
    'of existing clients, and load skews toward long-lived sessions.',
  fix:
    'Keep session state out of the instances (a shared store such as Redis, or signed tokens) and remove loadBalancer.sticky; ' +
    'suppress this finding where a legacy backend still needs affinity.',
  check({ model }) {
    const sticky = model.loadBalancer?.settings.sticky;
    if (!sticky) return [];
    const next = model.chain[1] ?? 'services';
    return [{ path: ['loadBalancer', 'sticky'], message: `cookie ${sticky.cookie} pins each client to one ${next} instance` }];
  },
};

import { cidr } from '../net.js';
import type { Finding, Rule } from '../types.js';

/** Trusting a range larger than this (more than 65,536 addresses) at the edge means trusting ordinary clients. */
const BROADEST_TRUSTED_PREFIX = 16;

export const xffTrustedFromClient: Rule = {
  id: 'xff-trusted-from-client',
  defaultSeverity: 'error',
  title: 'X-Forwarded-For sent by clients is trusted as the client address',
  rationale:
    'Rate limits by IP, access logs, allow lists and the X-Real-IP the services see all take the client address from ' +
    'X-Forwarded-For once the sender is trusted. At the edge the sender is the client itself, so trusting a broad range there ' +
    '(proxy.trustForwardedFrom on an entry NGINX) lets any client in it claim any address; and a load balancer in mode tcp ' +
    'cannot remove the header the client sent, while the next layer trusts the load balancer and so believes the ' +
    "client's header.",
  fix:
    'At the edge trust only the exact addresses of a CDN or proxy in front of you (proxy.trustForwardedFrom with narrow ranges); ' +
    'run the load balancer in mode: http, which drops the client\'s X-Forwarded-For, or use tls.strategy: passthrough, whose ' +
    'PROXY protocol carries the real address.',
  check({ model }) {
    const out: Finding[] = [];
    const proxy = model.proxy;
    if (proxy && model.chain[0] === 'proxy') {
      proxy.settings.trustForwardedFrom.forEach((range, j) => {
        const r = cidr(range);
        if (r && r.prefix < BROADEST_TRUSTED_PREFIX) {
          out.push({ path: ['proxy', 'trustForwardedFrom', j],
            message: `the entry proxy trusts X-Forwarded-For from ${range} (${(2 ** (32 - r.prefix)).toLocaleString('en-US')} addresses): any client there can claim any IP` });
        }
      });
    }
    const lb = model.loadBalancer;
    if (lb && lb.settings.mode === 'tcp' && !lb.passthrough && model.chain.length > 1) {
      const next = model.chain[1];
      out.push({ path: ['loadBalancer', 'mode'],
        message: `the load balancer runs in mode tcp and cannot drop the client's X-Forwarded-For, which ${next} trusts because it comes from the load balancer: clients choose their own IP` });
    }
    return out;
  },
};

import { layerHops, routedServices, serviceFacingLayer, serviceIndex } from '../chain.js';
import { isPublicIpv4 } from '../net.js';
import type { Finding, Rule } from '../types.js';

export const tlsPlaintextUntrustedHop: Rule = {
  id: 'tls-plaintext-untrusted-hop',
  defaultSeverity: 'error',
  title: 'A plain HTTP hop goes to a public IP address',
  rationale:
    'Plain HTTP between layers is acceptable only inside a trusted private network. An address outside the private, loopback, ' +
    'link-local and carrier-grade NAT ranges is on the public internet, so a hop that reaches it without TLS sends every ' +
    'request, including API keys, tokens and personal data, in clear text across networks nobody in the spec controls.',
  fix:
    'Reach that instance over a private address (VPC, VPN, overlay network), or encrypt the hop: tls.strategy: reencrypt with ' +
    'tls.ca for layer hops, protocol: https for a service.',
  check({ model }) {
    const out: Finding[] = [];
    for (const hop of layerHops(model)) {
      if (hop.tls || hop.from === 'client') continue;
      const hosts = model[hop.to]!.settings.hosts ?? [];
      hosts.forEach((h, j) => {
        if (isPublicIpv4(h)) out.push({ path: [hop.to, 'hosts', j], message: `${hop.from} reaches ${hop.to} instance ${h} (a public address) over plain HTTP` });
      });
    }
    const last = serviceFacingLayer(model);
    for (const s of routedServices(model)) {
      if (s.protocol === 'https') continue;
      for (const inst of s.instances) {
        if (isPublicIpv4(inst.host)) {
          out.push({ path: ['services', serviceIndex(s), 'instances', inst.index, 'address'],
            message: `${last} reaches service "${s.name}" at ${inst.address} (a public address) over plain HTTP` });
        }
      }
    }
    return out;
  },
};

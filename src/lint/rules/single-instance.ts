import { routedServices, serviceIndex } from '../chain.js';
import type { Finding, Rule } from '../types.js';

export const singleInstance: Rule = {
  id: 'single-instance',
  defaultSeverity: 'warning',
  title: 'A layer or service behind the entry runs a single instance (single point of failure)',
  rationale:
    'Every request passes through each layer of the chain. When a layer behind the entry, or a service, has one instance, there ' +
    'is nothing to fail over to: a crash, a restart for a config change or a deploy takes every route through it down, however ' +
    'redundant the rest of the chain is. (The entry layer is not flagged: its redundancy, a floating IP, anycast or DNS, lives ' +
    'outside the spec.)',
  fix:
    'Run at least two instances (instances: 2 on the layer, a second address under the service), or a backup instance ' +
    '(backup: true) for a service that cannot scale out.',
  check({ model, declares }) {
    const out: Finding[] = [];
    for (const layer of model.chain.slice(1)) {
      if (model[layer]!.instances !== 1) continue;
      out.push({ path: declares([layer, 'instances']) ? [layer, 'instances'] : [layer],
        message: `${layer} runs a single instance: when it stops, every request through the chain fails` });
    }
    for (const s of routedServices(model)) {
      if (s.instances.length !== 1) continue;
      out.push({ path: ['services', serviceIndex(s), 'instances'], message: `service "${s.name}" has a single instance: when it stops, every route to it fails` });
    }
    return out;
  },
};

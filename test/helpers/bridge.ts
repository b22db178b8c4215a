import { loadSpec } from '../../src/compile.js';
import type { Model } from '../../src/model/types.js';

/**
 * A stack for the bridge network mode: the gateway instances are named in the spec (kong-1, kong-2), one service
 * instance has a DNS name, one an IP address, one a name another unit already answers to (proxy-1), one localhost.
 */
export const BRIDGE_SPEC = `version: 1
name: bridge-wiring
loadBalancer:
  ports: { http: 80 }
  stats: { port: 8404 }
gateway:
  instances: 2
  hosts: [kong-1, kong-2]
  ports: { http: 8000 }
proxy:
  instances: 2
  ports: { http: 8080 }
services:
  - name: orders
    instances: [{ address: orders-a.internal:3000 }, { address: 10.0.0.7:3000 }]
  - name: users
    instances: [{ address: proxy-1:4000 }, { address: localhost:4001 }]
routes:
  - name: orders
    match: { path: /orders }
    service: orders
  - name: users
    match: { path: /users }
    service: users
`;

export function bridgeSpec(name = 'bridge-wiring'): string {
  return BRIDGE_SPEC.replace('name: bridge-wiring', `name: ${name}`);
}

export function bridgeModel(name?: string): Model {
  const r = loadSpec(bridgeSpec(name), 'bridge-wiring.yaml');
  if (!r.model) throw new Error(`bridge spec is invalid: ${JSON.stringify(r.diagnostics)}`);
  return r.model;
}

/** Every alias of BRIDGE_SPEC, in plan order (layers, then services). */
export const BRIDGE_ALIASES = ['loadbalancer-1', 'kong-1', 'kong-2', 'proxy-1', 'proxy-2', 'orders-a.internal', 'orders-2', 'users-1', 'users-2'];

// Generates a synthetic spec: `npx tsx scripts/gen-spec.ts <routes> [services] [--layers=lb,gateway,proxy] [--local] [--no-hosts]
//   [--no-cache] [--instances=1] [--proxy-instances=N] [--name=NAME]` > spec.yaml
// Routes spread over services; every tenth route has its own host, some use regex or exact paths; consumers and policies included.
import { stringify } from 'yaml';

export interface SyntheticOptions { routes: number; services?: number; instances?: 1 | 2; proxyInstances?: number; cache?: boolean; name?: string; layers?: string[]; local?: boolean; hosts?: boolean }

/** A valid spec with the given number of routes (deterministic). */
export function generateSpec(opts: SyntheticOptions): string {
const routes = opts.routes;
const services = opts.services ?? Math.min(1000, Math.max(1, Math.ceil(routes / 10)));
const layers = new Set(opts.layers ?? ['lb', 'gateway', 'proxy']);
const local = opts.local ?? false;

const spec: Record<string, unknown> = { version: 1, name: opts.name ?? `bench-${routes}` };
if (layers.has('lb')) spec.loadBalancer = { ports: { http: 80 }, healthCheck: {}, stats: { port: 8404 } };
if (layers.has('gateway')) {
  spec.gateway = {
    instances: 2, ports: { http: 8000 },
    auth: { type: 'key' }, rateLimit: { minute: 1000, by: 'consumer', policy: 'redis', redis: { host: 'redis.internal' } },
    consumers: Array.from({ length: 50 }, (_, i) => ({ name: `consumer-${i}`, keys: [`key-${i}-${'x'.repeat(16)}`] })),
  };
}
// The cache key carries the consumer, so authenticated responses are not shared (lint: cache-shared-across-consumers).
if (layers.has('proxy')) spec.proxy = { instances: opts.proxyInstances ?? 2, ports: { http: 8080 },
  ...(opts.cache === false ? {} : { cache: { ttl: '30s', key: ['scheme', 'method', 'host', 'uri', 'header:X-Consumer-Username'] } }) };
spec.services = Array.from({ length: services }, (_, i) => ({
  name: `svc-${i}`,
  instances: [{ address: local ? `127.0.0.1:${10000 + 2 * i}` : `svc-${i}-a.internal:8080` }, { address: local ? `127.0.0.1:${10001 + 2 * i}` : `svc-${i}-b.internal:8080` }].slice(0, opts.instances ?? 2),
  healthCheck: { path: '/healthz' },
}));
spec.routes = Array.from({ length: routes }, (_, i) => {
  const kind = i % 20 === 7 ? 'regex' : i % 20 === 13 ? 'exact' : 'prefix';
  const path = kind === 'regex' ? `^/r${i}/v[0-9]+/items$` : kind === 'exact' ? `/e${i}/status` : `/api/g${i % 97}/r${i}`;
  const r: Record<string, unknown> = { name: `route-${i}`, match: { path, pathType: kind }, service: `svc-${i % services}` };
  if (opts.hosts !== false && i % 10 === 3) (r.match as Record<string, unknown>).hosts = [`tenant${i % 8}.example.com`];
  if (i % 10 === 5) (r.match as Record<string, unknown>).methods = ['GET', 'HEAD'];
  return r;
});
return stringify(spec, { lineWidth: 0 });
}

if (process.argv[1]?.endsWith('gen-spec.ts')) {
  const args = process.argv.slice(2);
  const layers = args.find((a) => a.startsWith('--layers='))?.slice(9).split(',');
  process.stdout.write(generateSpec({ routes: Number(args[0] ?? 100), services: args[1] && !args[1].startsWith('--') ? Number(args[1]) : undefined,
    layers, local: args.includes('--local'), hosts: !args.includes('--no-hosts'), cache: !args.includes('--no-cache'),
    instances: args.includes('--instances=1') ? 1 : 2, proxyInstances: Number(args.find((a) => a.startsWith('--proxy-instances='))?.slice(18) ?? 2),
    name: args.find((a) => a.startsWith('--name='))?.slice(7) }));
}

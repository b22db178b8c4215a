import { describe, expect, it } from 'vitest';
import { validateKongConfig } from '../src/kong/schema/index.js';
import { buildFixture } from './helpers/fixtures.js';

type Upstream = { name: string; healthchecks: { active: { type: string }; passive: { type: string; unhealthy: Record<string, unknown> } } };

/** The kong.yaml of a fixture as data, with its router flavor (kong.env). */
function kongOf(name: string) {
  const r = buildFixture(name);
  const env = r.files.find((f) => f.path === 'kong/kong.env')!.content;
  const flavor = (/^KONG_ROUTER_FLAVOR=(.*)$/m.exec(env)?.[1] ?? 'traditional_compatible') as 'expressions';
  return { yaml: r.files.find((f) => f.path === 'kong/kong.yaml')!.content, flavor };
}

describe('Kong upstreams: a dead target leaves the balancer at its first failed connection (passive health checks)', () => {
  it('the proxy pool (demo): tcp_failures 1, no HTTP status counted (a proxy relays the services\' 5xx); active TCP checks bring it back', async () => {
    const { parse } = await import('yaml');
    const { yaml, flavor } = kongOf('demo');
    const doc = parse(yaml) as { upstreams: Upstream[] };
    const pool = doc.upstreams.find((u) => u.name === 'proxy-pool')!;
    expect(pool.healthchecks.passive).toEqual({ type: 'http', unhealthy: { http_failures: 0, tcp_failures: 1, timeouts: 3 } });
    expect(pool.healthchecks.active.type).toBe('tcp');
    expect(validateKongConfig(doc, { routerFlavor: flavor })).toEqual([]);
  });

  it('service upstreams (microservices): tcp_failures 1 and one 503 (the instance says it cannot serve); active HTTP checks bring it back', async () => {
    const { parse } = await import('yaml');
    const { yaml, flavor } = kongOf('microservices');
    const doc = parse(yaml) as { upstreams: Upstream[] };
    expect(doc.upstreams.length).toBeGreaterThan(0);
    for (const u of doc.upstreams) {
      expect(u.healthchecks.passive, u.name).toEqual({ type: 'http', unhealthy: { http_statuses: [503], http_failures: 1, tcp_failures: 1, timeouts: 3 } });
      expect(u.healthchecks.active.type).toBe('http');
    }
    expect(validateKongConfig(doc, { routerFlavor: flavor })).toEqual([]);
  });

  it('the Kong 3.9 schema module checks the passive fields (not a rubber stamp)', async () => {
    const { parse } = await import('yaml');
    const { yaml, flavor } = kongOf('microservices');
    const doc = parse(yaml) as { upstreams: Upstream[] };
    doc.upstreams[0].healthchecks.passive.unhealthy.tcp_failures = 256;
    doc.upstreams[0].healthchecks.passive.unhealthy.http_statuses = [42];
    const messages = validateKongConfig(doc, { routerFlavor: flavor }).map((e) => `${e.path}: ${e.message}`);
    expect(messages).toEqual(expect.arrayContaining([
      expect.stringMatching(/passive\.unhealthy\.tcp_failures/),
      expect.stringMatching(/passive\.unhealthy\.http_statuses/),
    ]));
  });
});

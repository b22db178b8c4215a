import { describe, expect, it } from 'vitest';
import { validateKongYaml, type RouterFlavor } from '../src/kong/schema/index.js';
import { chooseRoute } from '../src/model/routing.js';
import { buildFixture, fixtureModel, fixtureNames } from './helpers/fixtures.js';
import { kongRouter } from './helpers/kong-router.js';

/** The router flavor a fixture's kong.env gives Kong (Kong's default when it names none). */
function flavorOf(files: { path: string; content: string }[]): RouterFlavor {
  const env = files.find((f) => f.path === 'kong/kong.env')!.content;
  return (/^KONG_ROUTER_FLAVOR=(.*)$/m.exec(env)?.[1] ?? 'traditional_compatible') as RouterFlavor;
}

describe("every fixture's kong.yaml passes the Kong 3.9 schema module", () => {
  const withGateway = fixtureNames().filter((n) => fixtureModel(n).gateway?.settings.engine === 'kong');

  it('covers at least the demo and microservices fixtures', () => {
    expect(withGateway).toEqual(expect.arrayContaining(['demo', 'microservices']));
  });

  for (const name of withGateway) {
    it(name, () => {
      const { files } = buildFixture(name);
      const kong = files.find((f) => f.path === 'kong/kong.yaml')!;
      expect(validateKongYaml(kong.content, { routerFlavor: flavorOf(files) })).toEqual([]);
      expect(kong.content).toContain('_format_version: "3.0"');
    });

    it(`${name}: Kong's route choice (its ranking rule on kong.yaml, not a live Kong) is the model's`, () => {
      const { files, model } = buildFixture(name);
      const kong = kongRouter(files.find((f) => f.path === 'kong/kong.yaml')!.content, flavorOf(files));
      const statics = model!.proxy?.settings.static.map((s) => s.prefix) ?? [];
      let n = 0;
      for (const r of model!.routes) {
        const base = r.pathType === 'regex' ? r.path.replace(/^\^/, '').replace(/[$\\[\]().*+?{}|^]/g, '') : r.path;
        for (const path of [base, `${base}/x`, `${base}x`, '/'])
          for (const method of ['GET', 'POST', 'DELETE'])
            for (const host of [undefined, ...r.hosts.map((h) => h.replace(/^\*/, 'w'))]) {
              const req = { method, path, ...(host ? { host } : {}), headers: Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, v[0]!])) };
              if ((method === 'GET') && statics.some((p) => path.startsWith(p))) continue; // static files: above every route
              expect(kong(req), JSON.stringify(req)).toBe(chooseRoute(model!.routes, req)?.name);
              n++;
            }
      }
      expect(n).toBeGreaterThan(0);
    });
  }

  it('the router flavor matters: without KONG_ROUTER_FLAVOR=expressions Kong would refuse the route expressions', () => {
    const { files } = buildFixture('demo');
    expect(flavorOf(files)).toBe('expressions');
    const messages = validateKongYaml(files.find((f) => f.path === 'kong/kong.yaml')!.content).map((e) => `${e.path}: ${e.message}`);
    expect(messages).toEqual(expect.arrayContaining([expect.stringMatching(/routes\[0\]\.expression: unknown field/)]));
  });

  it('the schema module is not a rubber stamp: a broken kong.yaml from a fixture is rejected', () => {
    const kong = buildFixture('demo').files.find((f) => f.path === 'kong/kong.yaml')!.content;
    const broken = kong.replace('policy: "local"', 'policy: "cluster"').replace('_format_version: "3.0"', '_format_version: 3.0');
    const messages = validateKongYaml(broken, { routerFlavor: 'expressions' }).map((e) => e.message);
    expect(messages).toEqual(expect.arrayContaining([expect.stringContaining('expected one of: local, redis'), expect.stringContaining('expected a string')]));
  });
});

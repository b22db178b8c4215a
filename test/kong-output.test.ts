import { describe, expect, it } from 'vitest';
import { validateKongYaml } from '../src/kong/schema/index.js';
import { buildFixture, fixtureModel, fixtureNames } from './helpers/fixtures.js';

describe("every fixture's kong.yaml passes the Kong 3.9 schema module", () => {
  const withGateway = fixtureNames().filter((n) => fixtureModel(n).gateway?.settings.engine === 'kong');

  it('covers at least the demo and microservices fixtures', () => {
    expect(withGateway).toEqual(expect.arrayContaining(['demo', 'microservices']));
  });

  for (const name of withGateway) {
    it(name, () => {
      const kong = buildFixture(name).files.find((f) => f.path === 'kong/kong.yaml')!;
      expect(validateKongYaml(kong.content)).toEqual([]);
      expect(kong.content).toContain('_format_version: "3.0"');
    });
  }

  it('the schema module is not a rubber stamp: a broken kong.yaml from a fixture is rejected', () => {
    const kong = buildFixture('demo').files.find((f) => f.path === 'kong/kong.yaml')!.content;
    const broken = kong.replace('policy: "local"', 'policy: "cluster"').replace('_format_version: "3.0"', '_format_version: 3.0');
    const messages = validateKongYaml(broken).map((e) => e.message);
    expect(messages).toEqual(expect.arrayContaining([expect.stringContaining('expected one of: local, redis'), expect.stringContaining('expected a string')]));
  });
});

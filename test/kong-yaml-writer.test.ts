import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Document, parse, stringify } from 'yaml';
import { loadSpec } from '../src/compile.js';
import { emitKong } from '../src/emit/kong/emit.js';
import { KONG_YAML_OPTIONS, writeKongYaml } from '../src/emit/kong/yaml-writer.js';
import { specPlan } from '../src/model/plan.js';
import { generateSpec } from '../scripts/gen-spec.js';
import { fixtureNames, fixtureText, TEST_ENV } from './helpers/fixtures.js';
import { validSpec } from './security/spec-arbitrary.js';

/** The reference: the yaml package serializing the same data with the options the writer reproduces. */
const reference = (data: Record<string, unknown>) => new Document(data, { version: '1.1', aliasDuplicateObjects: false }).toString(KONG_YAML_OPTIONS);

function kongConfig(text: string, file: string, env: Record<string, string> = TEST_ENV): Record<string, unknown> | undefined {
  const { model } = loadSpec(text, file);
  if (!model?.gateway || model.gateway.settings.engine !== 'kong') return undefined;
  return emitKong(model, specPlan(model), env).config;
}

const SAFE_KEY = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_-]{0,12}$/).filter((k) => !/^(?:y|n|yes|no|true|false|on|off|null)$/i.test(k));
const ASCII = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) });
const NUMBER = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }));

function data<K, S>(keyArb: fc.Arbitrary<K>, strArb: fc.Arbitrary<S>, num: fc.Arbitrary<number>) {
  return fc.letrec((tie) => ({
    value: fc.oneof({ maxDepth: 4 }, strArb, num, fc.boolean(), fc.constant(null), tie('list'), tie('map')),
    list: fc.array(tie('value'), { maxLength: 4 }),
    map: fc.dictionary(keyArb as fc.Arbitrary<string>, tie('value'), { maxKeys: 4 }),
  })).map as fc.Arbitrary<Record<string, unknown>>;
}

describe('Kong YAML writer', () => {
  it('writes the same bytes as the yaml package for every fixture with a Kong gateway', () => {
    let checked = 0;
    for (const name of fixtureNames()) {
      const config = kongConfig(fixtureText(name), `fixtures/${name}.yaml`);
      if (!config) continue;
      expect(writeKongYaml(config), name).toBe(reference(config));
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(2);
  });

  it('writes the same bytes as the yaml package for a 1,000-route synthetic spec', () => {
    const config = kongConfig(generateSpec({ routes: 1000 }), 'gen.yaml', {})!;
    expect((config.services as unknown[]).length).toBeGreaterThanOrEqual(100);
    expect(writeKongYaml(config)).toBe(reference(config));
  });

  it('writes the same bytes as the yaml package for generated specs', () => {
    fc.assert(fc.property(validSpec, ({ spec, env }) => {
      const config = kongConfig(stringify(spec), 'generated.yaml', env);
      if (config) expect(writeKongYaml(config)).toBe(reference(config));
    }), { numRuns: 100 });
  });

  it('writes the same bytes as the yaml package for arbitrary data with plain keys and ASCII strings', () => {
    fc.assert(fc.property(data(SAFE_KEY, ASCII, NUMBER), (d) => {
      expect(writeKongYaml(d)).toBe(reference(d));
    }), { numRuns: 500 });
  });

  it('round-trips any keys and any Unicode strings through YAML 1.1 and 1.2 readers, one line per scalar', () => {
    const anyString = fc.string({ unit: 'binary', maxLength: 12 });
    fc.assert(fc.property(data(anyString, anyString, fc.integer()), (d) => {
      const text = writeKongYaml(d);
      expect(parse(text, { version: '1.2' })).toEqual(d);
      expect(parse(text, { version: '1.1' })).toEqual(d);
      // Line breaks of any YAML version (LF, CR, NEL, LS, PS) never appear raw: every value stays on its line.
      expect(text.slice(0, -1)).not.toMatch(/[\r\u0085\u2028\u2029]/);
    }), { numRuns: 500 });
  });

  it('escapes what YAML does not allow raw', () => {
    expect(writeKongYaml({ a: 'x\u2028y\u0085z\u007f\u0000\u001b"\\' })).toBe('a: "x\\Ly\\Nz\\x7f\\0\\e\\"\\\\"\n');
    expect(writeKongYaml({ yes: 1, 'a b': [], 'c:': {} })).toBe('"yes": 1\n"a b": []\n"c:": {}\n');
    expect(() => writeKongYaml({ a: () => 1 })).toThrow('kong.yaml cannot hold a function');
  });
});

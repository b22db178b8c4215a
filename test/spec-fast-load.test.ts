import fc from 'fast-check';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { fastLoad } from '../src/spec/fast-load.js';
import { parseSpecText } from '../src/spec/parse.js';
import { MAX_NODES, MAX_TOKENS } from '../src/security/yaml-limits.js';
import { ROOT } from './helpers/fixtures.js';
import { SLOTS } from './security/corpus-data.js';
import { HOSTILE_INPUTS } from './security/hostile-inputs.js';
import { PAYLOADS, yamlString } from './security/payloads.js';

/**
 * The fast path (js-yaml) may only ever answer with what the full parser (yaml package, with positions and limits)
 * answers: the same verdict and the same data. Where it is unsure it hands over; these tests also count how often it
 * answers, so that a fast path that always hands over (and so proves nothing) fails too.
 */
function compare(text: string, loose = false): 'fast' | 'full' {
  const withFast = parseSpecText(text, 'spec.yaml');
  const full = parseSpecText(text, 'spec.yaml', { fast: false });
  expect(withFast.ok, `verdicts differ for:\n${text.slice(0, 2000)}`).toBe(full.ok);
  if (withFast.ok && full.ok) expect(withFast.spec.data, `data differs for:\n${text.slice(0, 2000)}`).toStrictEqual(full.spec.data);
  else if (loose) expect(withFast.ok || withFast.diagnostics[0].message).toEqual(full.ok || full.diagnostics[0].message);
  else expect(withFast).toStrictEqual(full);
  return withFast.ok && fastLoad(text) !== undefined ? 'fast' : 'full';
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? yamlFiles(p) : /\.ya?ml$/.test(f) ? [p] : [];
  });
}

/** Documents where the two YAML readers could part ways (YAML 1.1 habits, odd keys, tags, anchors, escapes). */
export const EDGE_CASES = [
  'a: yes\nb: on\nc: True\nd: FALSE\ne: ~\nf: null\ng: Null\nh:\n', 'a: 0o17\nb: 0x1F\nc: 017\nd: 1_000\ne: +5\nf: -0\ng: 0b101\n',
  'a: .5\nb: 1.\nc: 1e3\nd: -1.5E-3\ne: .inf\nf: -.Inf\ng: .NaN\nh: 1e\ni: 12345678901234567890\n', 'a: 2001-12-14\nb: 12:30:45\nc: 1:20\n',
  '~: x\n', 'null: x\n', '"": x\n', '1: a\n"1": b\n', 'true: a\n"true": b\n', 'a: 1\na: 2\n', '? a\n: b\n', '[a, b]: c\n', '{a: b}: c\n',
  'a: &x 1\nb: *x\n', 'a: *x\n', 'a: !!str 5\n', 'a: ! 5\n', 'a: !!int "5"\n', 'a: !foo x\n', 'a: !!binary aGVsbG8=\n', '%YAML 1.1\n---\na: yes\n',
  '<<: {a: 1}\nb: 2\n', 'a:\n  <<: {b: 1}\n', '__proto__: {a: 1}\n', 'constructor: 1\n', 'a: "\\t"\n', 'a: "\\x41\\u00e9\\U0001F600"\n', 'a: "\\0"\n',
  '\uFEFFa: 1\n', 'a: 1\r\nb: [x, y]\r\n', 'a: 1 # c\n# d\nb: "#e"\n', '---\na: 1\n---\nb: 2\n', '---\na: 1\n...\n', '', '# only a comment\n', 'a\n',
  '- a\n- b\n', 'a:\n\tb: 1\n', 'a: |\n  x\n  y\n', 'a: >-\n  x\n  y\n', 'a: x\n  y\n', 'a: "x\n  y"\n', "a: 'it''s'\n", `${'k'.repeat(1100)}: v\n`,
  'a: [1, 2,]\n', 'a: {b: 1, c}\n', 'a: {"b":1,"c":[2]}\n', 'a: [[1], {b: [2]}]\n', 'a: b: c\n', 'a:b\n', '- - a\n  - b\n', 'a: "x" y\n',
  'a:\n- b\n- c\n', 'a: -\n', 'a: - b\n', 'a: @b\n', 'a: `b\n', 'a: %b\n', 'a: x!y\n', 'a: "!x"\n', 'a: [!x y]\n', 'a: "[a]: b"\n', 'a: ?b\n',
  'a: 1\n  b: 2\n', ' a: 1\nb: 2\n', 'a: 1\n b: 2\n', 'a: [\n  1,\n  2\n]\n', 'a: "\\u2028"\n', 'a: "\\e"\n', 'a: \u00e9\u4e2d\n', 'a: "\\N"\n',
];

describe('spec fast path agrees with the full parser', () => {
  it('on every YAML file in the repository (fixtures, invalid specs, lint cases, Kong examples)', () => {
    const files = ['fixtures', 'test/invalid', 'test/lint', 'test/kong-examples'].flatMap((d) => yamlFiles(join(ROOT, d)));
    expect(files.length).toBeGreaterThan(80);
    const ways = files.map((f) => compare(readFileSync(f, 'utf8')));
    // Every fixture is a plain spec: the fast path must answer for all of them.
    const fixtures = files.map((f, i) => [f, ways[i]] as const).filter(([f]) => f.includes('/fixtures/'));
    expect(fixtures.filter(([, w]) => w === 'full')).toEqual([]);
  });

  it('on every slot and payload of the security corpus', () => {
    let fast = 0;
    for (const slot of SLOTS) {
      for (const payload of Object.values(PAYLOADS)) {
        const value = slot.embed(payload);
        for (const scalar of [yamlString(value), JSON.stringify(value), value]) if (compare(slot.text.replace('@@', scalar)) === 'fast') fast++;
      }
    }
    expect(fast).toBeGreaterThan(1000);
  });

  it('on edge cases of YAML 1.1 versus 1.2, keys, tags, anchors, escapes and indentation', () => {
    const ways = EDGE_CASES.map(compare);
    expect(ways.filter((w) => w === 'fast').length).toBeGreaterThan(15);
  });

  it('on hostile inputs (the fast path hands them over or refuses them the same way)', () => {
    for (const [name, make] of Object.entries(HOSTILE_INPUTS)) {
      if (name.startsWith('50 MB')) continue; // refused by size before either parser runs (test/security/input-limits.test.ts)
      // Loose: where the yaml package runs out of stack on deep nesting depends on the JIT state of the moment.
      compare(make(), true);
    }
  }, 60_000);

  it('at the value and token caps of the full parser, in block style', () => {
    // "a:" then n items "- 1": the full parser counts 1 + 2n values. Both sides of the cap must agree.
    const list = (n: number) => `a:\n${'- 1\n'.repeat(n)}`;
    for (const n of [(MAX_NODES - 1) / 2 - 1, (MAX_NODES - 1) / 2, (MAX_NODES - 1) / 2 + 1]) compare(list(Math.floor(n)));
    expect(parseSpecText(list(MAX_NODES / 2), 'spec.yaml')).toMatchObject({ ok: false, diagnostics: [{ message: `spec has more than ${MAX_NODES} YAML values` }] });
    // Comment lines are tokens but no values.
    expect(parseSpecText(`version: 1\n${'# c\n'.repeat(MAX_TOKENS / 2)}`, 'spec.yaml')).toMatchObject({ ok: false, diagnostics: [{ message: `spec has more than ${MAX_TOKENS} YAML tokens` }] });
    compare(`version: 1\n${'# c\n'.repeat(MAX_TOKENS / 8)}`);
  }, 60_000);

  it('on generated documents in every YAML style the yaml package writes', () => {
    const key = fc.oneof(fc.stringMatching(/^[a-z][a-zA-Z0-9_-]{0,8}$/), fc.constantFrom('yes', 'no', 'on', 'null', '~', '1', '0x1', '1e3', '<<', 'a b', 'a:b', '-a', '? a', '"q"'), fc.string({ maxLength: 6 }));
    const scalar = fc.oneof(fc.string({ maxLength: 10 }), fc.string({ unit: 'binary', maxLength: 6 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null),
      fc.constantFrom('yes', 'No', 'ON', '~', 'null', '0o17', '0x1F', '017', '1_000', '.5', '1e3', '.inf', '2001-12-14', '12:30', '*a', '&a', '!x', '%x', '- a', '[a]', '{a}', '#c', 'a: b'));
    const data = fc.letrec((tie) => ({
      value: fc.oneof({ maxDepth: 3 }, scalar, tie('list'), tie('map')),
      list: fc.array(tie('value'), { maxLength: 4 }),
      map: fc.dictionary(key, tie('value'), { maxKeys: 4 }),
    })).map as fc.Arbitrary<Record<string, unknown>>;
    const options = fc.record({
      defaultStringType: fc.constantFrom('PLAIN', 'QUOTE_DOUBLE', 'QUOTE_SINGLE', 'BLOCK_LITERAL', 'BLOCK_FOLDED'),
      defaultKeyType: fc.constantFrom(null, 'PLAIN', 'QUOTE_DOUBLE'),
      collectionStyle: fc.constantFrom('any', 'block', 'flow'),
      indent: fc.integer({ min: 1, max: 4 }),
      indentSeq: fc.boolean(),
      lineWidth: fc.constantFrom(0, 20, 80),
    }) as fc.Arbitrary<Parameters<typeof stringify>[2] & object>;
    let fast = 0;
    fc.assert(fc.property(data, options, (d, o) => {
      if (compare(stringify({ version: 1, ...d }, o)) === 'fast') fast++;
    }), { numRuns: 1000 });
    expect(fast).toBeGreaterThan(300);
  });
});

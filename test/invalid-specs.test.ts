import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { EXPECTED } from './invalid/expected.js';
import { tempDir } from './helpers/tmp.js';

const DIR = join(import.meta.dirname, 'invalid');
const cases = readdirSync(DIR).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -5)).sort();

async function run(args: string[]) {
  const out: string[] = [], err: string[] = [];
  const code = await main(['node', 'edgegen', ...args], { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('invalid specs: exact position and message, exit 1, nothing written', () => {
  it('has at least 25 cases and an expectation for each', () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
    expect(Object.keys(EXPECTED).sort()).toEqual(cases);
  });

  for (const name of cases) {
    it(name, async () => {
      const file = join(DIR, `${name}.yaml`);
      const out = join(tempDir('edgegen-invalid-'), 'out');
      const r = await run(['build', file, '-o', out]);
      const [pos, message] = EXPECTED[name];
      expect(r.code).toBe(1);
      expect(r.err.split('\n')[0]).toMatch(new RegExp(`^${escape(file)}:${pos}: error: ${escape(message)}( \\(at [^)]+\\))?$`));
      expect(r.err).not.toMatch(/\n\s+at .*\.(ts|js):\d+/); // no stack trace
      expect(existsSync(out)).toBe(false);
    });
  }
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

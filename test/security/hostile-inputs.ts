/** Hostile spec documents, shared by test/security/input-limits.test.ts and scripts/bench-input-limits.ts. */

/** The classic "billion laughs": ten anchors, each a list of nine aliases of the previous one (10^9 strings). */
export function billionLaughs(): string {
  const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 10; i++) {
    const name = String.fromCharCode(97 + i);
    const prev = String.fromCharCode(96 + i);
    lines.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
  }
  return `${lines.join('\n')}\n`;
}

export const HOSTILE_INPUTS: Record<string, () => string> = {
  '50 MB spec': () => `version: 1\nname: big\nx: "${'x'.repeat(50 * 1024 * 1024)}"\n`,
  'billion laughs (YAML alias bomb)': billionLaughs,
  '5 MB flat list': () => `a: [${'1,'.repeat(2_500_000)}1]\n`,
  'flat list just under the value cap (parsed in full)': () => `a: [${'1,'.repeat(299_990)}1]\n`,
  '5 MB of "[" (deep flow)': () => `a: ${'['.repeat(2_500_000)}${']'.repeat(2_500_000)}\n`,
  '3000 levels of block mappings': () => `${Array.from({ length: 3000 }, (_, i) => `${' '.repeat(i)}k:`).join('\n')} x\n`,
  '5 MB of block sequence indicators on one line': () => `a:\n  ${'- '.repeat(2_400_000)}x\n`,
  '5 MB mapping with 400 000 keys': () => `a: {${Array.from({ length: 400_000 }, (_, i) => `k${i}: 1`).join(', ')}}\n`,
  '5 MB single scalar': () => `version: 1\nname: "${'x'.repeat(5_000_000)}"\n`,
};

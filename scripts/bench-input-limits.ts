/**
 * Time edgegen on hostile inputs: each must fail with a clear message in under 2 s.
 * Run: npx tsx scripts/bench-input-limits.ts   (exit 1 if any input is accepted or takes 2 s or more)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/cli/main.js';
import { compileSpec } from '../src/compile.js';
import { HOSTILE_INPUTS } from '../test/security/hostile-inputs.js';

const LIMIT_MS = 2000;
let bad = 0;
const row = (name: string, bytes: number, ms: number, message: string) => {
  const slow = ms >= LIMIT_MS;
  if (slow) bad++;
  console.log(`${slow ? 'SLOW' : 'ok  '} ${name.padEnd(48)} ${(bytes / 1024 / 1024).toFixed(1).padStart(5)} MB ${ms.toFixed(0).padStart(6)} ms  ${message}`);
};

console.log(`library: compileSpec(text) on each input (limit ${LIMIT_MS} ms)`);
for (const [name, make] of Object.entries(HOSTILE_INPUTS)) {
  const text = make();
  const t0 = performance.now();
  const r = compileSpec(text, 'hostile.yaml', { env: {} });
  const ms = performance.now() - t0;
  const d = r.diagnostics.find((x) => x.severity === 'error');
  if (r.ok || !d) bad++;
  row(name, Buffer.byteLength(text), ms, d ? `${d.line}:${d.col}: ${d.message}` : 'ACCEPTED (should have been refused)');
}

console.log('\nCLI: edgegen build <file> on the same inputs written to disk');
const dir = mkdtempSync(join(tmpdir(), 'edgegen-bench-'));
try {
  for (const [name, make] of Object.entries(HOSTILE_INPUTS)) {
    const file = join(dir, 'hostile.yaml');
    const text = make();
    writeFileSync(file, text);
    const err: string[] = [];
    const t0 = performance.now();
    const code = await main(['node', 'edgegen', 'build', file, '-o', join(dir, 'out')], { out: () => {}, err: (s) => err.push(s) });
    const ms = performance.now() - t0;
    if (code === 0) bad++;
    row(name, Buffer.byteLength(text), ms, `exit ${code}: ${err[0]?.split('\n')[0].replace(`${file}:`, '') ?? ''}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
if (bad) console.log(`\n${bad} input(s) were accepted or took ${LIMIT_MS} ms or more`);
process.exit(bad ? 1 : 0);

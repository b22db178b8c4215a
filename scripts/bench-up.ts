// Time from `up` to every instance healthy for the demo on the process runtime (median of 5), then `down`.
// Run: npx tsx scripts/bench-up.ts [fixture]   (default: demo-nginx-gateway)
import { mkdtempSync, readFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSpec } from '../src/compile.js';
import { processDriver } from '../src/runtime/process.js';
import { down, up } from '../src/runtime/stack.js';

const fixture = process.argv[2] ?? 'demo-nginx-gateway';
const file = join(import.meta.dirname, '..', 'fixtures', `${fixture}.yaml`);
const model = loadSpec(readFileSync(file, 'utf8'), file).model!;
const env = { DEMO_ALICE_KEY: 'alice-bench-key', DEMO_BOB_KEY: 'bob-bench-key' };
const driver = processDriver();
const times: number[] = [];
for (let i = 0; i < 5; i++) {
  const root = mkdtempSync(join(tmpdir(), 'edgegen-bench-up-'));
  const t = performance.now();
  const state = await up(model, { driver, root, specFile: file, env });
  times.push(performance.now() - t);
  await down(state, driver);
}
times.sort((a, b) => a - b);
const units = model.services.reduce((n, s) => n + s.instances.length, 0) + model.chain.reduce((n, l) => n + model[l]!.instances, 0);
console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}`);
console.log(`| fixture | instances | up -> all healthy (median of 5) | min | max |`);
console.log(`| --- | --- | --- | --- | --- |`);
console.log(`| ${fixture} | ${units} | ${Math.round(times[2])} ms | ${Math.round(times[0])} ms | ${Math.round(times[4])} ms |`);

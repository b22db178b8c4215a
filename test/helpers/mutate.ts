import { readFileSync, writeFileSync } from 'node:fs';
import { sleep } from '../../src/runtime/health.js';
import type { StackState, UnitState } from '../../src/runtime/state.js';

function configOf(u: UnitState): string {
  const i = u.argv.indexOf(u.engine === 'haproxy' ? '-f' : '-c');
  return u.argv[i + 1];
}

/** Edit a running nginx unit's config and reload it (SIGHUP to the master); returns a function that undoes it. */
export async function mutateNginx(state: StackState, layer: string, edit: (conf: string) => string): Promise<() => Promise<void>> {
  const units = state.units.filter((u) => u.layer === layer && u.engine === 'nginx');
  const originals = units.map((u) => readFileSync(configOf(u), 'utf8'));
  for (const [i, u] of units.entries()) {
    const changed = edit(originals[i]);
    if (changed === originals[i]) throw new Error(`mutation changed nothing in ${u.id}`);
    writeFileSync(configOf(u), changed);
    process.kill(u.pid!, 'SIGHUP');
  }
  await sleep(700);
  return async () => {
    for (const [i, u] of units.entries()) {
      writeFileSync(configOf(u), originals[i]);
      process.kill(u.pid!, 'SIGHUP');
    }
    await sleep(700);
  };
}

export { configOf };

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

/** Edit the load balancer's haproxy.cfg and restart it (HAProxy has no in-place reload here); returns the undo. */
export async function mutateHaproxy(state: StackState, driver: import('../../src/runtime/driver.js').Driver, edit: (cfg: string) => string): Promise<() => Promise<void>> {
  const u = state.units.find((x) => x.engine === 'haproxy')!;
  const original = readFileSync(configOf(u), 'utf8');
  const restart = async (text: string) => {
    writeFileSync(configOf(u), text);
    await driver.stop(u);
    const unit = { id: u.id, layer: u.layer, engine: u.engine, instance: u.instance, files: [], dirs: [], argv: u.argv, env: u.env, health: u.health, ports: u.ports };
    Object.assign(u, await driver.start(unit, u.logFile));
    await sleep(800);
  };
  const changed = edit(original);
  if (changed === original) throw new Error('mutation changed nothing in haproxy.cfg');
  await restart(changed);
  return () => restart(original);
}

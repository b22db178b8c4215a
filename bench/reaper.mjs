// Safety net of the benchmarks (started detached by bench/lib.ts): `node bench/reaper.mjs <benchmark pid> <temp dir>`.
// When the benchmark process is gone without cleaning up (SIGKILL, or a wrapper such as the tsx CLI force-killing it
// during a long synchronous step), stop what it started: the process groups listed in <temp dir>/.pgids and the units of
// every edgegen stack whose state file is still under <temp dir>/stacks/.edgegen/, then remove the temp dir.
// Exits quietly when the benchmark cleaned up itself (the temp dir is gone).
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const [pidArg, tmp] = process.argv.slice(2);
const parent = Number(pidArg);
if (!Number.isInteger(parent) || parent <= 1 || !tmp || !tmp.includes('edgegen-bench-')) process.exit(2);

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function groups() {
  const out = new Set();
  const reg = join(tmp, '.pgids');
  if (existsSync(reg)) for (const l of readFileSync(reg, 'utf8').split('\n')) if (/^\d+$/.test(l) && Number(l) > 1) out.add(Number(l));
  const stacks = join(tmp, 'stacks', '.edgegen');
  if (existsSync(stacks)) {
    for (const name of readdirSync(stacks)) {
      try {
        const state = JSON.parse(readFileSync(join(stacks, name, 'state.json'), 'utf8'));
        for (const u of state.units ?? []) if (Number.isInteger(u.pid) && u.pid > 1) out.add(u.pid);
      } catch { /* no state: nothing of this stack is running */ }
    }
  }
  return [...out];
}

for (;;) {
  if (!existsSync(tmp)) process.exit(0);
  if (!alive(parent)) break;
  await sleep(500);
}
await sleep(300); // let a cleanup that is still finishing win
if (!existsSync(tmp)) process.exit(0);
const gs = groups();
for (const g of gs) try { process.kill(-g, 'SIGTERM'); } catch { /* gone */ }
for (let i = 0; i < 30 && gs.some((g) => { try { process.kill(-g, 0); return true; } catch { return false; } }); i++) await sleep(100);
for (const g of gs) try { process.kill(-g, 'SIGKILL'); } catch { /* gone */ }
rmSync(tmp, { recursive: true, force: true });

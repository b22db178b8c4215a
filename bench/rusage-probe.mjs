// Preloaded into the measured `edgegen build` process by scripts/bench-compile.ts (node --import):
// when the process exits, it writes its own peak RSS and CPU time (getrusage(RUSAGE_SELF)) to the file
// named by EDGEGEN_BENCH_RUSAGE. Nothing else is changed in the measured process.
import { writeFileSync } from 'node:fs';

const out = process.env.EDGEGEN_BENCH_RUSAGE;
if (out) {
  process.on('exit', (code) => {
    const u = process.resourceUsage();
    // maxRSS is in KiB; CPU times in microseconds.
    writeFileSync(out, JSON.stringify({ code, maxRssKiB: u.maxRSS, userUs: u.userCPUTime, systemUs: u.systemCPUTime }));
  });
}

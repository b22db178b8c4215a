import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { UnitState } from '../runtime/state.js';

/** Log files where a unit records the requests it served (its own output, and nginx's access log under its -p prefix). */
function logFiles(u: UnitState): string[] {
  const files = [u.logFile];
  const p = u.argv.indexOf('-p');
  if (p > 0) files.push(join(u.argv[p + 1], 'access.log'));
  return files;
}

/** How many requests for a unique marker a unit has logged. */
export function servedCount(u: UnitState, marker: string): number {
  let n = 0;
  for (const f of logFiles(u)) {
    if (!existsSync(f)) continue;
    for (const line of readFileSync(f, 'utf8').split('\n')) if (line.includes(marker)) n++;
  }
  return n;
}

/** The units whose logs show a marker, polled for up to `waitMs` (NGINX proxies flush their access logs every second). */
export async function servedBy(units: UnitState[], marker: string, waitMs = 2500): Promise<string[]> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const ids = units.filter((u) => servedCount(u, marker) > 0).map((u) => u.id);
    if (ids.length || Date.now() > deadline) return ids;
    await new Promise((res) => setTimeout(res, 200));
  }
}

export function shareText(counts: number[], names: string[]): string {
  return counts.map((c, i) => `${names[i]}=${c}`).join(', ');
}

/** Do counts follow the weights within a relative tolerance? */
export function proportional(counts: number[], weights: number[], tolerance = 0.35): boolean {
  const total = counts.reduce((a, b) => a + b, 0);
  const wsum = weights.reduce((a, b) => a + b, 0);
  return total > 0 && counts.every((c, i) => Math.abs(c - (total * weights[i]) / wsum) <= Math.max(1, (total * weights[i] * tolerance) / wsum));
}

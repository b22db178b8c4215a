import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tempDir } from './tmp.js';

/** A scratch root for .edgegen/<stack>/ state, removed after the test file. */
export function scratchRoot(): string {
  return tempDir('edgegen-stack-');
}

/** Live (non-zombie) processes whose command line mentions a path: what a stack left running. */
export function processesMentioning(path: string): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8') : '';
      if (cmd.includes(path) && !/^\d+ \(.*\) Z/.test(stat) && Number(pid) !== process.pid) out.push(`${pid}: ${cmd.trim()}`);
    } catch { /* exited meanwhile */ }
  }
  return out;
}

/** Is a pid a live (non-zombie) process? */
export function alive(pid: number | undefined): boolean {
  if (!pid || !existsSync(`/proc/${pid}/stat`)) return false;
  return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
}

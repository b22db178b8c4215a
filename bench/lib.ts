// Helpers shared by scripts/bench-compile.ts and scripts/bench-traffic.ts: the machine, child processes in their
// own process groups (always stopped, also on error or Ctrl-C), loopback ports, wrk runs and tables.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** `--name=value` and `--flag` arguments. */
export function parseArgs(argv: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const a of argv) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (!m) throw new Error(`unknown argument "${a}"`);
    out.set(m[1], m[2] ?? 'true');
  }
  return out;
}

export function numberArg(args: Map<string, string>, name: string, fallback: number, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  const v = args.get(name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${name} takes a number from ${min} to ${max}, got "${v}"`);
  return n;
}

/** An executable on PATH or in the sbin directories (nginx and haproxy live in /usr/sbin on Debian). */
export function findExecutable(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/local/sbin', '/sbin', '/usr/bin', '/bin'];
  for (const d of dirs) {
    if (!d) continue;
    const p = join(d, name);
    try {
      if (statSync(p).isFile() && (statSync(p).mode & 0o111) !== 0) return p;
    } catch { /* not here */ }
  }
  return undefined;
}

function firstLine(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 5000 });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n').find((l) => l.trim() !== '')?.trim() ?? 'unknown';
}

/** The machine, for the header of a benchmark's output. */
export function machineLines(engines: boolean): string[] {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? cpus()[0]?.model ?? 'unknown';
  const nproc = firstLine('nproc', []);
  const lines = [
    `machine: ${nproc} CPU (nproc), ${model}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB memory, Linux ${release()}, node ${process.version}`,
  ];
  if (engines) {
    const v = (bin: string, args: string[]) => {
      const p = findExecutable(bin);
      return p ? firstLine(p, args) : `${bin}: not installed`;
    };
    lines.push(`engines: ${v('nginx', ['-v'])}; ${v('haproxy', ['-v'])}; ${v('wrk', ['--version']).replace(/ Copyright.*/, '')}`);
  }
  return lines;
}

/** Newest modification time of the files under a directory with one of the extensions. */
function newest(dir: string, exts: string[]): number {
  let t = 0;
  if (!existsSync(dir)) return t;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newest(p, exts));
    else if (exts.some((x) => e.name.endsWith(x))) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

/** The benchmarks measure the compiled dist/ (what bin/edgegen.js runs): refuse without it, warn when src/ is newer. */
export function checkDist(): string[] {
  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) {
    throw new Error('dist/ is missing: run `npm ci` (or `npm run build`) first; the benchmarks measure the compiled CLI');
  }
  const src = newest(join(ROOT, 'src'), ['.ts']);
  const dist = newest(join(ROOT, 'dist'), ['.js']);
  return src > dist ? ['warning: src/ has changes newer than dist/; run `npm run build` to measure them'] : [];
}

// ---------------------------------------------------------------- processes

const groups = new Set<number>();
let scratch: { dir: string; reaper?: number } | undefined;

/**
 * Start the safety net (bench/reaper.mjs, detached): if this process dies without cleaning up (SIGKILL, or the tsx
 * CLI force-killing it during a long synchronous step), the reaper stops the process groups started here and the
 * edgegen stacks under <dir>/stacks, and removes <dir>. `withCleanup` stops the reaper after a normal cleanup.
 */
export function startReaper(dir: string): void {
  const child = spawn(process.execPath, [join(ROOT, 'bench', 'reaper.mjs'), String(process.pid), dir], { detached: true, stdio: 'ignore' });
  child.unref();
  scratch = { dir, reaper: child.pid };
}

function writeRegistry(): void {
  if (scratch && existsSync(scratch.dir)) writeFileSync(join(scratch.dir, '.pgids'), [...groups].join('\n'));
}

/** Start a command as the leader of its own process group, output to a log file. */
export function startGroup(cmd: string, args: string[], logFile: string, env: NodeJS.ProcessEnv = process.env): ChildProcess & { pid: number } {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(cmd, args, { detached: true, stdio: ['ignore', fd, fd], env });
    if (!child.pid) throw new Error(`could not start ${cmd}`);
    groups.add(child.pid);
    writeRegistry();
    child.on('exit', () => { /* reaped; the group may still hold workers until stopGroup */ });
    return child as ChildProcess & { pid: number };
  } finally {
    closeSync(fd);
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM (SIGQUIT for nginx's graceful stop is not needed here) the whole group, SIGKILL after 3 s. */
export async function stopGroup(pgid: number): Promise<void> {
  if (!groups.has(pgid)) return;
  try { process.kill(-pgid, 'SIGTERM'); } catch { /* gone */ }
  for (let i = 0; i < 60 && groupAlive(pgid); i++) await sleep(50);
  if (groupAlive(pgid)) try { process.kill(-pgid, 'SIGKILL'); } catch { /* gone */ }
  for (let i = 0; i < 40 && groupAlive(pgid); i++) await sleep(50);
  groups.delete(pgid);
  writeRegistry();
}

export async function stopAllGroups(): Promise<void> {
  for (const g of [...groups].reverse()) await stopGroup(g);
}

/** Synchronous last resort (process 'exit'): SIGKILL every group still registered. */
export function killAllGroupsNow(): void {
  for (const g of groups) try { process.kill(-g, 'SIGKILL'); } catch { /* gone */ }
  groups.clear();
}

/**
 * Run `cleanup` once: after `main` (also when it throws), on SIGINT/SIGTERM/SIGHUP, and as a SIGKILL sweep on exit.
 */
let aborted = false;

/** Throws once a signal asked the benchmark to stop, so no new work starts while it cleans up. */
export function checkAborted(): void {
  if (aborted) throw new Error('interrupted');
}

export async function withCleanup(main: () => Promise<number>, cleanup: () => Promise<void>): Promise<never> {
  let cleaning: Promise<void> | undefined;
  const clean = () => (cleaning ??= cleanup().catch((e: Error) => console.error(`cleanup: ${e.message}`)).then(() => stopAllGroups()).then(() => {
    if (scratch?.reaper) try { process.kill(scratch.reaper, 'SIGTERM'); } catch { /* gone */ }
  }));
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      aborted = true;
      console.error(`\n${sig}: stopping everything this benchmark started`);
      void clean().finally(() => process.exit(130));
    });
  }
  process.once('exit', killAllGroupsNow);
  let code = 1;
  try {
    code = await main();
  } catch (e) {
    if (!aborted) console.error(`error: ${(e as Error).message}`);
    if (process.env.EDGEGEN_BENCH_DEBUG) console.error((e as Error).stack);
  } finally {
    await clean();
  }
  process.exit(code);
}

/**
 * Memory (MiB) of every process in a process group, from /proc: the proportional set size (PSS: each shared page
 * divided among the processes sharing it, so nginx workers forked from one master are not counted twice), or the
 * resident set size where smaps_rollup is missing.
 */
export function groupMemoryMiB(pgid: number): number {
  let kib = 0;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) !== pgid) continue; // field 5 (pgrp), counted after the command name
      const rollup = existsSync(`/proc/${d}/smaps_rollup`) ? readFileSync(`/proc/${d}/smaps_rollup`, 'utf8') : '';
      const m = /^Pss:\s+(\d+) kB/m.exec(rollup) ?? /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${d}/status`, 'utf8'));
      if (m) kib += Number(m[1]);
    } catch { /* exited meanwhile */ }
  }
  return kib / 1024;
}

/** 1-minute load average: other processes competing for the cores skew every figure. */
export function loadLine(when: string): string {
  const l = loadavg()[0];
  return `load average (1 min) ${when}: ${l.toFixed(2)}${l > 0.7 ? ' — other processes are using the CPUs; figures are disturbed, rerun on an idle machine' : ''}`;
}

// ---------------------------------------------------------------- network

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

const handedOut = new Set<number>();

/** `n` consecutive free loopback ports below the kernel's ephemeral range (so wrk's own sockets cannot take them). */
export async function freePorts(n: number): Promise<number[]> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = 12000 + Math.floor(Math.random() * 1900) * 10;
    const ports = Array.from({ length: n }, (_, i) => base + i);
    if (ports.some((p) => handedOut.has(p))) continue;
    let ok = true;
    for (const p of ports) if (!(await portFree(p))) { ok = false; break; }
    if (ok) {
      for (const p of ports) handedOut.add(p);
      return ports;
    }
  }
  throw new Error('no free loopback ports found between 12000 and 31000');
}

/** GET a URL once (loopback, no keep-alive): status and body. */
export async function get(url: string, timeoutMs = 2000): Promise<{ status: number; body: string }> {
  const ctl = new AbortController();
  const t = setTimeout(() => ctl.abort(), timeoutMs);
  try {
    const r = await fetch(url, { signal: ctl.signal, headers: { connection: 'close' } });
    return { status: r.status, body: await r.text() };
  } catch {
    return { status: 0, body: '' };
  } finally {
    clearTimeout(t);
  }
}

/** Wait until a URL answers 200 (the whole chain is up), or throw after timeoutMs. */
export async function waitFor200(url: string, timeoutMs: number, alive?: () => boolean): Promise<{ status: number; body: string }> {
  const deadline = Date.now() + timeoutMs;
  let last = { status: 0, body: '' };
  while (Date.now() < deadline) {
    last = await get(url);
    if (last.status === 200) return last;
    if (alive && !alive()) break;
    await sleep(100);
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs / 1000}s (last status ${last.status})`);
}

// ---------------------------------------------------------------- wrk

export interface WrkResult { rps: number; p50Ms: number; p99Ms: number; requests: number; non2xx: number; socketErrors: number }

function ms(v: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(v.trim());
  if (!m) return NaN;
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : n * 60_000;
}

export function parseWrk(out: string): WrkResult {
  const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? NaN);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    p50Ms: ms(/^\s+50%\s+(\S+)/m.exec(out)?.[1] ?? ''),
    p99Ms: ms(/^\s+99%\s+(\S+)/m.exec(out)?.[1] ?? ''),
    requests: num(/(\d+) requests in/),
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
    socketErrors: socket ? socket.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
  };
}

/** One wrk run against a loopback URL, killed if it overruns its duration by 20 s. */
export function wrk(bin: string, url: string, o: { threads: number; connections: number; seconds: number }): Promise<WrkResult> {
  if (!/^http:\/\/127\.0\.0\.1:\d+\//.test(url)) throw new Error(`wrk targets loopback only, not ${url}`);
  const args = [`-t${o.threads}`, `-c${o.connections}`, `-d${o.seconds}s`, '--timeout', '5s', '--latency', url];
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { out += c.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), (o.seconds + 20) * 1000);
    const stopOnSignal = () => child.kill('SIGKILL');
    process.once('SIGINT', stopOnSignal);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      process.removeListener('SIGINT', stopOnSignal);
      const r = parseWrk(out);
      if (code !== 0 || !Number.isFinite(r.rps)) reject(new Error(`wrk ${args.join(' ')} failed (exit ${code}): ${out.trim().split('\n').slice(-3).join(' | ')}`));
      else resolve(r);
    });
  });
}

// ---------------------------------------------------------------- numbers and tables

export function median(xs: number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export const fmt = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : '-');

export function fmtInt(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-';
}

/** A Markdown table (so a run's output can be pasted into docs as is); `right` marks right-aligned columns. */
export function table(head: string[], rows: string[][], right: boolean[] = []): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const cell = (s: string, i: number) => (right[i] ? s.padStart(w[i]) : s.padEnd(w[i]));
  const line = (r: string[]) => `| ${r.map(cell).join(' | ')} |`;
  const sep = `|${w.map((n, i) => (right[i] ? `${'-'.repeat(n + 1)}:` : `:${'-'.repeat(n + 1)}`)).join('|')}|`;
  return [line(head), sep, ...rows.map(line)].join('\n');
}

/** Substitute {{NAME}} placeholders; a placeholder without a value is an error. */
export function render(template: string, vars: Record<string, string | number>): string {
  return template.replace(/\{\{([A-Z_]+)\}\}/g, (_, k: string) => {
    if (!(k in vars)) throw new Error(`template placeholder {{${k}}} has no value`);
    return String(vars[k]);
  });
}

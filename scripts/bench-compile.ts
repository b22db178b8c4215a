// `npm run bench:compile` (node --import tsx scripts/bench-compile.ts [--sizes=10,100,1000,10000] [--runs=5] [--no-pin] [--keep])
//
// Compile speed of the CLI as users run it: for synthetic specs of 10 ... 10,000 routes (scripts/gen-spec.ts, up to
// 1,000 services, consumers and policies), the whole-process wall time and peak memory of
// `bin/edgegen.js build <spec> -o <tmp>` (executed like `npx edgegen`, lint included, as users run it; also once more with
// --no-lint), median of
// --runs runs after one discarded warm-up run,
// pinned to one core (taskset -c 0) unless --no-pin. Peak RSS and CPU time come from getrusage() inside the
// measured process (bench/rusage-probe.mjs, preloaded with NODE_OPTIONS=--import); wall time is measured around the spawn.
// Growth factors are between consecutive sizes, both of the wall time and of the time above a bare CLI start
// (`edgegen --version`), which is the part that should grow linearly with the routes.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, checkAborted, checkDist, findExecutable, fmt, fmtInt, loadLine, machineLines, median, numberArg, parseArgs, startReaper, table, withCleanup } from '../bench/lib.js';

interface Run { wallS: number; cpuS: number; rssMiB: number; code: number; stderr: string }

const args = parseArgs(process.argv.slice(2));
const sizes = (args.get('sizes') ?? '10,100,1000,10000').split(',').map((s) => {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1 || n > 100_000) throw new Error(`--sizes takes route counts from 1 to 100000, got "${s}"`);
  return n;
});
const runs = numberArg(args, 'runs', 5, 1, 50);
const pin = !args.has('no-pin');
const keep = args.has('keep');
const RUN_TIMEOUT_MS = 120_000;
/** The build being measured, stopped by the cleanup on Ctrl-C. */
let current: ChildProcess | undefined;

const tmp = mkdtempSync(join(tmpdir(), 'edgegen-bench-compile-'));
startReaper(tmp);
const probe = join(ROOT, 'bench', 'rusage-probe.mjs');
const cli = join(ROOT, 'bin', 'edgegen.js');
const taskset = pin ? findExecutable('taskset') : undefined;

function generate(routes: number): string {
  const file = join(tmp, `spec-${routes}.yaml`);
  const tsx = join(ROOT, 'node_modules', '.bin', 'tsx');
  const r = spawnSync(tsx, [join(ROOT, 'scripts', 'gen-spec.ts'), String(routes)], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`scripts/gen-spec.ts ${routes} failed: ${r.stderr}`);
  writeFileSync(file, r.stdout);
  return file;
}

/** One measured process: wall time around the spawn, getrusage() of the process itself from the probe. */
function measure(cliArgs: string[]): Promise<Run> {
  const usageFile = join(tmp, 'rusage.json');
  rmSync(usageFile, { force: true });
  // The bin runs as users run it (npx edgegen, a global install): executed, so its shebang's node settings apply.
  const [cmd, argv] = taskset ? [taskset, ['-c', '0', cli, ...cliArgs]] : [cli, cliArgs];
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, argv, { cwd: tmp, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, EDGEGEN_BENCH_RUSAGE: usageFile, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${probe}`.trim() } });
    current = child;
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => { if (stderr.length < 100_000) stderr += c.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      current = undefined;
      const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
      clearTimeout(timer);
      if (!existsSync(usageFile)) return reject(new Error(`edgegen ${cliArgs.join(' ')} exited (${code}) without a usage report: ${stderr.trim().slice(-500)}`));
      const u = JSON.parse(readFileSync(usageFile, 'utf8')) as { maxRssKiB: number; userUs: number; systemUs: number };
      resolve({ wallS, cpuS: (u.userUs + u.systemUs) / 1e6, rssMiB: u.maxRssKiB / 1024, code: code ?? 1, stderr });
    });
  });
}

function dirBytes(dir: string): number {
  if (!existsSync(dir)) return 0;
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) n += e.isDirectory() ? dirBytes(join(dir, e.name)) : statSync(join(dir, e.name)).size;
  return n;
}

async function series(label: string, cliArgs: () => string[], before?: () => void): Promise<Run[]> {
  const out: Run[] = [];
  for (let i = 0; i <= runs; i++) {
    checkAborted();
    before?.();
    const r = await measure(cliArgs());
    if (i > 0) out.push(r); // run 0 warms the page cache and is discarded
    process.stderr.write(`  ${label}: run ${i === 0 ? 'warm-up' : `${i}/${runs}`} ${r.wallS.toFixed(3)} s, ${r.rssMiB.toFixed(0)} MiB, exit ${r.code}\n`);
  }
  return out;
}

async function main(): Promise<number> {
  const loadAtStart = loadLine('at start');
  const warnings = checkDist();
  const lines: string[] = ['**edgegen bench:compile**', '', ...machineLines(false).map((l) => `${l}  `)];
  lines.push(`method: \`bin/edgegen.js build <spec> -o <tmp>\` executed as \`npx edgegen\` runs it (its shebang's node flags apply; lint included; the --no-lint column repeats it without the lint pass), median of ${runs} runs after 1 warm-up, ${taskset ? 'pinned to one core (taskset -c 0)' : 'not pinned'}; wall time around the process, peak RSS and CPU (user+sys) from getrusage() in the process  `);
  lines.push(`specs: \`scripts/gen-spec.ts <routes>\` with its defaults (HAProxy, Kong and NGINX layers, consumers and policies; services = min(1000, routes/10))  `);
  lines.push(`${loadAtStart}  `);
  for (const w of warnings) lines.push(w);

  process.stderr.write('bench:compile: CLI start-up baseline (edgegen --version)\n');
  const base = await series('--version', () => ['--version']);
  const startS = median(base.map((r) => r.wallS));

  const rows: { routes: number; services: number; specKiB: number; outKiB: number; runs: Run[]; noLint: Run[] }[] = [];
  for (const n of sizes) {
    process.stderr.write(`bench:compile: ${n} routes\n`);
    const spec = generate(n);
    const services = (readFileSync(spec, 'utf8').match(/^ {2}- name: svc-/gm) ?? []).length;
    const out = join(tmp, `out-${n}`);
    const clean = () => rmSync(out, { recursive: true, force: true });
    const noLint = await series(`${n} routes --no-lint`, () => ['build', spec, '-o', out, '--no-lint'], clean);
    const rs = await series(`${n} routes`, () => ['build', spec, '-o', out], clean);
    rows.push({ routes: n, services, specKiB: statSync(spec).size / 1024, outKiB: dirBytes(out) / 1024, runs: rs, noLint });
  }

  const body: string[][] = [];
  let prev: { wall: number; above: number; routes: number } | undefined;
  for (const r of rows) {
    const walls = r.runs.map((x) => x.wallS);
    const wall = median(walls);
    const above = wall - startS;
    const failed = r.runs.find((x) => x.code !== 0);
    const why = failed ? (failed.stderr.split('\n').find((l) => /error/.test(l)) ?? failed.stderr.split('\n')[0] ?? '').replace(/^.*?error: /, '').slice(0, 90) : '';
    body.push([
      r.routes.toLocaleString('en-US'), String(r.services), fmtInt(r.specKiB), failed ? '-' : fmtInt(r.outKiB),
      fmt(wall, 3), `${fmt(Math.min(...walls), 3)}–${fmt(Math.max(...walls), 3)}`, fmt(median(r.runs.map((x) => x.cpuS)), 3), fmt(median(r.runs.map((x) => x.rssMiB)), 0),
      fmt(median(r.noLint.map((x) => x.wallS)), 3),
      prev ? `×${fmt(wall / prev.wall)} (routes ×${fmt(r.routes / prev.routes, 0)})` : '', prev ? `×${fmt(above / prev.above)}` : '',
      failed ? `exit ${failed.code}: ${why}` : 'ok',
    ]);
    prev = { wall, above, routes: r.routes };
  }
  lines.push('', table(
    ['routes', 'services', 'spec KiB', 'output KiB', 'wall s (median)', 'wall min–max', 'CPU s', 'peak RSS MiB', 'wall s --no-lint', 'wall growth', 'growth above start-up', 'result'],
    body, [true, true, true, true, true, true, true, true, true, false, true, false],
  ));
  lines.push('', `CLI start-up baseline (\`edgegen --version\`): ${fmt(startS, 3)} s wall, ${fmt(median(base.map((r) => r.rssMiB)), 0)} MiB peak RSS; "growth above start-up" compares wall − baseline between sizes (linear in routes = the routes factor).`, '', 'goals:');

  const big = rows.find((r) => r.routes === 10_000);
  if (big) {
    const wall = median(big.runs.map((x) => x.wallS));
    const ok = big.runs.every((x) => x.code === 0);
    const noLint = median(big.noLint.map((x) => x.wallS));
    lines.push(`- 10,000 routes < 1 s wall on one core (\`edgegen build\`, lint included): ${ok ? `${fmt(wall, 3)} s — ${wall < 1 ? 'met' : 'NOT met'}` : `NOT met (the build fails after ${fmt(wall, 3)} s)`}; with --no-lint ${fmt(noLint, 3)} s`);
  }
  const okRows = rows.filter((r) => r.routes >= 100 && r.runs.every((x) => x.code === 0));
  if (okRows.length >= 2) {
    const perRoute = okRows.map((r) => (median(r.runs.map((x) => x.wallS)) - startS) / r.routes);
    const per = okRows.map((r, i) => `${r.routes.toLocaleString('en-US')}: ${fmt(perRoute[i] * 1e6, 0)} µs`);
    // Fixed costs (templates, schemas) spread over more routes make the per-route time fall; it must not rise.
    const worst = Math.max(...perRoute.slice(1).map((x, i) => x / perRoute[i]));
    lines.push(`- linear growth — time above start-up per route: ${per.join(', ')} — ${worst <= 1.2 ? 'met (does not rise with size)' : `NOT met (rises ×${fmt(worst)} per step)`}`);
  }
  console.log(lines.join('\n'));
  return rows.some((r) => [...r.runs, ...r.noLint].some((x) => x.code !== 0)) ? 1 : 0; // figures are printed either way
}

await withCleanup(main, async () => {
  current?.kill('SIGKILL');
  if (keep) process.stderr.write(`kept ${tmp}\n`);
  else rmSync(tmp, { recursive: true, force: true });
});

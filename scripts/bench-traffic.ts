// `npm run bench:traffic` (node --import tsx scripts/bench-traffic.ts [--duration=3] [--rounds=5] [--warmup=2] [--connections=32]
//   [--threads=1] [--routes=10000] [--services=10] [--only=a,b,...] [--budget=270] [--keep])
//
// Requests per second and p50/p99 latency of the stacks edgegen emits, measured side by side in one run with wrk on
// loopback (127.0.0.1) only. Every target is booted first (edgegen's own with the process runtime's `up()` from dist/,
// the hand-written reference and naive chains by spawning the installed nginx/haproxy directly), then each gets a
// warm-up and --rounds interleaved wrk runs (the order rotates per round); the table shows medians over the rounds.
// Everything started here is stopped at the end, also on error or Ctrl-C (edgegen's `down()` and process groups).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import type { Driver } from '../dist/runtime/driver.js';
import type { StackState } from '../dist/runtime/state.js';
import {
  ROOT, checkAborted, checkDist, findExecutable, fmt, fmtInt, freePorts, groupMemoryMiB, loadLine, machineLines, median, numberArg, parseArgs, render,
  sleep, startGroup, startReaper, table, waitFor200, withCleanup, wrk, type WrkResult,
} from '../bench/lib.js';

const args = parseArgs(process.argv.slice(2));
const opt = {
  duration: numberArg(args, 'duration', 3, 1, 60),
  rounds: numberArg(args, 'rounds', 5, 1, 10),
  warmup: numberArg(args, 'warmup', 2, 0, 30),
  connections: numberArg(args, 'connections', 32, 1, 1000),
  threads: numberArg(args, 'threads', 1, 1, 16),
  routes: numberArg(args, 'routes', 10_000, 11, 100_000),
  services: numberArg(args, 'services', 10, 1, 50),
  budget: numberArg(args, 'budget', 270, 30, 3600),
  only: args.get('only')?.split(','),
  keep: args.has('keep'),
};
/** The request path every target gets: route-0 of the generated specs (a shortest prefix, so it is ordered after
 * every regex and every longer prefix route), and the single route of the hand-written specs and chains. */
const PATH = '/api/g0/r0/bench';

interface Target {
  key: string;
  label: string;
  /** Expected `service` in the echo backend's answer: proves the request went through the intended route. */
  service: string;
  boot: () => Promise<{ url: string; pgids: number[]; configDirs: string[] }>;
  url?: string;
  pgids: number[];
  configDirs: string[];
  bootS?: number;
  error?: string;
  results: WrkResult[];
}

const started = Date.now();
const elapsedS = () => (Date.now() - started) / 1000;
const say = (s: string) => process.stderr.write(`[${fmt(elapsedS(), 0).padStart(3)} s] ${s}\n`);

const tmp = mkdtempSync(join(tmpdir(), 'edgegen-bench-traffic-'));
const stacksRoot = join(tmp, 'stacks');
startReaper(tmp);
const states: StackState[] = [];
/** An `up()` still running: cleanup waits for it, so it cannot start units after the stacks were stopped. */
let inflight: Promise<StackState> | undefined;
let driver: Driver | undefined;
let lib: {
  loadSpec: typeof import('../dist/compile.js').loadSpec;
  up: typeof import('../dist/runtime/stack.js').up;
  down: typeof import('../dist/runtime/stack.js').down;
  readState: typeof import('../dist/runtime/state.js').readState;
} | undefined;

const bins = { nginx: '', haproxy: '', wrk: '' };
const echoScript = join(ROOT, 'dist', 'runtime', 'echo-main.js');
const controlToken = randomBytes(16).toString('hex');

/** edgegen's echo backend as its own process (the direct target and the hand-written chains' backend). */
async function startEcho(dir: string, service: string): Promise<{ port: number; pgid: number }> {
  const [port] = await freePorts(1);
  const child = startGroup(process.execPath, [echoScript, service, '1', '127.0.0.1', String(port)], join(dir, `echo-${service}.log`),
    { PATH: process.env.PATH ?? '/usr/bin:/bin', EDGEGEN_CONTROL_TOKEN: controlToken });
  await waitFor200(`http://127.0.0.1:${port}/healthz`, 10_000, () => child.exitCode === null);
  return { port, pgid: child.pid };
}

function logTail(file: string, lines = 10): string {
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n') : '';
}

/** A hand-written chain from bench/<kind>/: echo <- nginx <- haproxy, spawned directly with the installed binaries. */
function handChain(kind: 'reference' | 'naive'): Target['boot'] {
  return async () => {
    const dir = join(tmp, kind);
    for (const d of ['tmp', 'proxy', 'lb']) mkdirSync(join(dir, d), { recursive: true });
    const echo = await startEcho(dir, kind);
    const [lbPort, proxyPort] = await freePorts(2);
    const vars = {
      LB_PORT: lbPort, PROXY_PORT: proxyPort, BACKEND_PORT: echo.port, DIR: join(dir, 'proxy'),
      USER_LINE: process.getuid?.() === 0 ? 'user root;  # started by root: workers run as root so they can read the private temp dir' : '# not root: workers run as the invoking user',
    };
    mkdirSync(join(dir, 'proxy', 'tmp'), { recursive: true });
    const conf = join(dir, 'proxy', 'nginx.conf');
    writeFileSync(conf, render(readFileSync(join(ROOT, 'bench', kind, 'nginx.conf'), 'utf8'), vars));
    const cfg = join(dir, 'lb', 'haproxy.cfg');
    writeFileSync(cfg, render(readFileSync(join(ROOT, 'bench', kind, 'haproxy.cfg'), 'utf8'), vars));
    const nginxLog = join(dir, 'proxy', 'nginx.log');
    const nginx = startGroup(bins.nginx, ['-p', join(dir, 'proxy'), '-e', join(dir, 'proxy', 'error.log'), '-c', conf, '-g', 'daemon off;'], nginxLog);
    const haproxyLog = join(dir, 'lb', 'haproxy.log');
    const haproxy = startGroup(bins.haproxy, ['-db', '-f', cfg], haproxyLog);
    const url = `http://127.0.0.1:${lbPort}${PATH}`;
    try {
      await waitFor200(url, 15_000, () => nginx.exitCode === null && haproxy.exitCode === null);
    } catch (e) {
      throw new Error(`${(e as Error).message}\nnginx: ${logTail(nginxLog)} ${logTail(join(dir, 'proxy', 'error.log'))}\nhaproxy: ${logTail(haproxyLog)}`);
    }
    return { url, pgids: [nginx.pid, haproxy.pid], configDirs: [join(dir, 'proxy'), join(dir, 'lb')] };
  };
}

/** An edgegen stack booted with the process runtime (engines on loopback, services replaced by the echo backend). */
function edgegenStack(file: string, text: string): Target['boot'] {
  return async () => {
    const { loadSpec, up } = lib!;
    const loaded = loadSpec(text, file);
    if (!loaded.model) throw new Error(`invalid spec ${file}: ${loaded.diagnostics.map((d) => d.message).join('; ')}`);
    const booting = up(loaded.model, { driver: driver!, root: stacksRoot, specFile: file, env: process.env, timeoutMs: 60_000 });
    inflight = booting;
    const state = await booting.finally(() => { inflight = undefined; });
    states.push(state);
    if (!state.entry.http) throw new Error('the stack has no plain-HTTP entry');
    const engines = state.units.filter((u) => u.engine !== 'echo' && u.pid !== undefined);
    return { url: `${state.entry.http}${PATH}`, pgids: engines.map((u) => u.pid!), configDirs: engines.map((u) => join(state.stateDir, u.id)) };
  };
}

/** scripts/gen-spec.ts output, made bootable on one machine and comparable with the other targets (see the notes). */
function generatedSpec(routes: number, layers: 'lb,proxy' | 'lb'): { file: string; text: string } {
  const tsx = join(ROOT, 'node_modules', '.bin', 'tsx');
  const r = spawnSync(tsx, [join(ROOT, 'scripts', 'gen-spec.ts'), String(routes), String(opt.services), `--layers=${layers}`], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`scripts/gen-spec.ts failed: ${r.stderr}`);
  const spec = parseYaml(r.stdout) as { name: string; proxy?: Record<string, unknown>; services: { instances: unknown[] }[] };
  spec.name = `bench-${layers === 'lb' ? 'lb' : 'chain'}-${routes}`;
  if (spec.proxy) {
    delete spec.proxy.cache; // every request must reach the backend, as in the other targets
    spec.proxy.instances = 1; // one instance per hop, as in the other targets
  }
  for (const s of spec.services) s.instances = s.instances.slice(0, 1); // the process runtime runs one echo per instance
  const file = join(tmp, `${spec.name}.yaml`);
  const text = stringifyYaml(spec, { lineWidth: 0 });
  writeFileSync(file, text);
  return { file, text };
}

function specFile(name: string): { file: string; text: string } {
  const file = join(ROOT, 'bench', 'specs', name);
  return { file, text: readFileSync(file, 'utf8') };
}

function configKiB(dirs: string[]): number {
  let n = 0;
  const walk = (d: string) => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) { if (!['tmp', 'logs', 'prefix', 'certs'].includes(e.name)) walk(p); }
      else if (!/\.(log|pid)$/.test(e.name)) n += statSync(p).size;
    }
  };
  dirs.forEach(walk);
  return n / 1024;
}

function targets(): Target[] {
  const k = (opt.routes / 1000).toLocaleString('en-US');
  const big = opt.routes >= 1000 && opt.routes % 1000 === 0 ? `${k}k` : String(opt.routes);
  const t = (key: string, label: string, service: string, boot: Target['boot']): Target => ({ key, label, service, boot, pgids: [], configDirs: [], results: [] });
  const list: Target[] = [
    t('a', 'echo backend directly', 'direct', async () => {
      const dir = join(tmp, 'direct');
      mkdirSync(dir, { recursive: true });
      const echo = await startEcho(dir, 'direct');
      return { url: `http://127.0.0.1:${echo.port}${PATH}`, pgids: [echo.pgid], configDirs: [] };
    }),
    t('b', 'edgegen: NGINX -> backend (1 route)', 'echo', async () => { const s = specFile('proxy.yaml'); return edgegenStack(s.file, s.text)(); }),
    t('c', 'edgegen: HAProxy -> NGINX -> backend (1 route)', 'echo', async () => { const s = specFile('chain.yaml'); return edgegenStack(s.file, s.text)(); }),
    t('d10', 'edgegen: HAProxy -> NGINX -> backend, 10 routes', 'svc-0', async () => { const s = generatedSpec(10, 'lb,proxy'); return edgegenStack(s.file, s.text)(); }),
    t(`d${big}`, `edgegen: HAProxy -> NGINX -> backend, ${opt.routes.toLocaleString('en-US')} routes`, 'svc-0', async () => { const s = generatedSpec(opt.routes, 'lb,proxy'); return edgegenStack(s.file, s.text)(); }),
    t('e', 'reference: HAProxy -> NGINX -> backend (hand-tuned)', 'reference', handChain('reference')),
    t('f', 'naive: HAProxy -> NGINX -> backend (no keepalive)', 'naive', handChain('naive')),
    t('g10', 'edgegen: HAProxy routes -> backend, 10 routes', 'svc-0', async () => { const s = generatedSpec(10, 'lb'); return edgegenStack(s.file, s.text)(); }),
    t(`g${big}`, `edgegen: HAProxy routes -> backend, ${opt.routes.toLocaleString('en-US')} routes`, 'svc-0', async () => { const s = generatedSpec(opt.routes, 'lb'); return edgegenStack(s.file, s.text)(); }),
  ];
  return opt.only ? list.filter((x) => opt.only!.includes(x.key)) : list;
}

async function main(): Promise<number> {
  const loadAtStart = loadLine('at start');
  const warnings = checkDist();
  for (const b of ['nginx', 'haproxy', 'wrk'] as const) {
    const p = findExecutable(b);
    if (!p) throw new Error(`${b} is not installed: run \`bash scripts/setup.sh\` as root (or apt-get install -y ${b})`);
    bins[b] = p;
  }
  lib = {
    ...(await import('../dist/compile.js')),
    ...(await import('../dist/runtime/stack.js')),
    ...(await import('../dist/runtime/state.js')),
  };
  driver = (await import('../dist/runtime/process.js')).processDriver();
  mkdirSync(stacksRoot, { recursive: true });

  const list = targets();
  const perTarget = opt.warmup + opt.rounds * opt.duration;
  say(`bench:traffic: ${list.length} targets, ${opt.warmup} s warm-up + ${opt.rounds} × ${opt.duration} s each (about ${Math.ceil((list.length * perTarget) / 60)} min of load), wrk -t${opt.threads} -c${opt.connections}; temp dir ${tmp}`);

  for (const t of list) {
    checkAborted();
    say(`boot ${t.key}: ${t.label}`);
    const t0 = Date.now();
    try {
      const r = await t.boot();
      Object.assign(t, r);
      t.bootS = (Date.now() - t0) / 1000;
      // The request must reach the intended backend through the intended route, or the figures mean nothing.
      const first = await waitFor200(t.url!, 10_000);
      let got: string | undefined;
      try { got = (JSON.parse(first.body) as { service?: string }).service; } catch { got = `(not the echo backend: ${first.body.slice(0, 60)})`; }
      if (got !== t.service) throw new Error(`${PATH} reached service "${got}", expected "${t.service}"`);
      say(`  up in ${fmt(t.bootS, 1)} s: ${t.url}`);
    } catch (e) {
      checkAborted();
      t.bootS = (Date.now() - t0) / 1000;
      t.error = (e as Error).message.split('\n')[0].replaceAll(`${tmp}/`, '').slice(0, 240);
      say(`  FAILED after ${fmt(t.bootS, 1)} s: ${(e as Error).message}`);
    }
  }

  const live = list.filter((t) => !t.error);
  if (opt.warmup > 0) for (const t of live) {
    checkAborted();
    say(`warm-up ${t.key}`);
    try { await wrk(bins.wrk, t.url!, { ...opt, seconds: opt.warmup }); } catch (e) { checkAborted(); t.error = (e as Error).message.slice(0, 160); }
  }
  let skipped = 0;
  for (let round = 0; round < opt.rounds; round++) {
    const ok = live.filter((t) => !t.error);
    const order = ok.map((_, i) => ok[(i + round) % ok.length]);
    for (const t of order) {
      checkAborted();
      if (elapsedS() + opt.duration + 5 > opt.budget) { skipped++; continue; }
      try {
        const r = await wrk(bins.wrk, t.url!, { ...opt, seconds: opt.duration });
        t.results.push(r);
        say(`round ${round + 1}/${opt.rounds} ${t.key}: ${fmtInt(r.rps)} req/s, p50 ${fmt(r.p50Ms)} ms, p99 ${fmt(r.p99Ms)} ms${r.non2xx + r.socketErrors ? `, ${r.non2xx} non-2xx, ${r.socketErrors} socket errors` : ''}`);
      } catch (e) {
        checkAborted();
        t.error = (e as Error).message.slice(0, 160);
        say(`round ${round + 1} ${t.key}: ${t.error}`);
      }
    }
  }
  const rss = new Map(list.map((t) => [t.key, t.pgids.reduce((a, g) => a + groupMemoryMiB(g), 0)]));

  // ---------------------------------------------------------------- report
  const rps = (t?: Target) => (t && t.results.length ? median(t.results.map((r) => r.rps)) : NaN);
  const byKey = (k: string) => list.find((t) => t.key === k);
  const direct = rps(byKey('a'));
  const notes: string[] = [];
  const rows = list.map((t) => {
    const v = rps(t);
    const xs = t.results.map((r) => r.rps);
    const errs = t.results.reduce((a, r) => a + r.non2xx + r.socketErrors, 0);
    return [
      t.key, t.label, fmtInt(v), xs.length ? `${fmtInt(Math.min(...xs))}–${fmtInt(Math.max(...xs))}` : '-', Number.isFinite(direct) ? fmt(v / direct) : '-',
      fmt(median(t.results.map((r) => r.p50Ms))), fmt(median(t.results.map((r) => r.p99Ms))),
      t.error ? `FAILED [${notes.push(`[${notes.length + 1}] ${t.key}: ${t.error}`)}]` : String(errs), fmt(t.bootS ?? NaN, 1),
      t.error ? '-' : fmt(rss.get(t.key)!, 0), t.configDirs.length ? fmtInt(configKiB(t.configDirs)) : '-',
    ];
  });
  const lines = ['**edgegen bench:traffic**', '', ...machineLines(true).map((l) => `${l}  `)];
  lines.push(`load: \`wrk -t${opt.threads} -c${opt.connections} --latency http://127.0.0.1:PORT${PATH}\` (loopback only); per target ${opt.warmup} s warm-up, then ${opt.rounds} interleaved rounds of ${opt.duration} s; medians over the rounds  `);
  lines.push(`edgegen stacks: process runtime (\`up()\` from dist/, configs emitted for the installed engine versions), services = edgegen's echo backend (node); b, c: bench/specs/{proxy,chain}.yaml; d, g: \`scripts/gen-spec.ts <routes> ${opt.services} --layers=lb,proxy\` (d) or \`--layers=lb\` (g), then one instance per service and proxy and no proxy cache (every request reaches the backend, as in the other targets); e, f: bench/reference and bench/naive, started with the installed nginx/haproxy  `);
  lines.push(`${loadAtStart}  `);
  for (const w of warnings) lines.push(w);
  lines.push('', table(['', 'target', 'req/s', 'req/s min–max', '× direct', 'p50 ms', 'p99 ms', 'errors', 'boot s', 'memory MiB', 'config KiB'], rows,
    [false, false, true, true, true, true, true, false, true, true, true]));
  if (notes.length) lines.push('', ...notes.map((n) => `${n}  `));
  lines.push('', 'errors: non-2xx responses plus socket errors over all rounds; boot s: until the chain answered (edgegen: `up()`, including emitting the configs); memory MiB: proportional set size (PSS) of the engine processes (nginx master and workers, haproxy) after the load, or of the echo process for the direct target; config KiB: the engines\' config files.');

  const ratio = (num: string, den: string, what: string, goal?: number) => {
    const a = rps(byKey(num));
    const b = rps(byKey(den));
    const r = a / b;
    const verdict = !Number.isFinite(r) ? 'not measured' : goal === undefined ? 'no goal' : `goal ≥ ${fmt(goal)}: ${r >= goal ? 'met' : 'NOT met'}`;
    lines.push(`- ${what} (${num} / ${den}): ${Number.isFinite(r) ? fmt(r) : '-'} — ${verdict}`);
  };
  const bigKey = list.find((t) => /^d\d/.test(t.key) && t.key !== 'd10')?.key ?? 'd?';
  const bigG = list.find((t) => /^g\d/.test(t.key) && t.key !== 'g10')?.key ?? 'g?';
  lines.push('', 'ratios:');
  ratio('c', 'e', 'edgegen chain vs hand-tuned reference chain', 1.0);
  ratio('c', 'f', 'edgegen chain vs naive chain', 2.0);
  ratio(bigKey, 'd10', `edgegen chain, ${opt.routes.toLocaleString('en-US')} routes vs 10 routes`, 0.9);
  ratio(bigG, 'g10', `HAProxy routing, ${opt.routes.toLocaleString('en-US')} routes vs 10 routes (not an issue-8 goal; shown for the map files)`);
  ratio('c', 'a', 'edgegen chain vs direct backend (reported, not targeted)');
  if (skipped) lines.push('', `warning: ${skipped} wrk runs skipped to stay within the ${opt.budget} s budget`);
  lines.push('', `finished in ${fmt(elapsedS(), 0)} s`);
  console.log(lines.join('\n'));
  return list.some((t) => t.error) ? 1 : 0;
}

await withCleanup(main, async () => {
  say('stopping everything this benchmark started');
  if (inflight) {
    say('waiting for the stack being booted (it stops itself if booting fails)');
    await Promise.race([inflight.then((st) => { states.push(st); }, () => {}), sleep(90_000)]);
  }
  if (lib && driver) {
    // Every stack up() got as far as writing state for, also one that was interrupted while booting.
    const dir = join(stacksRoot, '.edgegen');
    const all = [...states];
    if (existsSync(dir)) for (const n of readdirSync(dir)) {
      const s = lib.readState(join(dir, n));
      if (s && !all.some((x) => x.stateDir === s.stateDir)) all.push(s);
    }
    for (const s of all.reverse()) await lib.down(s, driver).catch((e: Error) => say(`down ${s.name}: ${e.message}`));
  }
  await sleep(0);
  if (opt.keep) say(`kept ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });
});

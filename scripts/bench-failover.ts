// `npm run bench:failover` (node --import tsx scripts/bench-failover.ts [--duration=6] [--stop-at=2] [--connections=32]
//   [--layers=gateway,proxy,service] [--kinds=SIGTERM,SIGKILL] [--rounds=1])
//
// Requests lost when one instance stops under load, on the process runtime: HAProxy -> 3 NGINX-engine gateways ->
// 3 NGINX proxies -> 3 echo service instances (every spec default). For each layer and stop kind a fresh stack is booted,
// wrk sends GETs over --connections keep-alive connections for --duration seconds (loopback only), and --stop-at
// seconds in one instance of the layer is stopped: SIGTERM to its main process (what a supervisor sends), or SIGKILL
// to every process it started (a crash). Reported: requests sent, non-2xx answers and socket errors, per run.
// Everything started here is stopped at the end, also on error or Ctrl-C.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { loadSpec } from '../src/compile.js';
import { groupMembers, sleep } from '../src/runtime/health.js';
import { processDriver } from '../src/runtime/process.js';
import { down, up } from '../src/runtime/stack.js';
import type { StackState, UnitState } from '../src/runtime/state.js';
import { checkAborted, findExecutable, fmtInt, loadLine, machineLines, numberArg, parseArgs, startReaper, table, withCleanup } from '../bench/lib.js';

const args = parseArgs(process.argv.slice(2));
const opt = {
  duration: numberArg(args, 'duration', 6, 2, 60),
  stopAt: numberArg(args, 'stop-at', 2, 1, 59),
  connections: numberArg(args, 'connections', 32, 1, 512),
  rounds: numberArg(args, 'rounds', 1, 1, 10),
  layers: (args.get('layers') ?? 'gateway,proxy,service').split(','),
  kinds: (args.get('kinds') ?? 'SIGTERM,SIGKILL').split(','),
};
for (const l of opt.layers) if (!['gateway', 'proxy', 'service'].includes(l)) throw new Error(`--layers takes gateway, proxy, service; got "${l}"`);
for (const k of opt.kinds) if (!['SIGTERM', 'SIGKILL'].includes(k)) throw new Error(`--kinds takes SIGTERM, SIGKILL; got "${k}"`);
if (opt.stopAt >= opt.duration) throw new Error('--stop-at must fall within --duration');

const SPEC = `version: 1
name: bench-failover
loadBalancer:
  ports: { http: 80 }
  healthCheck: {}
gateway:
  engine: nginx
  instances: 3
  ports: { http: 8000 }
proxy:
  instances: 3
  ports: { http: 8080 }
services:
  - name: api
    instances: [{ address: api-1:3000 }, { address: api-2:3000 }, { address: api-3:3000 }]
    healthCheck: {}
routes:
  - name: api
    match: { path: /api }
    service: api
`;

interface Run { layer: string; kind: string; round: number; victim: string; requests: number; rps: number; non2xx: number; connect: number; read: number; write: number; timeout: number; left: number }

const tmp = mkdtempSync(join(tmpdir(), 'edgegen-bench-failover-'));
const stacksRoot = join(tmp, 'stacks');
mkdirSync(stacksRoot, { recursive: true });
startReaper(tmp);
const driver = processDriver();
const states: StackState[] = [];
const say = (s: string) => process.stderr.write(`${s}\n`);

/** wrk for `seconds` against a loopback URL; `at` runs after `atS` seconds. */
function wrkWithStop(bin: string, url: string, seconds: number, atS: number, at: () => void): Promise<string> {
  if (!/^http:\/\/127\.0\.0\.1:\d+\//.test(url)) throw new Error(`wrk targets loopback only, not ${url}`);
  return new Promise((resolve, reject) => {
    const child = spawn(bin, ['-t1', `-c${opt.connections}`, `-d${seconds}s`, '--timeout', '5s', url], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { out += c.toString(); });
    const timer = setTimeout(at, atS * 1000);
    const guard = setTimeout(() => child.kill('SIGKILL'), (seconds + 20) * 1000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      clearTimeout(guard);
      if (code !== 0) reject(new Error(`wrk failed (exit ${code}): ${out.trim().split('\n').slice(-2).join(' | ')}`));
      else resolve(out);
    });
  });
}

function stopAs(u: UnitState, kind: string): void {
  if (kind === 'SIGTERM') process.kill(u.pid!, 'SIGTERM');
  else process.kill(-u.pid!, 'SIGKILL');
}

async function main(): Promise<number> {
  const wrk = findExecutable('wrk');
  if (!wrk) throw new Error('wrk is not installed (apt-get install wrk)');
  const model = loadSpec(SPEC, 'bench-failover.yaml').model!;
  const lines = [
    '**edgegen bench:failover**', '',
    `${machineLines(true).join('  \n')}  `,
    `stack: process runtime, HAProxy -> 3 NGINX-engine gateways -> 3 NGINX proxies -> 3 echo instances (spec defaults; configs emitted for the installed engines)  `,
    `load: \`wrk -t1 -c${opt.connections} -d${opt.duration}s --timeout 5s\` GET on loopback; one instance of the layer stopped ${opt.stopAt} s in: SIGTERM to its main process, or SIGKILL to every process it started  `,
    `${loadLine('at start')}  `,
  ];
  const runs: Run[] = [];
  for (let round = 1; round <= opt.rounds; round++)
    for (const layer of opt.layers)
      for (const kind of opt.kinds) {
        checkAborted();
        const root = join(stacksRoot, `${layer}-${kind}-${round}`);
        const state = await up(model, { driver, root, specFile: 'bench-failover.yaml', env: {}, timeoutMs: 60_000 });
        states.push(state);
        try {
          const victim = state.units.find((u) => u.layer === layer)!;
          await sleep(500);
          const out = await wrkWithStop(wrk, `${state.entry.http}/api/bench`, opt.duration, opt.stopAt, () => stopAs(victim, kind));
          for (let i = 0; i < 40 && groupMembers(victim.pid!).length; i++) await sleep(50);
          const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)?.slice(1).map(Number) ?? [0, 0, 0, 0];
          const run: Run = {
            layer, kind, round, victim: victim.id,
            requests: Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN),
            rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN),
            non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
            connect: socket[0], read: socket[1], write: socket[2], timeout: socket[3],
            left: groupMembers(victim.pid!).length,
          };
          runs.push(run);
          say(`${layer} ${kind} round ${round}: ${run.requests} requests, ${run.non2xx} non-2xx, socket errors ${socket.join('/')}`);
        } finally {
          await down(state, driver);
          states.splice(states.indexOf(state), 1);
        }
      }
  const rows = runs.map((r) => [r.layer, r.kind, ...(opt.rounds > 1 ? [String(r.round)] : []), r.victim, fmtInt(r.requests), fmtInt(r.rps), fmtInt(r.non2xx),
    `${r.connect + r.read + r.write + r.timeout} (${r.connect}/${r.read}/${r.write}/${r.timeout})`, String(r.left)]);
  const head = ['layer', 'stop', ...(opt.rounds > 1 ? ['round'] : []), 'instance stopped', 'requests', 'req/s', 'non-2xx', 'socket errors (connect/read/write/timeout)', 'processes left'];
  lines.push('', table(head, rows, head.map((h) => ['requests', 'req/s', 'non-2xx', 'processes left', 'round'].includes(h))));
  const failed = runs.reduce((n, r) => n + r.non2xx + r.connect + r.read + r.write + r.timeout, 0);
  const sent = runs.reduce((n, r) => n + r.requests, 0);
  lines.push('', `total: ${fmtInt(failed)} failed of ${fmtInt(sent)} requests — goal 0: ${failed === 0 ? 'met' : 'NOT met'}`);
  lines.push(`the load balancer layer has one instance here: stopping it stops the entry, so it is not measured`);
  console.log(lines.join('\n'));
  return failed === 0 ? 0 : 1;
}

await withCleanup(main, async () => {
  for (const s of [...states]) await down(s, driver).catch(() => {});
  rmSync(tmp, { recursive: true, force: true });
});

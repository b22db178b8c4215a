import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { findBinary } from '../engines/binaries.js';
import { groupMembers, sleep } from './health.js';
import { RuntimeError, tail, type Driver } from './driver.js';
import type { UnitState } from './state.js';
import { stopSignal, type Engine, type Unit } from './units.js';

/** How long a graceful stop may take before the unit's processes are killed. */
export const STOP_GRACE_MS = 10_000;

const INSTALL_HINT: Record<Engine, string> = {
  nginx: 'apt-get install nginx',
  haproxy: 'apt-get install haproxy',
  kong: 'the gateway layer needs Kong, which has no Debian package. Choose one: run with --runtime docker and a Kong image (--image gateway=kong:3.9.3), set gateway.engine: nginx in the spec, or pass --bypass gateway to wire the load balancer straight to the next layer',
  echo: '',
};

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8') : '';
    return !/^\d+ \(.*\) Z/.test(stat); // a zombie has exited
  } catch {
    return false;
  }
}

/**
 * Engines installed on this machine, run as child processes that outlive the CLI, each the leader of its own process
 * group; `down` stops exactly those groups.
 */
export function processDriver(): Driver {
  const binaries = new Map<string, string>();
  return {
    kind: 'process',
    async preflight(units: Unit[]) {
      for (const engine of new Set(units.map((u) => u.engine))) {
        if (engine === 'echo') { binaries.set('node', process.execPath); continue; }
        const bin = await findBinary(engine);
        if (!bin) throw new RuntimeError(`${engine} is not installed on this machine (${INSTALL_HINT[engine]})`);
        binaries.set(engine, bin);
      }
    },
    async start(unit: Unit, logFile: string) {
      const bin = binaries.get(unit.argv[0]) ?? (unit.argv[0] === 'node' ? process.execPath : await findBinary(unit.argv[0] as 'nginx' | 'haproxy' | 'kong'));
      if (!bin) throw new RuntimeError(`${unit.argv[0]} is not installed (${INSTALL_HINT[unit.engine]})`);
      const fd = openSync(logFile, 'a');
      try {
        const child = spawn(bin, unit.argv.slice(1), { detached: true, stdio: ['ignore', fd, fd], env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...unit.env } });
        child.unref();
        if (!child.pid) throw new RuntimeError(`${unit.id}: could not start ${bin}`);
        return { pid: child.pid };
      } finally {
        closeSync(fd);
      }
    },
    async alive(u: UnitState) {
      return u.pid !== undefined && isAlive(u.pid);
    },
    async stop(u: UnitState) {
      if (u.pid === undefined) return;
      // Every unit leads its own process group (spawned detached): the whole group goes, also workers whose master
      // already died (they would keep serving and keep its ports).
      const pgid = u.pid;
      const running = () => isAlive(pgid) || groupMembers(pgid).length > 0;
      if (!running()) return;
      const signal = (sig: NodeJS.Signals) => { try { process.kill(-pgid, sig); } catch { try { process.kill(pgid, sig); } catch { /* gone */ } } };
      // Graceful first (nginx SIGQUIT, HAProxy SIGUSR1): requests in flight are answered, nothing new is accepted.
      signal(stopSignal(u.engine));
      for (let i = 0; i < STOP_GRACE_MS / 100 && running(); i++) await sleep(100);
      if (running()) signal('SIGKILL');
      for (let i = 0; i < 40 && running(); i++) await sleep(50);
    },
    async logs(u: UnitState, lines = 50) {
      const text = existsSync(u.logFile) ? readFileSync(u.logFile, 'utf8') : '';
      const e = u.argv.indexOf('-e');
      const err = u.engine === 'nginx' && e > 0 ? u.argv[e + 1] : undefined;
      const extra = err && existsSync(err) ? readFileSync(err, 'utf8') : '';
      return tail(`${text}${extra}`, lines);
    },
  };
}

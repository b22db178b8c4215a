import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import type { Endpoint } from '../model/plan.js';
import type { Unit } from './units.js';

export function httpStatus(url: string, timeoutMs = 1000): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'GET', timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}

export function tcpOpen(ep: Endpoint, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: ep.host, port: ep.port, timeout: timeoutMs });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('timeout', () => { s.destroy(); resolve(false); });
    s.once('error', () => resolve(false));
  });
}

export async function healthy(unit: Pick<Unit, 'health'>): Promise<boolean> {
  return unit.health.kind === 'http' ? (await httpStatus(unit.health.url)) === 200 : tcpOpen(unit.health.endpoint);
}

/** Is a port free to bind on this host? */
export async function portFree(ep: Endpoint): Promise<boolean> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(ep.port, ep.host, () => srv.close(() => resolve(true)));
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Live (non-zombie) processes of a process group, from /proc (Linux); empty where /proc is absent. */
export function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  let pids: string[] = [];
  try { pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p)); } catch { return out; }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // After the command name: state, ppid, pgrp.
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z') out.push(Number(pid));
    } catch { /* exited meanwhile */ }
  }
  return out;
}

/** A process's command line, for messages ("nginx: worker process"). */
export function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0+$/, '').replace(/\0/g, ' ').slice(0, 120) || `pid ${pid}`;
  } catch {
    return `pid ${pid}`;
  }
}

/** The process listening on a TCP port of this host (from /proc/net/tcp and tcp6 and each process's open sockets), if it can be seen. */
export function portHolder(ep: Endpoint): { pid: number; command: string } | undefined {
  const port = ep.port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try { text = readFileSync(table, 'utf8'); } catch { continue; }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is ADDR:PORT in hex; state 0A is LISTEN; field 10 is the socket inode.
      if (f.length > 9 && f[1].endsWith(`:${port}`) && f[3] === '0A') inodes.add(`socket:[${f[9]}]`);
    }
  }
  if (!inodes.size) return undefined;
  let pids: string[] = [];
  try { pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p)); } catch { return undefined; }
  for (const pid of pids) {
    let fds: string[] = [];
    try { fds = readdirSync(`/proc/${pid}/fd`); } catch { continue; }
    for (const fd of fds) {
      try {
        if (inodes.has(readlinkSync(`/proc/${pid}/fd/${fd}`))) return { pid: Number(pid), command: commandOf(Number(pid)) };
      } catch { /* closed meanwhile */ }
    }
  }
  return undefined;
}


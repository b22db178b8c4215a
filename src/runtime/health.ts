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

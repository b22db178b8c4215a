// Host/IP parsing after kong/tools/ip.lua (`normalize_ip`, `check_hostname`).
import { isIP } from 'node:net';

export interface NormalizedHost {
  type: 'ipv4' | 'ipv6' | 'name';
  host: string;
  port?: number;
}

export type HostResult = { ok: NormalizedHost } | { err: string };

const PORT_ERR = 'invalid port number';

/** Kong `hostname_type`: >1 colon is ipv6, digits and dots only is ipv4. */
export function hostnameType(name: string): NormalizedHost['type'] {
  const colons = (name.match(/:/g) ?? []).length;
  if (colons > 1) return 'ipv6';
  if (/^[\d.]+$/.test(name.replace(/:/g, ''))) return 'ipv4';
  return 'name';
}

function normalizeIpv4(address: string): HostResult {
  const m = address.includes(':')
    ? /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3}):(\d+)$/.exec(address)
    : /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(address);
  if (!m) return { err: `invalid ipv4 address: ${address}` };
  const octets = m.slice(1, 5).map(Number);
  if (octets.some((o) => o > 255)) return { err: `invalid ipv4 address: ${address}` };
  const port = m[5] === undefined ? undefined : Number(m[5]);
  if (port !== undefined && port > 65535) return { err: PORT_ERR };
  return { ok: { type: 'ipv4', host: octets.join('.'), port } };
}

function normalizeIpv6(address: string): HostResult {
  let check = address;
  let port: number | undefined;
  const br = /^(\[[^\]]*\])(.*)$/.exec(address);
  if (br) {
    check = br[1]!.slice(1, -1);
    if (br[2] !== '') {
      const pm = /^:(\d+)$/.exec(br[2]!);
      if (!pm) return { err: 'invalid ipv6 address' };
      port = Number(pm[1]);
      if (port > 65535) return { err: PORT_ERR };
    }
  }
  if (isIP(check) !== 6 || check.includes('.')) return { err: `invalid ipv6 address: ${address}` };
  return { ok: { type: 'ipv6', host: check.toLowerCase(), port } };
}

/** Kong `check_hostname`: [A-Za-z0-9._-], no label ending in '-', no empty inner label. */
export function checkHostname(address: string): HostResult {
  let name = address;
  let port: number | undefined;
  const pm = /:(\d+)$/.exec(address);
  if (pm) {
    name = address.slice(0, -(pm[1]!.length + 1));
    port = Number(pm[1]);
    if (port > 65535) return { err: PORT_ERR };
  }
  if (!/^[A-Za-z0-9._-]+$/.test(name)) return { err: `invalid hostname: ${address}` };
  const labels = name.split('.');
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    if (label.endsWith('-') || (label === '' && i !== labels.length - 1)) {
      return { err: `invalid hostname: ${address}` };
    }
  }
  return { ok: { type: 'name', host: name, port } };
}

/** Kong `normalize_ip`: parses "host[:port]", "ipv4[:port]" or "[ipv6]:port". */
export function normalizeIp(address: string): HostResult {
  const t = hostnameType(address);
  if (t === 'ipv4') return normalizeIpv4(address);
  if (t === 'ipv6') return normalizeIpv6(address);
  return checkHostname(address);
}

export function isValidIp(ip: string): boolean {
  return isIP(ip) !== 0;
}

export function isValidIpOrCidr(v: string): boolean {
  const slash = v.indexOf('/');
  if (slash < 0) return isValidIp(v);
  const ip = v.slice(0, slash);
  const bits = v.slice(slash + 1);
  const family = isIP(ip);
  if (family === 0 || !/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}

import { IPV4_RE } from '../spec/primitives.js';

/** IPv4 helpers for the rules that judge where an address or range sits. */

export interface Cidr { base: number; prefix: number }

export function ipv4(s: string): number | undefined {
  if (!IPV4_RE.test(s)) return undefined;
  return s.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

/** "a.b.c.d" or "a.b.c.d/n" (a bare address is a /32). */
export function cidr(s: string): Cidr | undefined {
  const [addr, bits] = s.split('/');
  const base = ipv4(addr);
  const prefix = bits === undefined ? 32 : Number(bits);
  if (base === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) return undefined;
  return { base, prefix };
}

function inRange(ip: number, range: string): boolean {
  const r = cidr(range)!;
  const size = 2 ** (32 - r.prefix);
  const start = r.base - (r.base % size);
  return ip >= start && ip < start + size;
}

/** Ranges that never route on the public internet: RFC 1918, loopback, link-local, carrier-grade NAT. */
const NON_PUBLIC = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '127.0.0.0/8', '169.254.0.0/16', '100.64.0.0/10'];

/** True for an IPv4 literal outside the non-public ranges (and not 0.0.0.0). Host names are never judged public. */
export function isPublicIpv4(host: string): boolean {
  const ip = ipv4(host);
  return ip !== undefined && ip !== 0 && !NON_PUBLIC.some((r) => inRange(ip, r));
}

/** True when a listener bound here faces every interface of the host, or a public address. */
export function isPublicBind(host: string): boolean {
  return host === '0.0.0.0' || isPublicIpv4(host);
}

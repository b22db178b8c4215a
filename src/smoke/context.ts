import { createHmac } from 'node:crypto';
import { createServer } from 'node:net';
import { resolveSecret, type Env } from '../emit/kong/secrets.js';
import { upstreamPath } from '../model/routing.js';
import type { Model, Route } from '../model/types.js';
import type { Driver } from '../runtime/driver.js';
import type { StackState, UnitState } from '../runtime/state.js';
import { curl, send, type SmokeRequest, type SmokeResponse } from './http.js';
import { winningRoute, type RequestShape } from './sample.js';

export type Status = 'pass' | 'fail' | 'not-run';

export interface CheckResult {
  layer: string;
  check: string;
  name: string;
  status: Status;
  expected?: string;
  observed?: string;
  reproduce?: string;
  reason?: string;
  durationMs: number;
}

export interface SmokeConsumer { name: string; key?: string; jwt?: { key: string; secret: string; algorithm: string } }

/** The address ordinary checks send from (what a client on this machine is by default). */
export const CLIENT = '127.0.0.1';
/** A second loopback client: per-IP limit probes spend its budget, never the one the other checks use. */
export const LIMIT_PROBE_CLIENT = '127.0.0.2';
/** Further loopback clients, each with a fresh per-IP budget, for checks that find 127.0.0.1's budget spent. */
const SPARE_CLIENTS = Array.from({ length: 40 }, (_, i) => `127.0.0.${i + 3}`);

/** Can this machine send from another loopback address (Linux: the whole 127.0.0.0/8 is local)? */
export function canBind(address: string): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(0, address, () => srv.close(() => resolve(true)));
  });
}

/** Is the route's limit counted per client address (by ip, or by consumer on a route without auth, as Kong falls back)? */
export function limitedPerIp(r: Route): boolean {
  const by = r.rateLimit?.policy.by;
  return by === 'ip' || (by === 'consumer' && !r.auth);
}

/** Everything a check needs: the model, the running stack, credentials, and a request budget per rate-limited route. */
export class SmokeContext {
  readonly consumers: SmokeConsumer[];
  readonly entry: string;
  private readonly used = new Map<string, number[]>();
  readonly secrets: string[] = [];
  /** Loopback addresses other than 127.0.0.1 work as distinct clients here (set by init()); else why not. */
  aliases = false;
  noAliases = '';
  /** --entry mode: a deployed stack seen only through its entry (no units, no logs, no echo control). */
  entryOnly = false;

  constructor(readonly model: Model, readonly state: StackState, readonly driver: Driver, env: Env) {
    this.entry = state.entry.https ?? state.entry.http!;
    this.consumers = model.consumers.map((c) => {
      const key = c.keys[0] ? resolveSecret(c.keys[0], env, `consumer ${c.name}`).value : undefined;
      const jwt = c.jwt[0] ? { key: c.jwt[0].key, secret: resolveSecret(c.jwt[0].secret, env, `consumer ${c.name}`).value, algorithm: c.jwt[0].algorithm } : undefined;
      if (key) this.secrets.push(key);
      if (jwt) this.secrets.push(jwt.secret);
      return { name: c.name, key, jwt };
    });
  }

  /** Find out which client addresses this machine can send from. */
  async init(): Promise<this> {
    // On a bridge network the published ports go through Docker's port proxy: every client looks the same inside.
    if (this.state.network === 'bridge') this.noAliases = 'on a bridge network the engines see Docker\'s port proxy as every client';
    else if (this.entryOnly && !/^(127\.|\[::1\]$|localhost$)/.test(new URL(this.entry).hostname)) this.noAliases = 'the entry is not on this machine\'s loopback, so the client cannot choose its source address';
    else if (!(await canBind(LIMIT_PROBE_CLIENT))) this.noAliases = `${LIMIT_PROBE_CLIENT} cannot be bound here`;
    this.aliases = !this.noAliases;
    return this;
  }

  /** The consumer with a credential for the route and the most requests left in its window (undefined when none fits). */
  consumerFor(r: Route): SmokeConsumer | undefined {
    const fitting = this.consumers.filter((c) => this.credentials(r, c));
    return fitting.sort((a, b) => this.remaining(r, b.name) - this.remaining(r, a.name))[0];
  }

  /**
   * The client address to send `need` requests per consumer from: 127.0.0.1 while its budget lasts; for a limit
   * counted per client address, then a spare loopback address with a fresh budget (never 127.0.0.2, the limit
   * probe's). Undefined when no address leaves enough.
   */
  clientFor(r: Route, consumers: (string | undefined)[], need: number): string | undefined {
    const fits = (from: string) => (limitedPerIp(r) ? this.remaining(r, undefined, from) >= need * consumers.length
      : consumers.every((c) => this.remaining(r, c, from) >= need));
    if (fits(CLIENT)) return CLIENT;
    if (!limitedPerIp(r) || !this.aliases) return undefined;
    return SPARE_CLIENTS.find(fits);
  }

  /** Headers that authenticate as a consumer on a route (undefined when the consumer has no fitting credential). */
  credentials(r: Route, c: SmokeConsumer, opts: { expired?: boolean } = {}): Record<string, string> | undefined {
    const auth = r.auth?.policy;
    if (!auth) return {};
    if (auth.type === 'key') return c.key ? { [auth.keyNames[0]]: c.key } : undefined;
    if (!c.jwt) return undefined;
    const now = Math.floor(Date.now() / 1000);
    const claims = { [auth.keyClaim]: c.jwt.key, nbf: now - 60, exp: opts.expired ? now - 30 : now + 300 };
    return { [auth.header]: `Bearer ${signJwt(claims, c.jwt.secret, c.jwt.algorithm)}` };
  }

  /**
   * Client addresses for several request streams on one route, `need` requests each (one per consumer, or one
   * anonymous): a limit counted per address may put each stream on its own address. Undefined when one does not fit.
   */
  clientsFor(r: Route, consumers: (string | undefined)[], need: number): string[] | undefined {
    if (!limitedPerIp(r)) return this.clientFor(r, consumers, need) ? consumers.map(() => CLIENT) : undefined;
    const taken = new Map<string, number>();
    const out: string[] = [];
    for (let k = 0; k < consumers.length; k++) {
      const from = [CLIENT, ...(this.aliases ? SPARE_CLIENTS : [])].find((a) => this.remaining(r, undefined, a) - (taken.get(a) ?? 0) >= need);
      if (!from) return undefined;
      taken.set(from, (taken.get(from) ?? 0) + need);
      out.push(from);
    }
    return out;
  }

  /** A client address other than `exclude` with a request left in a per-IP window of the route (127.0.0.1 first). */
  otherClient(r: Route, exclude: string[]): string | undefined {
    return [CLIENT, ...(this.aliases ? SPARE_CLIENTS : [])].find((a) => !exclude.includes(a) && this.remaining(r, undefined, a) >= 1);
  }

  /** Who a request is counted as by the route's limit: the consumer, the client address, or the whole route. */
  private counter(r: Route, consumer: string | undefined, from: string): string {
    return `${r.name}/${limitedPerIp(r) ? `ip:${from}` : r.rateLimit?.policy.by === 'consumer' ? `consumer:${consumer}` : '*'}`;
  }

  /** A request that got through spends one unit of the route's rate limit for that consumer (or client address). */
  spend(r: Route, consumer: string | undefined, res: SmokeResponse): void {
    if (!r.rateLimit || res.status < 200 || res.status >= 400) return;
    const k = this.counter(r, consumer, res.from ?? CLIENT);
    this.used.set(k, [...(this.used.get(k) ?? []), Date.now()]);
  }

  /** Requests spent in the route's current (fixed, clock-aligned) window of its shortest period. */
  spent(r: Route, consumer: string | undefined, from = CLIENT): number {
    const times = this.used.get(this.counter(r, consumer, from)) ?? [];
    const w = windowMs(r);
    return times.filter((t) => Math.floor(t / w) === Math.floor(Date.now() / w)).length;
  }

  /** Requests this route's limit still allows for a consumer (from a client address) in the current window (Infinity without a limit). */
  remaining(r: Route, consumer: string | undefined, from = CLIENT): number {
    const rl = r.rateLimit?.policy;
    if (!rl) return Infinity;
    const limit = Math.min(...[rl.second, rl.minute, rl.hour].filter((x): x is number => x !== undefined));
    return limit - this.spent(r, consumer, from);
  }

  request(shape: RequestShape, headers: Record<string, string> = {}, base = this.entry, from?: string): SmokeRequest {
    return { method: shape.method, url: `${base}${shape.path}`, headers: { host: shape.host, ...shape.headers, ...headers }, ca: this.state.caFile,
      ...(from && from !== CLIENT ? { from } : {}) };
  }

  /**
   * Send a request. A 429 from a limit counted per client address that smoke did not plan for (an earlier run spent
   * this window) marks that address spent for the route and sends the request again from a fresh one.
   */
  async send(req: SmokeRequest): Promise<SmokeResponse> {
    let res = await send(req);
    for (let tries = 0; res.status === 429 && !req.probe && tries < 8; tries++) {
      const r = this.routeOf(req);
      if (!r || !limitedPerIp(r)) break;
      const spent = req.from ?? CLIENT;
      while (this.remaining(r, undefined, spent) > 0) this.spend(r, undefined, { status: 200, headers: {}, body: '', from: spent });
      const from = this.otherClient(r, [spent]);
      if (!from) break;
      req = { ...req, from };
      res = await send(req);
    }
    return res;
  }

  /** The route that takes a request sent through the entry (undefined for any other target). */
  private routeOf(req: SmokeRequest): Route | undefined {
    const u = new URL(req.url);
    if (!req.url.startsWith(this.entry)) return undefined;
    const headers = Object.fromEntries(Object.entries(req.headers ?? {}).filter(([k]) => k.toLowerCase() !== 'host'));
    return winningRoute(this.model, { method: req.method ?? 'GET', host: req.headers?.host ?? 'localhost', path: `${u.pathname}${u.search}`, headers });
  }

  curl(req: SmokeRequest): string {
    return curl(req, this.secrets);
  }

  units(layer: string): UnitState[] {
    return this.state.units.filter((u) => u.layer === layer);
  }

  /** Talk to an echo backend's control endpoint directly (never through the stack). */
  async echo(u: UnitState, action: 'stats' | 'reset' | 'fail' | 'recover'): Promise<{ requests: number; byPath: Record<string, number> }> {
    const ep = u.ports[0];
    const host = ep.host.includes(':') ? `[${ep.host}]` : ep.host; // an IPv6 instance runs on ::1
    const res = await send({ url: `http://${host}:${ep.port}/__edgegen/${action}`, headers: { 'x-edgegen-control': this.state.controlToken } });
    return (res.json ?? { requests: 0, byPath: {} }) as { requests: number; byPath: Record<string, number> };
  }

  /** Requests the echo instances of a service saw for a path (the path the backend receives: see backendPath). */
  async backendHits(service: string, path: string): Promise<number> {
    let n = 0;
    for (const u of this.units('service').filter((x) => x.service === service)) n += (await this.echo(u, 'stats')).byPath[path] ?? 0;
    return n;
  }
}

function b64url(b: Buffer | string): string {
  return Buffer.from(b).toString('base64url');
}

export function signJwt(claims: Record<string, unknown>, secret: string, algorithm: string): string {
  const head = b64url(JSON.stringify({ alg: algorithm, typ: 'JWT' }));
  const body = b64url(JSON.stringify(claims));
  const hash = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }[algorithm] ?? 'sha256';
  return `${head}.${body}.${b64url(createHmac(hash, secret).update(`${head}.${body}`).digest())}`;
}

export async function timed(layer: string, check: string, name: string, fn: () => Promise<Omit<CheckResult, 'layer' | 'check' | 'name' | 'durationMs'>>): Promise<CheckResult> {
  const t = Date.now();
  try {
    return { layer, check, name, ...(await fn()), durationMs: Date.now() - t };
  } catch (e) {
    return { layer, check, name, status: 'fail', observed: `error: ${(e as Error).message}`, durationMs: Date.now() - t };
  }
}

/** Length of the shortest window of a route's rate limit. */
export function windowMs(r: Route): number {
  const rl = r.rateLimit?.policy;
  return rl?.second !== undefined ? 1000 : rl?.minute !== undefined ? 60_000 : 3_600_000;
}

/** The path a service receives for a request path of a route (the model's upstreamPath; no query). */
export function backendPath(r: Route, path: string, _model?: Model): string {
  return upstreamPath(r, path.split('?')[0]);
}

import { createHmac } from 'node:crypto';
import { resolveSecret, type Env } from '../emit/kong/secrets.js';
import type { Model, Route } from '../model/types.js';
import type { Driver } from '../runtime/driver.js';
import type { StackState, UnitState } from '../runtime/state.js';
import { curl, send, type SmokeRequest, type SmokeResponse } from './http.js';
import type { RequestShape } from './sample.js';

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

/** Everything a check needs: the model, the running stack, credentials, and a request budget per rate-limited route. */
export class SmokeContext {
  readonly consumers: SmokeConsumer[];
  readonly entry: string;
  private readonly used = new Map<string, number[]>();
  readonly secrets: string[] = [];

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

  /** The consumer with a credential for the route and the most requests left in its window (undefined when none fits). */
  consumerFor(r: Route): SmokeConsumer | undefined {
    const fitting = this.consumers.filter((c) => this.credentials(r, c));
    return fitting.sort((a, b) => this.remaining(r, b.name) - this.remaining(r, a.name))[0];
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

  /** An authenticated request spends one unit of the route's rate limit for that consumer. */
  spend(r: Route, consumer: string | undefined, res: SmokeResponse): void {
    if (!r.rateLimit || res.status < 200 || res.status >= 400) return;
    const k = `${r.name}/${r.rateLimit.policy.by === 'consumer' ? consumer : '*'}`;
    this.used.set(k, [...(this.used.get(k) ?? []), Date.now()]);
  }

  /** Requests spent in the route's current (fixed, clock-aligned) window of its shortest period. */
  spent(r: Route, consumer: string | undefined): number {
    const times = this.used.get(`${r.name}/${r.rateLimit?.policy.by === 'consumer' ? consumer : '*'}`) ?? [];
    const w = windowMs(r);
    return times.filter((t) => Math.floor(t / w) === Math.floor(Date.now() / w)).length;
  }

  /** Requests this route's limit still allows for a consumer in the current window (Infinity without a limit). */
  remaining(r: Route, consumer: string | undefined): number {
    const rl = r.rateLimit?.policy;
    if (!rl) return Infinity;
    const limit = Math.min(...[rl.second, rl.minute, rl.hour].filter((x): x is number => x !== undefined));
    return limit - this.spent(r, consumer);
  }

  request(shape: RequestShape, headers: Record<string, string> = {}, base = this.entry): SmokeRequest {
    return { method: shape.method, url: `${base}${shape.path}`, headers: { host: shape.host, ...shape.headers, ...headers }, ca: this.state.caFile };
  }

  async send(req: SmokeRequest): Promise<SmokeResponse> {
    return send(req);
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
    const res = await send({ url: `http://${ep.host}:${ep.port}/__edgegen/${action}`, headers: { 'x-edgegen-control': this.state.controlToken } });
    return (res.json ?? { requests: 0, byPath: {} }) as { requests: number; byPath: Record<string, number> };
  }

  /** Requests the echo instances of a service saw for a path. */
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

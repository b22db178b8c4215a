import { randomBytes } from 'node:crypto';
import type { Model, Route } from '../../model/types.js';
import { sleep } from '../../runtime/health.js';
import type { CheckResult, SmokeContext } from '../context.js';
import { limitedPerIp, timed } from '../context.js';
import { requestFor, winningRoute } from '../sample.js';
import { wsOpen, type WsSocket } from '../ws-client.js';
import { cheapestRoute } from './headers.js';

/** The longest idle the check waits for (longer ordinary timeouts are reported as not run). */
const IDLE_BUDGET_MS = 10_000;

/**
 * The ordinary idle timeouts an upgraded connection must outlive on its way: the route's read timeout (NGINX and
 * Kong), and the load balancer's client and server timeouts (HAProxy switches to "timeout tunnel" after an upgrade).
 */
export function ordinaryTimeouts(model: Model, r: Route): { what: string; ms: number }[] {
  const out = [{ what: `route ${r.name} read timeout`, ms: r.timeouts.readMs }];
  const lb = model.loadBalancer?.settings.timeouts;
  if (lb) out.push({ what: 'load balancer client timeout', ms: toMs(lb.client) }, { what: 'load balancer server timeout', ms: toMs(lb.server) });
  return out;
}

function toMs(d: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(d);
  return m ? Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms'] : Infinity;
}

/** How long an upgraded connection on a route may idle: timeouts.tunnel, but Kong applies its read timeout to it too. */
function tunnelMs(model: Model, r: Route): number {
  const tunnel = r.timeouts.tunnelMs;
  return model.gateway?.settings.engine === 'kong' ? Math.min(tunnel, r.timeouts.readMs) : tunnel;
}

const fmt = (ms: number) => (ms % 1000 ? `${ms} ms` : `${ms / 1000}s`);

/** A WebSocket opened at the entry reaches the route's service through every layer, echoes, and outlives the read timeouts. */
export async function websocketChecks(ctx: SmokeContext): Promise<CheckResult[]> {
  const layer = ctx.model.chain[0];
  const r = cheapestRoute(ctx);
  const name = 'WebSocket through every layer: 101, then a message echoed';
  if (!r) return [{ layer, check: 'websocket', name, status: 'not-run', reason: 'no prefix route a smoke client can use', durationMs: 0 }];
  const shape = requestFor(r, `edgegen-smoke-ws-${randomBytes(4).toString('hex')}`);
  const winner = shape ? winningRoute(ctx.model, shape) : undefined;
  if (!shape || winner !== r) return [{ layer, check: 'websocket', name, status: 'not-run', reason: `no sample path that route ${r.name} wins`, durationMs: 0 }];
  const consumer = ctx.consumerFor(r);
  let from = ctx.clientFor(r, [consumer?.name], 1);
  if (!from) return [{ layer, check: 'websocket', name, status: 'not-run', reason: `the rate limit of route ${r.name} is spent for this window`, durationMs: 0 }];
  const headers = { host: shape.host, ...shape.headers, ...(consumer ? ctx.credentials(r, consumer) : {}) };
  const url = `${ctx.entry}${shape.path}`;
  const reproduce = `curl -i --http1.1${ctx.state.caFile && url.startsWith('https') ? ` --cacert ${ctx.state.caFile}` : ''} -H 'Connection: Upgrade' -H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13' -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' '${url}'`;
  const out: CheckResult[] = [];
  let socket: WsSocket | undefined;
  try {
    out.push(await timed(layer, 'websocket', name, async () => {
      let open = await wsOpen(url, headers, { ca: ctx.state.caFile, from });
      // A per-IP window that an earlier run spent: that address is spent for the route, the next one has a fresh window.
      for (let tries = 0; open.status === 429 && limitedPerIp(r) && tries < 8; tries++) {
        while (ctx.remaining(r, undefined, from) > 0) ctx.spend(r, undefined, { status: 200, headers: {}, body: '', from });
        const next = ctx.otherClient(r, [from!]);
        if (!next) break;
        from = next;
        open = await wsOpen(url, headers, { ca: ctx.state.caFile, from });
      }
      // The handshake counts against the route's limit like any request (101 is not a status spend() counts).
      ctx.spend(r, consumer?.name, { status: 200, headers: {}, body: '', from });
      const expected = `101 from service ${r.service.name}, then "ping" echoed`;
      if (open.status !== 101 || !open.socket) return { status: 'fail', expected, observed: open.error ? `${open.status || 'no answer'}: ${open.error}` : `HTTP ${open.status} (no upgrade)`, reproduce };
      socket = open.socket;
      const service = open.headers['x-edgegen-service'];
      const marker = `ping-${randomBytes(4).toString('hex')}`;
      const echoed = await socket.roundTrip(marker).catch((e: Error) => `(${e.message})`);
      const ok = service === r.service.name && echoed === marker;
      return { status: ok ? 'pass' : 'fail', expected, observed: `101 from ${service ?? 'an unnamed backend'}${open.headers['x-edgegen-instance'] ? `-${open.headers['x-edgegen-instance']}` : ''}, sent ${marker}, got ${echoed}`, reproduce };
    }));
    const idleName = 'an idle WebSocket outlives the ordinary read timeouts';
    if (!socket) {
      out.push({ layer, check: 'websocket', name: idleName, status: 'not-run', reason: 'no WebSocket was opened', durationMs: 0 });
      return out;
    }
    const longest = ordinaryTimeouts(ctx.model, r).sort((a, b) => b.ms - a.ms)[0];
    const idle = longest.ms + 1000;
    if (idle >= tunnelMs(ctx.model, r)) {
      out.push({ layer, check: 'websocket', name: idleName, status: 'not-run', durationMs: 0,
        reason: `the ${longest.what} (${fmt(longest.ms)}) is not shorter than the tunnel timeout (${fmt(tunnelMs(ctx.model, r))}${ctx.model.gateway?.settings.engine === 'kong' ? ', Kong applies its read timeout to upgraded connections' : ''})` });
    } else if (idle > IDLE_BUDGET_MS) {
      out.push({ layer, check: 'websocket', name: idleName, status: 'not-run',
        reason: `the ${longest.what} is ${fmt(longest.ms)}: the check idles past it only when it is at most ${fmt(IDLE_BUDGET_MS - 1000)}`, durationMs: 0 });
    } else {
      const s = socket;
      out.push(await timed(layer, 'websocket', `${idleName} (idle ${fmt(idle)})`, async () => {
        await sleep(idle);
        const marker = `again-${randomBytes(4).toString('hex')}`;
        const echoed = await s.roundTrip(marker).catch((e: Error) => `(${e.message})`);
        return { status: echoed === marker ? 'pass' : 'fail', expected: `"${marker}" echoed after ${fmt(idle)} idle (longer than the ${longest.what}, ${fmt(longest.ms)})`,
          observed: echoed === marker ? `echoed after ${fmt(idle)} idle` : `got ${echoed}`, reproduce };
      }));
    }
    return out;
  } finally {
    (socket as WsSocket | undefined)?.close();
  }
}

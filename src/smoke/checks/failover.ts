import { randomBytes } from 'node:crypto';
import { healthy, sleep } from '../../runtime/health.js';
import { nextLayer } from '../../model/types.js';
import { durationMs } from '../../spec/primitives.js';
import { writeState, type UnitState } from '../../runtime/state.js';
import type { Unit } from '../../runtime/units.js';
import type { CheckResult, SmokeContext } from '../context.js';
import { backendPath, timed } from '../context.js';
import { servedCount } from '../observe.js';
import { requestFor, winningRoute } from '../sample.js';
import { routeFor, serviceBase } from './distribution.js';

async function restart(ctx: SmokeContext, u: UnitState): Promise<boolean> {
  const unit: Unit = { id: u.id, layer: u.layer, engine: u.engine, instance: u.instance, service: u.service, files: [], dirs: [], argv: u.argv, env: u.env, health: u.health, ports: u.ports };
  Object.assign(u, await ctx.driver.start(unit, u.logFile));
  writeState(ctx.state);
  for (let i = 0; i < 100; i++) {
    if (await healthy(u)) return true;
    await sleep(100);
  }
  return false;
}

/** HAProxy's view of a server in every backend of a pool (be_gateway, be_gateway_tls), from its stats CSV (needs loadBalancer.stats). */
async function lbServerStatus(ctx: SmokeContext, pool: string, server: string): Promise<string | undefined> {
  const stats = ctx.model.loadBalancer?.settings.stats;
  const lb = ctx.units('loadBalancer')[0];
  if (!stats || !lb) return undefined;
  const status = lb.ports[lb.ports.length - 1];
  const res = await ctx.send({ url: `http://${status.host}:${status.port}${stats.path};csv` });
  const rows = res.body.split('\n').map((l) => l.split(',')).filter((f) => (f[0] === pool || f[0] === `${pool}_tls`) && f[1] === server);
  if (!rows.length) return undefined;
  const states = [...new Set(rows.map((f) => f[17]))];
  return states.length === 1 ? states[0] : states.join('/');
}

/**
 * The instance of the load balancer's next layer that this client's requests go to: with source or URI hashing
 * that is the only one that matters (the others would never be tried), so it is the one to stop.
 */
async function instanceServing(ctx: SmokeContext, units: UnitState[], marker: string): Promise<UnitState | undefined> {
  await ctx.send(ctx.request({ method: 'GET', host: 'localhost', path: marker, headers: {} }));
  // The proxy's access log is buffered for up to a second.
  for (let i = 0; i < 15; i++) {
    const hit = units.find((u) => servedCount(u, marker) > 0);
    if (hit) return hit;
    await sleep(100);
  }
  return undefined;
}

/**
 * Stop one service instance, then the instance of the load balancer's next layer (gateway or proxy) that this client's
 * requests go to: requests keep succeeding, health shows the loss, a restart brings it back.
 */
export async function failoverChecks(ctx: SmokeContext): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  const svc = ctx.model.services.find((s) => s.instances.filter((i) => !i.backup).length >= 2 && routeFor(ctx, s));
  const { base, direct } = serviceBase(ctx);
  if (svc) {
    const r = routeFor(ctx, svc)!;
    const victim = ctx.units('service').find((u) => u.service === svc.name)!;
    const shape = requestFor(r, `edgegen-smoke-failover-${randomBytes(4).toString('hex')}`);
    const consumer = ctx.consumerFor(r);
    const need = 20;
    if (!shape || winningRoute(ctx.model, shape) !== r) { /* no clean path: skip */ } else if (!direct && ctx.remaining(r, consumer?.name) < need) {
      out.push({ layer: 'services', check: 'failover', name: `service ${svc.name}: one instance down`, status: 'not-run', reason: `route ${r.name}'s rate limit leaves fewer than ${need} requests`, durationMs: 0 });
    } else {
      const headers = direct || !consumer ? {} : ctx.credentials(r, consumer)!;
      out.push(await timed('services', 'failover', `service ${svc.name}: ${victim.id} stopped, requests keep succeeding`, async () => {
        await ctx.driver.stop(victim);
        let failures = 0;
        let req = ctx.request(shape, headers, base);
        for (let i = 0; i < 10; i++) {
          req = ctx.request({ ...shape, path: `${shape.path}?edgegen-smoke=${i}` }, headers, base);
          const res = await ctx.send(req);
          if (!direct) ctx.spend(r, consumer?.name, res);
          if (res.status !== 200) failures++;
        }
        const down = !(await ctx.driver.alive(victim)) && !(await healthy(victim));
        return { status: failures === 0 && down ? 'pass' : 'fail', expected: '10 of 10 succeed while the instance is down, and its health shows down',
          observed: `${10 - failures} of 10 succeeded; ${victim.id} ${down ? 'down' : 'still answering'}`, reproduce: ctx.curl(req) };
      }));
      out.push(await timed('services', 'failover', `service ${svc.name}: ${victim.id} restarted rejoins rotation`, async () => {
        if (!(await restart(ctx, victim))) return { status: 'fail', expected: `${victim.id} healthy after restart`, observed: 'not healthy within 10s' };
        const deadline = Date.now() + 20_000;
        let seen = 0;
        for (let i = 0; Date.now() < deadline && seen === 0; i++) {
          const res = await ctx.send(ctx.request({ ...shape, path: `${shape.path}?edgegen-smoke=back-${i}` }, headers, base));
          if (!direct) ctx.spend(r, consumer?.name, res);
          seen = (await ctx.echo(victim, 'stats')).byPath[backendPath(r, shape.path)] ?? 0;
          if (!seen) await sleep(500);
        }
        return { status: seen > 0 ? 'pass' : 'fail', expected: `${victim.id} receives requests again`, observed: seen > 0 ? `${victim.id} served ${seen}` : 'no request reached it within 20s' };
      }));
    }
  }
  const next = ctx.model.loadBalancer ? nextLayer(ctx.model, 'loadBalancer') : undefined;
  if (next && next.instances >= 2 && (next.kind === 'gateway' || next.kind === 'proxy')) {
    const layer = next.kind;
    const units = ctx.units(layer);
    const marker = `/edgegen-smoke-${layer === 'gateway' ? 'gw' : layer}-failover-${randomBytes(4).toString('hex')}`;
    const victim = (await instanceServing(ctx, units, `${marker}-probe`)) ?? units[units.length - 1];
    const hc = ctx.model.loadBalancer!.settings.healthCheck;
    out.push(await timed(layer, 'failover', `${victim.id} stopped: requests keep being answered, the load balancer marks it down`, async () => {
      await ctx.driver.stop(victim);
      let failures = 0;
      let req = ctx.request({ method: 'GET', host: 'localhost', path: marker, headers: {} });
      for (let i = 0; i < 10; i++) {
        req = ctx.request({ method: 'GET', host: 'localhost', path: marker, headers: {} });
        const res = await ctx.send(req);
        if (res.status === 0 || res.status >= 500) failures++;
      }
      let lbView = 'not observable (no loadBalancer.stats)';
      if (ctx.model.loadBalancer!.settings.stats) {
        // Every next-layer server is checked (a TCP connect every 2 s without a healthCheck).
        const deadline = Date.now() + ((hc?.fall ?? 3) + 1) * (hc ? durationMs(hc.interval) : 2000) + 3000;
        let st = await lbServerStatus(ctx, `be_${layer}`, victim.id);
        while (Date.now() < deadline && !String(st).startsWith('DOWN')) { await sleep(500); st = await lbServerStatus(ctx, `be_${layer}`, victim.id); }
        lbView = `load balancer reports ${st ?? 'nothing'}`;
      }
      const ok = failures === 0 && (!lbView.startsWith('load balancer') || lbView.includes('DOWN'));
      return { status: ok ? 'pass' : 'fail', expected: 'no 5xx or connection error; the load balancer marks the instance DOWN', observed: `${failures} failures of 10; ${lbView}`, reproduce: ctx.curl(req) };
    }));
    out.push(await timed(layer, 'failover', `${victim.id} restarted rejoins rotation`, async () => {
      if (!(await restart(ctx, victim))) return { status: 'fail', expected: `${victim.id} healthy after restart`, observed: 'not healthy within 10s' };
      const deadline = Date.now() + (hc ? (hc.rise + 2) * durationMs(hc.interval) : 5000) + 5000;
      const back = `${marker}-back`;
      while (Date.now() < deadline && servedCount(victim, back) === 0) {
        await ctx.send(ctx.request({ method: 'GET', host: 'localhost', path: back, headers: {} }));
        await sleep(300);
      }
      const n = servedCount(victim, back);
      return { status: n > 0 ? 'pass' : 'fail', expected: `${victim.id} answers requests again`, observed: n > 0 ? `${victim.id} served ${n}` : 'none reached it' };
    }));
  }
  return out;
}

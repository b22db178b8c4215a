import { randomBytes } from 'node:crypto';
import { healthy, sleep } from '../../runtime/health.js';
import { durationMs } from '../../spec/primitives.js';
import { writeState, type UnitState } from '../../runtime/state.js';
import type { Unit } from '../../runtime/units.js';
import type { CheckResult, SmokeContext } from '../context.js';
import { timed } from '../context.js';
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

/** HAProxy's view of a server, from its stats CSV (needs loadBalancer.stats). */
async function lbServerStatus(ctx: SmokeContext, backend: string, server: string): Promise<string | undefined> {
  const stats = ctx.model.loadBalancer?.settings.stats;
  const lb = ctx.units('loadBalancer')[0];
  if (!stats || !lb) return undefined;
  const status = lb.ports[lb.ports.length - 1];
  const res = await ctx.send({ url: `http://${status.host}:${status.port}${stats.path};csv` });
  const row = res.body.split('\n').find((l) => l.startsWith(`${backend},${server},`));
  return row?.split(',')[17];
}

/** Stop one service instance, then one gateway instance: requests keep succeeding, health shows the loss, a restart brings it back. */
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
          seen = (await ctx.echo(victim, 'stats')).byPath[shape.path] ?? 0;
          if (!seen) await sleep(500);
        }
        return { status: seen > 0 ? 'pass' : 'fail', expected: `${victim.id} receives requests again`, observed: seen > 0 ? `${victim.id} served ${seen}` : 'no request reached it within 20s' };
      }));
    }
  }
  const gw = ctx.model.gateway;
  if (ctx.model.loadBalancer && gw && gw.instances >= 2 && ctx.model.chain[1] === 'gateway') {
    const victim = ctx.units('gateway')[gw.instances - 1];
    const marker = `/edgegen-smoke-gw-failover-${randomBytes(4).toString('hex')}`;
    const hc = ctx.model.loadBalancer.settings.healthCheck;
    out.push(await timed('gateway', 'failover', `${victim.id} stopped: requests keep being answered, the load balancer marks it down`, async () => {
      await ctx.driver.stop(victim);
      let failures = 0;
      let req = ctx.request({ method: 'GET', host: 'localhost', path: marker, headers: {} });
      for (let i = 0; i < 10; i++) {
        req = ctx.request({ method: 'GET', host: 'localhost', path: marker, headers: {} });
        const res = await ctx.send(req);
        if (res.status === 0 || res.status >= 500) failures++;
      }
      let lbView = 'not observable (no loadBalancer.stats)';
      if (hc && ctx.model.loadBalancer!.settings.stats) {
        const deadline = Date.now() + (hc.fall + 1) * durationMs(hc.interval) + 3000;
        let st = await lbServerStatus(ctx, 'be_gateway', victim.id);
        while (Date.now() < deadline && !String(st).startsWith('DOWN')) { await sleep(500); st = await lbServerStatus(ctx, 'be_gateway', victim.id); }
        lbView = `load balancer reports ${st ?? 'nothing'}`;
      }
      const ok = failures === 0 && (!lbView.startsWith('load balancer') || lbView.includes('DOWN'));
      return { status: ok ? 'pass' : 'fail', expected: 'no 5xx or connection error; the load balancer marks the instance DOWN', observed: `${failures} failures of 10; ${lbView}`, reproduce: ctx.curl(req) };
    }));
    out.push(await timed('gateway', 'failover', `${victim.id} restarted rejoins rotation`, async () => {
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

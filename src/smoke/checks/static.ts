import { PROBE_FILE } from '../../runtime/stack.js';
import { durationMs } from '../../spec/primitives.js';
import type { CheckResult, SmokeContext } from '../context.js';
import { timed } from '../context.js';

const seconds = (d: string) => Math.floor(durationMs(d) / 1000);

/** Static files come from the proxy's disk with their caching headers; the backends see nothing. */
export async function staticChecks(ctx: SmokeContext): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const st of ctx.model.proxy?.settings.static ?? []) {
    out.push(await timed('proxy', 'static', `static ${st.prefix}`, async () => {
      const before = await totalBackend(ctx);
      const req = ctx.request({ method: 'GET', host: 'localhost', path: `${st.prefix}${PROBE_FILE}`, headers: {} });
      const res = await ctx.send(req);
      const after = await totalBackend(ctx);
      const cc = String(res.headers['cache-control'] ?? '');
      const maxAge = `max-age=${seconds(st.expires)}`;
      const ok = res.status === 200 && cc.includes(maxAge) && (!st.immutable || cc.includes('immutable')) && after === before;
      return { status: ok ? 'pass' : 'fail', expected: `200, Cache-Control with ${maxAge}${st.immutable ? ' and immutable' : ''}, backends saw nothing`,
        observed: `${res.status || res.error}, Cache-Control: ${cc || 'absent'}, backends saw ${after - before}`, reproduce: ctx.curl(req) };
    }));
  }
  return out;
}

export async function totalBackend(ctx: SmokeContext): Promise<number> {
  let n = 0;
  for (const u of ctx.units('service')) n += (await ctx.echo(u, 'stats')).requests;
  return n;
}

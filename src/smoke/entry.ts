import type { Env } from '../emit/kong/secrets.js';
import type { Model } from '../model/types.js';
import { RuntimeError, type Driver } from '../runtime/driver.js';
import type { StackState } from '../runtime/state.js';
import { cheapestRoute } from './checks/headers.js';
import type { CheckResult, SmokeContext } from './context.js';
import type { CheckGroup } from './groups.js';
import { requestFor } from './sample.js';

/** The URLs of an already deployed stack's entry (staging, production) and the CA its certificate chains to. */
export interface EntryTarget { http?: string; https?: string; ca?: string }

/** Groups that judge what a client sees through the entry. */
export const ENTRY_GROUPS: readonly CheckGroup[] = ['routing', 'auth', 'headers', 'route-headers', 'tls', 'websocket', 'rate-limit'];
/** Of those, the groups that read what the backend received from the echo backend's answer (which service, consumer, headers, frames). */
const ECHO_GROUPS: readonly CheckGroup[] = ['routing', 'auth', 'headers', 'route-headers', 'websocket'];

/** A stack seen only through its entry: no units, nothing to start, stop or read logs from. */
export function entryState(model: Model, spec: string, entry: EntryTarget): StackState {
  return {
    name: model.name, spec, runtime: 'entry' as StackState['runtime'], stateDir: '', basePort: 0, controlToken: '', bypassed: [],
    entry: { http: entry.http, https: entry.https }, caFile: entry.ca, units: [], startedAt: new Date(0).toISOString(),
  };
}

/** Per-instance access does not exist in --entry mode: a check that asked for it would be a bug, never a silent pass. */
export function noDriver(): Driver {
  const refuse = async (): Promise<never> => { throw new RuntimeError('--entry mode has no per-instance access'); };
  return { kind: 'process', preflight: refuse, create: refuse, start: refuse, alive: refuse, stop: refuse, logs: refuse } as unknown as Driver;
}

/** Does the stack run edgegen's echo backend (its answers name the service)? One request through the entry decides. */
export async function echoBehindEntry(ctx: SmokeContext): Promise<boolean> {
  const r = cheapestRoute(ctx);
  const shape = r && requestFor(r, 'edgegen-smoke-entry');
  if (!r || !shape) return false;
  const consumer = ctx.consumerFor(r);
  const from = ctx.clientFor(r, [consumer?.name], 1);
  if (!from) return false;
  const res = await ctx.send(ctx.request(shape, consumer ? ctx.credentials(r, consumer) ?? {} : {}, undefined, from));
  ctx.spend(r, consumer?.name, res);
  return typeof res.json?.service === 'string' && ctx.model.services.some((s) => s.name === res.json!.service);
}

const notRun = (layer: string, check: string, name: string, reason: string): CheckResult => ({ layer, check, name, status: 'not-run', reason, durationMs: 0 });

/** What --entry cannot observe, each with its reason (only for what the spec has). */
export function entryNotRun(model: Model, echo: boolean, only?: CheckGroup[]): CheckResult[] {
  const want = (g: CheckGroup) => !only || only.includes(g);
  const out: CheckResult[] = [];
  const perInstance = 'needs per-instance access, which --entry does not have';
  if (want('distribution')) {
    if (model.chain.length > 1 && model[model.chain[1]]!.instances > 1)
      out.push(notRun(model.chain[0], 'distribution', 'load distribution across the next layer', `reads each instance's access log: ${perInstance}`));
    if (model.services.some((s) => s.instances.length > 1))
      out.push(notRun('services', 'distribution', "load distribution across each service's instances", `counts each backend instance's requests: ${perInstance}`));
  }
  if (want('failover')) out.push(notRun('services', 'failover', 'failover', `stops and restarts instances: ${perInstance}`));
  if (want('cache') && model.routes.some((r) => r.cache))
    out.push(notRun('proxy', 'cache', 'cache', `counts the requests the backend received (echo control endpoint): ${perInstance}`));
  if (want('static') && model.proxy?.settings.static?.length)
    out.push(notRun('proxy', 'static', 'static files', `checks that no backend saw the request: ${perInstance}`));
  if (!echo)
    for (const g of ECHO_GROUPS.filter(want).filter((x) => x !== 'auth' || model.routes.some((r) => r.auth)))
      out.push(notRun(g === 'auth' ? 'gateway' : model.chain[0], g, g, "reads what the backend received from the answer of edgegen's echo backend, and the services behind this entry are not it"));
  return out;
}

/** The groups --entry runs: those observed through the entry (without echo backends: those judged by the client alone). */
export function entryGroups(echo: boolean): CheckGroup[] {
  return ENTRY_GROUPS.filter((g) => echo || !ECHO_GROUPS.includes(g));
}

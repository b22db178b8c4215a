import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { emitKong } from '../src/emit/kong/emit.js';
import { emitNginxGateway } from '../src/emit/nginx/gateway.js';
import { specPlan } from '../src/model/plan.js';
import type { Model, Route } from '../src/model/types.js';
import { gateway, route as routeSchema } from '../src/spec/schema.js';
import { fixtureText, TEST_ENV } from './helpers/fixtures.js';
import { LIVE_SPEC, POLICIES_SPEC } from './helpers/nginx-gateway-specs.js';
import { modelOf } from './helpers/nginx-gateway.js';
import { ROUTE_HEADERS_SPEC } from './helpers/route-headers-spec.js';

/** Spec keys that are gateway policies (checked below) and those that are not; a new key must be sorted into one. */
const GATEWAY_POLICIES = ['auth', 'rateLimit', 'cache', 'cors', 'requestHeaders', 'responseHeaders', 'correlationId', 'metrics'];
const GATEWAY_OTHER = ['instances', 'hosts', 'bind', 'ports', 'image', 'engine', 'consumers', 'statusPort', 'timeouts', 'retries'];
const ROUTE_POLICIES = ['auth', 'rateLimit', 'cache', 'cors', 'requestHeaders', 'responseHeaders'];
const ROUTE_OTHER = ['name', 'match', 'service', 'stripPrefix', 'rewrite', 'timeouts'];

type Plugin = { name: string; config: Record<string, any> };

function kongRoutes(yaml: string): Map<string, Plugin[]> {
  // A route's plugins are its own plus its service's (edgegen moves plugins shared by every route to the service).
  const doc = parse(yaml) as { services: { plugins?: Plugin[]; routes: { name: string; plugins?: Plugin[] }[] }[] };
  return new Map(doc.services.flatMap((s) => s.routes.map((r) => [r.name, [...(s.plugins ?? []), ...(r.plugins ?? [])]] as const)));
}

/** The nginx location block(s) of a route (first server), from its "# route <name> ->" comment to the closing brace. */
function locationOf(conf: string, r: Route): string {
  const at = conf.indexOf(`# route ${r.name} -> `);
  expect(at, `nginx location for route ${r.name}`).toBeGreaterThan(0);
  return conf.slice(at, conf.indexOf('\n        }\n', at));
}

/** Every gateway policy of a route, as [name, kong check, nginx check]. */
function expectations(model: Model, r: Route, policies: Record<string, { type: string; names?: string[]; claim?: string; claims?: string[] }>) {
  const out: [string, (p: Plugin[]) => void, (loc: string) => void][] = [];
  const a = r.auth?.policy;
  if (a) out.push([`auth ${a.type}`, (p) => {
    const k = p.find((x) => x.name === (a.type === 'key' ? 'key-auth' : 'jwt'));
    expect(k).toBeTruthy();
    if (a.type === 'key') expect(k!.config.key_names).toEqual(a.keyNames.map((n) => n.toLowerCase()));
    else expect([k!.config.key_claim_name, k!.config.claims_to_verify]).toEqual([a.keyClaim, a.claims]);
  }, (loc) => {
    const id = /set \$edgegen_auth_policy "(a\d+)";/.exec(loc)?.[1];
    expect(loc).toContain('if ($edgegen_auth != "ok") {');
    expect(policies[id!]?.type).toBe(a.type);
    if (a.type === 'key') expect(policies[id!].names).toEqual(a.keyNames.map((n) => n.toLowerCase()));
    else expect([policies[id!].claim, policies[id!].claims]).toEqual([a.keyClaim, a.claims]);
  }]);
  const rl = r.rateLimit?.policy;
  if (rl) out.push(['rateLimit', (p) => {
    const k = p.find((x) => x.name === 'rate-limiting')!;
    for (const w of ['second', 'minute', 'hour'] as const) expect(k.config[w]).toBe(rl[w]);
  }, (loc) => {
    for (const w of ['second', 'minute', 'hour'] as const) {
      if (rl[w] === undefined) expect(loc).not.toContain(`zone=edgegen_rl_${w} `);
      else expect(loc).toContain(`limit_req zone=edgegen_rl_${w} burst=${rl[w]! - 1} nodelay;`);
    }
  }]);
  if (r.cors) out.push(['cors', (p) => expect(p.find((x) => x.name === 'cors')?.config.origins).toEqual(r.cors!.policy.origins),
    (loc) => { expect(loc).toContain('if ($edgegen_preflight) {'); expect(loc).toContain('add_header Access-Control-Allow-Origin '); }]);
  if (r.cache?.layer === 'gateway') out.push(['cache', (p) => expect(p.some((x) => x.name === 'proxy-cache')).toBe(true),
    (loc) => expect(loc).toContain('proxy_cache edgegen_gateway_cache;')]);
  const rq = r.requestHeaders;
  if (rq && (rq.remove.length || Object.keys(rq.add).length)) out.push(['requestHeaders', (p) => expect(p.some((x) => x.name === 'request-transformer')).toBe(true),
    (loc) => { for (const h of [...rq.remove, ...Object.keys(rq.add)]) expect(loc).toContain(`proxy_set_header ${h} `); }]);
  const rs = r.responseHeaders;
  if (rs && (rs.remove.length || Object.keys(rs.add).length)) out.push(['responseHeaders', (p) => expect(p.some((x) => x.name === 'response-transformer')).toBe(true),
    (loc) => {
      for (const h of rs.remove) expect(loc).toContain(`proxy_hide_header ${h};`);
      for (const h of Object.keys(rs.add)) expect(loc).toContain(`add_header ${h} `);
    }]);
  const corr = model.gateway!.settings.correlationId;
  if (corr) out.push(['correlationId', () => undefined, (loc) => {
    expect(loc).toContain(`proxy_set_header ${corr.header} "$edgegen_correlation_id";`);
    if (corr.echo) expect(loc).toContain(`add_header ${corr.header} "$edgegen_correlation_id" always;`);
  }]);
  return out;
}

describe('both gateway engines express every gateway policy of a spec (a dropped policy fails)', () => {
  it('the check knows every gateway and route key of the schema', () => {
    expect(Object.keys(gateway.shape).sort()).toEqual([...GATEWAY_POLICIES, ...GATEWAY_OTHER].sort());
    expect(Object.keys(routeSchema.shape).sort()).toEqual([...ROUTE_POLICIES, ...ROUTE_OTHER].sort());
  });

  for (const [name, text] of [['policies', POLICIES_SPEC], ['live', LIVE_SPEC], ['demo-nginx-gateway', fixtureText('demo-nginx-gateway')], ['route-headers', ROUTE_HEADERS_SPEC]] as const) {
    it(name, () => {
      const model = modelOf(text, `${name}.yaml`);
      const plan = specPlan(model);
      const kong = emitKong(model, plan, TEST_ENV);
      const files = emitNginxGateway(model, plan, { instance: 0, env: TEST_ENV });
      const conf = files.find((f) => f.path.endsWith('nginx.conf'))!.content;
      const script = files.find((f) => f.path.endsWith('edgegen-gateway.js'))!.content;
      const policies = JSON.parse(/^var POLICIES = (.*);$/m.exec(script)![1]);
      const routes = kongRoutes(kong.yaml);
      let checked = 0;
      for (const r of model.routes) {
        for (const [policy, inKong, inNginx] of expectations(model, r, policies)) {
          expect(routes.has(r.name), `kong route ${r.name}`).toBe(true);
          try { inKong(routes.get(r.name)!); } catch (e) { throw new Error(`Kong output dropped ${policy} of route ${r.name}: ${(e as Error).message}`); }
          try { inNginx(locationOf(conf, r)); } catch (e) { throw new Error(`nginx output dropped ${policy} of route ${r.name}: ${(e as Error).message}`); }
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(0);
      const globals = (parse(kong.yaml) as { plugins?: Plugin[] }).plugins ?? [];
      const s = model.gateway!.settings;
      if (s.correlationId) expect(globals.map((p) => p.name)).toContain('correlation-id');
      if (s.metrics) {
        expect(globals.map((p) => p.name)).toContain('prometheus');
        expect(conf).toContain('location = /metrics {');
      }
    });
  }
});

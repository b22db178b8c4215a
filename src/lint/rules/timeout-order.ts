import type { LayerKind, Model, Route } from '../../model/types.js';
import { durationMs } from '../../spec/primitives.js';
import { acceptsNonIdempotent, serviceFacingLayer, serviceIndex } from '../chain.js';
import { humanDuration } from '../duration.js';
import type { Finding, Rule, SpecPath } from '../types.js';
import { nameList } from '../names.js';

/** How long one layer waits for the next hop's response on a route, and which spec key sets it. */
interface Wait { layer: LayerKind; ms: number; path: SpecPath; what: string }

function waits(model: Model, r: Route, lbServerMs: number): Wait[] {
  const svc = ['services', serviceIndex(r.service), 'timeouts', 'read'];
  const svcRead = { ms: r.service.timeouts.readMs, path: svc, what: `service "${r.service.name}" timeouts.read` };
  const last = serviceFacingLayer(model);
  return model.chain.map((layer): Wait => {
    if (layer === 'loadBalancer' && layer !== last) {
      return { layer, ms: lbServerMs, path: ['loadBalancer', 'timeouts', 'server'], what: 'loadBalancer.timeouts.server' };
    }
    // NGINX applies the route's own read timeout; HAProxy backends and Kong services use the service's.
    if (layer === 'proxy' && r.timeouts.readMs !== r.service.timeouts.readMs) {
      return { layer, ms: r.timeouts.readMs, path: ['routes', r.specIndex, 'timeouts', 'read'], what: `route "${r.name}" timeouts.read` };
    }
    return { layer, ...svcRead };
  });
}

export const timeoutOrder: Rule = {
  id: 'timeout-order',
  defaultSeverity: 'warning',
  title: 'An outer layer stops waiting before the layer behind it does',
  rationale:
    'Each layer waits a limited time for the next hop to answer. When an outer layer (say HAProxy, timeouts.server 30s) gives up ' +
    'before an inner one (NGINX waiting 60s for the service), the client receives a 504 while the request is still being ' +
    'processed: the work is wasted, logs disagree about what happened, and for POST or PATCH a client that retries the 504 ' +
    'performs the write twice. (The engines themselves never re-send a non-idempotent request after delivering it: NGINX and ' +
    "Kong's proxy_next_upstream has no non_idempotent, and HAProxy retries only failed connections, so this inversion is " +
    'where duplicate writes come from.) Timeouts must grow from the inside out.',
  fix:
    'Make every outer timeout at least as long as the one behind it: raise loadBalancer.timeouts.server (and the service read ' +
    'timeout Kong uses) to cover the longest route or service read timeout, or shorten the inner timeout.',
  check({ model, declares }) {
    const groups = new Map<string, { path: SpecPath; outer: Wait; inner: Wait; routes: Route[] }>();
    const lbServerMs = model.loadBalancer ? durationMs(model.loadBalancer.settings.timeouts.server) : 0;
    for (const r of model.routes) {
      const chain = waits(model, r, lbServerMs);
      for (let i = 0; i + 1 < chain.length; i++) {
        const [outer, inner] = [chain[i], chain[i + 1]];
        if (outer.ms >= inner.ms) continue;
        const path = declares(outer.path) ? outer.path : inner.path;
        const key = [path.join('.'), outer.layer, inner.layer, outer.ms, inner.ms].join('|');
        const g = groups.get(key) ?? { path, outer, inner, routes: [] };
        g.routes.push(r);
        groups.set(key, g);
      }
    }
    return [...groups.values()].map(({ path, outer, inner, routes }): Finding => {
      const names = nameList(routes.map((r) => r.name));
      const writes = routes.some(acceptsNonIdempotent) ? '; a client that retries the 504 sends its POST or PATCH twice' : '';
      return {
        path,
        message: `${outer.layer} gives up after ${humanDuration(outer.ms)} (${outer.what}) but ${inner.layer} waits up to ` +
          `${humanDuration(inner.ms)} (${inner.what}) on route${routes.length > 1 ? 's' : ''} ${names}: the client gets a 504 ` +
          `while the backend is still working${writes}`,
      };
    });
  },
};

import type { LayerKind, Model } from '../model/types.js';

/**
 * The model with a layer taken out of the chain: the previous layer is wired straight to the next one.
 * Policies only that layer enforced are dropped from the routes; reports show the layer as bypassed.
 */
export function bypassLayer(model: Model, layer: LayerKind): Model {
  if (!model[layer]) return model;
  const chain = model.chain.filter((l) => l !== layer);
  if (chain.length === 0) throw new Error(`cannot bypass ${layer}: it is the only layer`);
  const out: Model = { ...model, chain, bypassed: [...(model.bypassed ?? []), layer], [layer]: undefined };
  if (layer === 'gateway') {
    out.routes = model.routes.map((r) => ({ ...r, auth: undefined, rateLimit: undefined, cors: undefined, requestHeaders: undefined, responseHeaders: undefined,
      cache: r.cache?.layer === 'gateway' ? undefined : r.cache }));
  }
  // The layer before the gap now reaches the one after it; keep TLS on that hop only if the next layer listens for it.
  const i = model.chain.indexOf(layer);
  const before = model.chain[i - 1];
  const after = model.chain[i + 1];
  if (before) {
    const prev = out[before]!;
    const next = after ? out[after] : undefined;
    out[before] = { ...prev, upstreamTls: Boolean(prev.upstreamTls && next?.listen.https !== undefined) } as never;
    // A health path written for the bypassed engine (e.g. Kong's /status/ready) does not fit the next one: use its default.
    if (before === 'loadBalancer' && out.loadBalancer!.settings.healthCheck?.path) {
      const lb = out.loadBalancer!;
      out.loadBalancer = { ...lb, settings: { ...lb.settings, healthCheck: { ...lb.settings.healthCheck!, path: undefined } } };
    }
  }
  return out;
}

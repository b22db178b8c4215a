import type { LayerKind, Model, Route, Service } from '../model/types.js';

/** How requests travel between the layers of the chain, as the emitters wire it. */

export interface Hop {
  from: LayerKind | 'client';
  to: LayerKind;
  /** Is the hop encrypted (TLS end to end on it, or TLS forwarded untouched)? */
  tls: boolean;
}

/** The client hop and every layer-to-layer hop, outermost first (the hop to the services is per service). */
export function layerHops(model: Model): Hop[] {
  const entry = model.chain[0];
  const tls = model.tls;
  const entryLayer = model[entry]!;
  // The entry also accepts plain HTTP when it has an http listener that does not redirect.
  const clientTls = tls !== undefined && (entryLayer.listen.http === undefined || tls.redirectHttp);
  const hops: Hop[] = [{ from: 'client', to: entry, tls: clientTls }];
  model.chain.slice(1).forEach((to, i) => {
    const from = model.chain[i];
    const layer = model[from]!;
    const passthrough = from === 'loadBalancer' && model.loadBalancer!.passthrough;
    hops.push({ from, to, tls: layer.upstreamTls || passthrough });
  });
  return hops;
}

/** The layer that talks to the services (the last one in the chain). */
export function serviceFacingLayer(model: Model): LayerKind {
  return model.chain[model.chain.length - 1];
}

/** Services that at least one route sends requests to. */
export function routedServices(model: Model): Service[] {
  const routed = new Set(model.routes.map((r) => r.service));
  return model.services.filter((s) => routed.has(s));
}

/** The service's index in the spec's services list. */
export function serviceIndex(s: Service): number {
  return s.origin.path[1] as number;
}

const SAFE_METHODS = ['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE'];

/** Does the route accept a method that is not idempotent (POST, PATCH, ...)? No method match means every method. */
export function acceptsNonIdempotent(r: Route): boolean {
  return r.methods.length === 0 || r.methods.some((m) => !SAFE_METHODS.includes(m.toUpperCase()));
}

export const LAYER_ENGINE: Record<LayerKind, string> = { loadBalancer: 'HAProxy', gateway: 'Kong', proxy: 'NGINX' };

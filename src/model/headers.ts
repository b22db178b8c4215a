import type { Spec } from '../spec/schema.js';
import type { HeaderTransform } from './types.js';

/**
 * A route's header transform merged onto the gateway's (names compare case-insensitively):
 * - the route's add entries override the gateway's for the same name;
 * - a name the route removes drops the gateway's add of it;
 * - remove lists are unioned; a header the route adds stays in the merged add even when a remove list names it
 *   (engines remove first, then add: the route's value is sent and a client cannot forge it);
 * - `false` turns the gateway's transform off for the route; no route transform keeps the gateway's object.
 */
export function mergeTransform(layer: HeaderTransform | undefined, route: HeaderTransform | false | undefined): HeaderTransform | undefined {
  if (route === false) return undefined;
  if (route === undefined) return layer;
  if (!layer) return route;
  const routeNames = new Set([...Object.keys(route.add), ...route.remove].map((h) => h.toLowerCase()));
  const add: Record<string, string> = {};
  for (const [name, value] of Object.entries(layer.add)) if (!routeNames.has(name.toLowerCase())) add[name] = value;
  Object.assign(add, route.add);
  const remove: string[] = [];
  const removed = new Set<string>();
  for (const h of [...layer.remove, ...route.remove]) {
    if (!removed.has(h.toLowerCase())) { removed.add(h.toLowerCase()); remove.push(h); }
  }
  return { add, remove };
}

/**
 * Merged transforms with one object per distinct content: routes that end up with the same transform share it
 * (the Kong emitter makes one plugin per object, and hoists plugins every route of a service shares).
 */
export function transformInterner(): (t: HeaderTransform | undefined) => HeaderTransform | undefined {
  const seen = new Map<string, HeaderTransform>();
  return (t) => {
    if (!t) return undefined;
    const key = JSON.stringify([Object.entries(t.add), t.remove]);
    const known = seen.get(key);
    if (known) return known;
    seen.set(key, t);
    return t;
  };
}

type Kind = 'requestHeaders' | 'responseHeaders';
const interners = new WeakMap<Spec, Record<Kind, ReturnType<typeof transformInterner>>>();

/** Route i's effective transform of one kind: the gateway's merged with the route's, one object per distinct content. */
export function routeTransform(spec: Spec, i: number, kind: Kind): HeaderTransform | undefined {
  const gw = spec.gateway;
  if (!gw) return undefined;
  let by = interners.get(spec);
  if (!by) {
    by = { requestHeaders: transformInterner(), responseHeaders: transformInterner() };
    // The gateway's own object comes first: routes without a transform of their own keep sharing it.
    by.requestHeaders(gw.requestHeaders);
    by.responseHeaders(gw.responseHeaders);
    interners.set(spec, by);
  }
  const merged = mergeTransform(gw[kind], spec.routes[i][kind]);
  return merged === gw[kind] ? merged : by[kind](merged);
}

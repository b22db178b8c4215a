import type { HeaderTransform } from '../../../model/types.js';
import { expr, quote, type NgxArg } from '../quote.js';
import { headerLine, headerName, headerVar, literal, type MapBlock } from './values.js';

/** One header sent upstream or to the client, by lower-cased name; a later entry replaces an earlier one. */
export type HeaderSet = Map<string, { name: string; value: NgxArg }>;

export function setHeader(set: HeaderSet, name: string, value: NgxArg): void {
  set.set(name.toLowerCase(), { name, value });
}

export function lines(set: HeaderSet): NgxArg[] {
  return [...set.values()].map((h) => headerLine(h.name, h.value));
}

/** Add-map variables of one config by direction, header and value: routes adding the same header with other values get their own. */
const mapVars = new WeakMap<MapBlock[], { vars: Map<string, string>; request: number; response: number }>();

/** The variable holding "the incoming header, or `value` when it is absent" (one map per distinct header and value). */
function mapFor(maps: MapBlock[], dir: 'request' | 'response', name: string, value: string, entries: () => string[]): string {
  let known = mapVars.get(maps);
  if (!known) mapVars.set(maps, (known = { vars: new Map(), request: 0, response: 0 }));
  const key = `${dir}\n${name.toLowerCase()}\n${value}`;
  let target = known.vars.get(key);
  if (!target) {
    target = `$edgegen_${dir}_add${known[dir]++}`;
    known.vars.set(key, target);
    const source = dir === 'request' ? `$http_${headerVar(name)}` : `$upstream_http_${headerVar(name)}`;
    maps.push({ source: source as NgxArg, target: target as NgxArg, entries: entries() as NgxArg[] });
  }
  return target;
}

/**
 * Kong's request-transformer: remove, then add only when the request does not have the header yet (the add is a map
 * on the incoming header). Headers the gateway sets itself (consumer, forwarding) count as present, as in Kong.
 */
export function requestTransform(t: HeaderTransform | undefined, set: HeaderSet, maps: MapBlock[]): void {
  if (!t) return;
  const removed = new Set(t.remove.map((h) => h.toLowerCase()));
  for (const h of t.remove) setHeader(set, h, quote(''));
  Object.entries(t.add).forEach(([name, value]) => {
    const key = name.toLowerCase();
    if (removed.has(key)) setHeader(set, name, literal(value, `requestHeaders.add.${name}`));
    else if (!set.has(key)) {
      const target = mapFor(maps, 'request', name, value, () => [`"" ${literal(value, `requestHeaders.add.${name}`)}`, `default $http_${headerVar(name)}`]);
      setHeader(set, name, expr(target));
    }
  });
}

/**
 * Kong's response-transformer: remove (upstream headers are hidden, the gateway's own are not sent), then add only
 * when the response does not have the header (a map on the upstream header; empty values are not sent).
 */
export function responseTransform(t: HeaderTransform | undefined, set: HeaderSet, maps: MapBlock[]): { hide: NgxArg[] } {
  if (!t) return { hide: [] };
  const removed = new Set(t.remove.map((h) => h.toLowerCase()));
  for (const h of t.remove) set.delete(h.toLowerCase());
  Object.entries(t.add).forEach(([name, value]) => {
    const key = name.toLowerCase();
    if (removed.has(key)) setHeader(set, name, literal(value, `responseHeaders.add.${name}`));
    else if (!set.has(key)) {
      const target = mapFor(maps, 'response', name, value, () => [`"" ${literal(value, `responseHeaders.add.${name}`)}`, 'default ""']);
      setHeader(set, name, expr(target));
    }
  });
  return { hide: t.remove.map(headerName) };
}

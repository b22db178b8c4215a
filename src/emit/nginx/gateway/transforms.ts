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

/**
 * Kong's request-transformer: remove, then add only when the request does not have the header yet (the add is a map
 * on the incoming header). Headers the gateway sets itself (consumer, forwarding) count as present, as in Kong.
 */
export function requestTransform(t: HeaderTransform | undefined, set: HeaderSet, maps: MapBlock[]): void {
  if (!t) return;
  const removed = new Set(t.remove.map((h) => h.toLowerCase()));
  for (const h of t.remove) setHeader(set, h, quote(''));
  Object.entries(t.add).forEach(([name, value], i) => {
    const key = name.toLowerCase();
    if (removed.has(key)) setHeader(set, name, literal(value, `requestHeaders.add.${name}`));
    else if (!set.has(key)) {
      const target = `$edgegen_request_add${i}`;
      maps.push({ source: `$http_${headerVar(name)}` as NgxArg, target: target as NgxArg,
        entries: [`"" ${literal(value, `requestHeaders.add.${name}`)}`, `default $http_${headerVar(name)}`] as NgxArg[] });
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
  Object.entries(t.add).forEach(([name, value], i) => {
    const key = name.toLowerCase();
    if (removed.has(key)) setHeader(set, name, literal(value, `responseHeaders.add.${name}`));
    else if (!set.has(key)) {
      const target = `$edgegen_response_add${i}`;
      maps.push({ source: `$upstream_http_${headerVar(name)}` as NgxArg, target: target as NgxArg,
        entries: [`"" ${literal(value, `responseHeaders.add.${name}`)}`, 'default ""'] as NgxArg[] });
      setHeader(set, name, expr(target));
    }
  });
  return { hide: t.remove.map(headerName) };
}

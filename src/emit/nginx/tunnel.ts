import type { PathSlot } from '../../model/routing.js';
import type { Route } from '../../model/types.js';
import { ident, type NgxArg } from './quote.js';
import { DISPATCH_CODE, splitSlot } from './slots.js';

/**
 * Upgraded connections (WebSockets) on NGINX. After a 101 nginx keeps proxy_read_timeout and proxy_send_timeout as
 * the idle timeouts of the tunnel, and neither takes a variable: so an upgrade request is served by a twin of its
 * route's location, a named location whose timeouts are the route's tunnel timeout (and which never caches). Every
 * location that serves a route jumps there first when the request asks for an upgrade, with the same private status
 * code as the route dispatch (slots.ts).
 */

/** The id of a route's own twin (the gateway's: its twins carry the route's policies). */
export function routeTunnelId(r: Route): string {
  return `${r.id}_tunnel`;
}

/** The named location of a twin. */
export function tunnelLocation(id: string): NgxArg {
  return ident(`@${id}`);
}

/**
 * The rewrite-phase lines that send an upgrade request to the route's twin (indent: the location body's), placed
 * after the dispatch of the routes tried first. `dispatched`: the location already set the dispatch error_page
 * (slots.ts dispatchText). `guards`: conditions under which the location answers 404 instead (they come later in
 * the location, so they hold the jump back here).
 */
export function tunnelJump(id: string, indent: string, dispatched: boolean, guards: readonly NgxArg[] = []): string {
  const i2 = `${indent}    `;
  let s = dispatched ? '' : `${indent}recursive_error_pages on;\n${indent}error_page ${DISPATCH_CODE} = @$edgegen_route;\n`;
  const jump = `${i2}set $edgegen_route ${ident(id)};\n${i2}return ${DISPATCH_CODE};\n`;
  if (!guards.length) return `${s}${indent}if ($http_upgrade) {\n${jump}${indent}}\n`;
  s += `${indent}set $edgegen_match $http_upgrade;\n`;
  for (const g of guards) s += `${indent}if (${g}) {\n${i2}set $edgegen_match "";\n${indent}}\n`;
  return `${s}${indent}if ($edgegen_match) {\n${jump}${indent}}\n`;
}

/** Lines tunnelJump writes, counted as template values. */
export function tunnelJumpValues(guards: readonly NgxArg[] = []): number {
  return 6 + guards.length * 2;
}

/** Routes served in some slots (in place, or tried and jumped to): each needs its twin in the same server. */
export function servedRoutes(slots: Iterable<PathSlot>, into: Set<Route>): Set<Route> {
  for (const s of slots) {
    const { tried, served } = splitSlot(s);
    for (const c of tried) into.add(c.route);
    if (served) into.add(served);
  }
  return into;
}

import type { Candidate, PathSlot } from '../../model/routing.js';
import type { Route } from '../../model/types.js';
import { headerVar } from './gateway/values.js';
import { escapeRegex, ident, quote, regex, type NgxArg } from './quote.js';

/**
 * The model's route decision on nginx (proxy layer and gateway engine alike). nginx picks a server by host and a
 * location by path; every location here is an exact or a plain prefix location (no regex location, so nginx's own
 * "regexes before prefixes" never applies). Inside a location the routes that can take the request (the slot's
 * candidates, in the model's order) are tried one by one: the first whose tests all hold is served in its named
 * location (error_page with a private code to `@$edgegen_route`), and a request no candidate takes gets the 404.
 */

/** The private status code that jumps to the chosen route's named location. */
export const DISPATCH_CODE = 460;

export { headerVar };

export function slotMatch(slot: PathSlot): NgxArg {
  return (slot.kind === 'exact' ? `= ${quote(slot.path, 'route path')}` : quote(slot.path, 'route path')) as NgxArg;
}

export function namedLocation(r: Route): NgxArg {
  return ident(`@${r.id}`);
}

/** Tests a request must pass for the candidate to take it: its path (when landing here does not imply it), methods, headers. */
export function candidateTests(c: Candidate, memo?: Map<string, readonly NgxArg[]>): readonly NgxArg[] {
  const r = c.route;
  const methods = r.methods.length ? r.methods.join('|') : '';
  const plain = !c.testPath && Object.keys(r.headers).length === 0;
  const cached = plain ? memo?.get(methods) : undefined;
  if (cached) return cached;
  const out: NgxArg[] = [];
  if (c.testPath) out.push(`$uri ~ ${regex(r.path, 'route regex')}` as NgxArg);
  if (methods) out.push(`$request_method ~ ${regex(`^(${methods})$`)}` as NgxArg);
  for (const [name, values] of Object.entries(r.headers))
    out.push(`$http_${headerVar(name)} ~* ${regex(`^(${values.map(escapeRegex).join('|')})$`, 'header match')}` as NgxArg);
  if (plain) memo?.set(methods, out);
  return out;
}

export function negate(test: NgxArg): NgxArg {
  return test.replace(' ~ ', ' !~ ').replace(' ~* ', ' !~* ') as NgxArg;
}

/**
 * A slot's candidates split: those tried by tests (jumping to their named location), and the last one, served in
 * place; when the slot is not complete, that one keeps its tests as guards (a failed one answers the 404).
 */
export function splitSlot(slot: PathSlot, memo?: Map<string, readonly NgxArg[]>): { tried: Candidate[]; served?: Route; guards: readonly NgxArg[] } {
  const last = slot.candidates[slot.candidates.length - 1];
  if (!last) return { tried: [], guards: [] };
  const guards = slot.complete ? [] : candidateTests(last, memo).map(negate);
  return { tried: slot.candidates.slice(0, -1), served: last.route, guards };
}

/** The rewrite-phase lines that try candidates in order (indent: the location body's). */
export function dispatchText(tried: readonly Candidate[], indent: string, memo?: Map<string, readonly NgxArg[]>): string {
  if (!tried.length) return '';
  const i2 = `${indent}    `;
  let s = `${indent}recursive_error_pages on;\n${indent}error_page ${DISPATCH_CODE} = @$edgegen_route;\n`;
  for (const c of tried) {
    const tests = candidateTests(c, memo);
    const jump = `${i2}set $edgegen_route ${ident(c.route.id)};\n${i2}return ${DISPATCH_CODE};\n`;
    if (tests.length === 1) {
      s += `${indent}if (${tests[0]}) {\n${jump}${indent}}\n`;
      continue;
    }
    s += `${indent}set $edgegen_match 1;\n`;
    for (const t of tests) s += `${indent}if (${negate(t)}) {\n${i2}set $edgegen_match 0;\n${indent}}\n`;
    s += `${indent}if ($edgegen_match) {\n${jump}${indent}}\n`;
  }
  return s;
}

/** Routes a set of slots jumps to (each needs a named location in the same server). */
export function triedRoutes(slots: Iterable<PathSlot>, into: Set<Route>): Set<Route> {
  for (const s of slots) for (const c of splitSlot(s).tried) into.add(c.route);
  return into;
}

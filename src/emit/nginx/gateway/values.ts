import { assertSafe, EmitError } from '../../text.js';
import { expr, ident, type NgxArg } from '../quote.js';

/** One `map source $target { ... }` block at http level; entries are finished "key value" pairs. */
export interface MapBlock { source: NgxArg; target: NgxArg; entries: NgxArg[] }

/** Variable suffix for a header name: "X-Api-Key" -> "x_api_key". */
export function headerVar(name: string): string {
  return name.toLowerCase().replace(/-/g, '_');
}

/** A header name as a bare nginx token (names are validated to [A-Za-z0-9-]). */
export function headerName(name: string): NgxArg {
  return ident(name);
}

/**
 * A spec literal in a directive that expands variables (add_header, proxy_set_header, map values):
 * quoted, with every "$" written as ${edgegen_dollar} (a geo variable that holds "$"; nginx has no escape for it).
 */
export function literal(value: string, what = 'value'): NgxArg {
  assertSafe(value, what);
  const q = value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\$/g, '${edgegen_dollar}');
  if (q.length > 3000) throw new EmitError(`${what} is too long for one nginx argument`);
  return `"${q}"` as NgxArg;
}

/**
 * A literal map source key. map treats a leading "~" as a regex and "default", "hostnames", "include" and "volatile"
 * as keywords; a leading "\" (written "\\" inside quotes) makes map take the rest literally, so every key gets one.
 * Keys are matched case-insensitively, so callers must not rely on case.
 */
export function mapKey(value: string, what = 'map key'): NgxArg {
  assertSafe(value, what);
  if (value === '') throw new EmitError(`${what} is empty`);
  return `"\\\\${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` as NgxArg;
}

/** "Name value" for add_header / proxy_set_header. */
export function headerLine(name: string, value: NgxArg): NgxArg {
  return `${headerName(name)} ${value}` as NgxArg;
}

/** A JSON error body like Kong's kong.response.error, with nginx's request id. */
export function kongErrorBody(message: string): NgxArg {
  if (!/^[A-Za-z ,.'-]+$/.test(message)) throw new EmitError(`unexpected error message ${message}`);
  return expr(`{"message":"${message}","request_id":"$request_id"}`);
}

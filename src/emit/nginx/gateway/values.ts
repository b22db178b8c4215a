import { EmitError } from '../../text.js';
import { expr, ident, type NgxArg } from '../quote.js';

export { literal, mapKey } from '../quote.js';

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

/** "Name value" for add_header / proxy_set_header. */
export function headerLine(name: string, value: NgxArg): NgxArg {
  return `${headerName(name)} ${value}` as NgxArg;
}

/** A JSON error body like Kong's kong.response.error, with nginx's request id. */
export function kongErrorBody(message: string): NgxArg {
  if (!/^[A-Za-z ,.'-]+$/.test(message)) throw new EmitError(`unexpected error message ${message}`);
  return expr(`{"message":"${message}","request_id":"$request_id"}`);
}

// Shape of a plugin schema (kong/plugins/<name>/schema.lua) and shared pieces.
import { arr, headerName, HTTP_PROTOCOLS, map, protocols, str } from './fields.js';
import type { ArrayField, EntityCheck, Field, MapField, RecordField } from './types.js';

export interface PluginSchema {
  config: RecordField;
  /** Plugin `protocols` field; defaults to `typedefs.protocols`. */
  protocols?: ArrayField;
  /** `consumer = typedefs.no_consumer`: the plugin can never be consumer-scoped. */
  noConsumer?: boolean;
  /** Entity checks of the plugin schema (dotted fields such as "config.second"). */
  checks?: EntityCheck[];
}

export interface PluginOptions {
  dbless: boolean;
  /** lua_shared_dict names available to proxy-cache (Kong's template + injected ones). */
  sharedDicts: readonly string[];
}

/** `typedefs.protocols_http`. */
export const protocolsHttp = (): ArrayField => protocols(HTTP_PROTOCOLS, HTTP_PROTOCOLS);

/** `typedefs.lua_code`: the Lua itself is not compiled here (Kong sandbox-checks it). */
export const luaCode = (): MapField => map(str(), str());

/** A header-name check for "name:value" pairs (request/response-transformer `validate_headers`). */
export function pairHeaderCheck(validateValue: boolean): (pair: string) => string | undefined {
  return (pair) => {
    const m = /^([^:]+):*(.*)$/s.exec(pair);
    const name = m?.[1] ?? '';
    const value = m?.[2] ?? '';
    const bad = (h: string) => !/^[A-Za-z0-9_-]+$/.test(h);
    if (bad(name)) return `'${name}' is not a valid header`;
    if (validateValue && bad(value)) return `'${value}' is not a valid header`;
    return undefined;
  };
}

/** Array with Kong's `default = {}, required = true`. */
export const list = (el: Field = str()): ArrayField => arr(el, { default: [], required: true });

export { headerName };

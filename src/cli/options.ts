import { EdgegenError } from '../diagnostics.js';
import { LAYER_ORDER, type LayerKind } from '../model/types.js';
import { NETWORK_MODES, type NetworkMode } from '../runtime/state.js';

/** commander collector for repeatable options. */
export const collect = (v: string, prev: string[]) => [...prev, v];

/** --bypass values: layer names only. */
export function parseBypass(values: string[]): LayerKind[] {
  return values.map((b) => {
    if (!LAYER_ORDER.includes(b as LayerKind)) throw new EdgegenError(`--bypass takes a layer (${LAYER_ORDER.join(', ')}), got "${b}"`);
    return b as LayerKind;
  });
}

/** --network: host (every hop on loopback) or bridge (a user-defined Docker network with service names). */
export function parseNetwork(value: string | undefined): NetworkMode {
  if (value === undefined) return 'host';
  if (!NETWORK_MODES.includes(value as NetworkMode)) throw new EdgegenError(`--network is ${NETWORK_MODES.join(' or ')}, got "${value}"`);
  return value as NetworkMode;
}

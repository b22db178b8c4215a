import { EdgegenError } from '../diagnostics.js';
import { LAYER_ORDER, type LayerKind } from '../model/types.js';

/** commander collector for repeatable options. */
export const collect = (v: string, prev: string[]) => [...prev, v];

/** --bypass values: layer names only. */
export function parseBypass(values: string[]): LayerKind[] {
  return values.map((b) => {
    if (!LAYER_ORDER.includes(b as LayerKind)) throw new EdgegenError(`--bypass takes a layer (${LAYER_ORDER.join(', ')}), got "${b}"`);
    return b as LayerKind;
  });
}

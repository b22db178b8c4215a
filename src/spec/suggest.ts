import type { z } from 'zod';

type AnyDef = { type: string; [k: string]: unknown };
const defOf = (s: unknown): AnyDef => (s as { _zod: { def: AnyDef } })._zod.def;

/** Strip wrappers (optional, default, pipes...) to the schema that holds structure. */
function unwrap(s: unknown): unknown[] {
  const d = defOf(s);
  switch (d.type) {
    case 'optional': case 'default': case 'prefault': case 'nullable': case 'readonly': case 'catch':
      return unwrap(d.innerType);
    case 'pipe':
      return unwrap(d.in);
    case 'union':
      return (d.options as unknown[]).flatMap(unwrap);
    default:
      return [s];
  }
}

/** The object keys the schema allows at a key path (union branches merged). */
export function keysAt(schema: z.ZodType, path: readonly (string | number)[]): string[] {
  let nodes: unknown[] = unwrap(schema);
  for (const seg of path) {
    const next: unknown[] = [];
    for (const n of nodes) {
      const d = defOf(n);
      if (d.type === 'object' && typeof seg === 'string') {
        const shape = d.shape as Record<string, unknown>;
        if (shape[seg]) next.push(...unwrap(shape[seg]));
      } else if (d.type === 'array' && typeof seg === 'number') next.push(...unwrap(d.element));
      else if (d.type === 'record') next.push(...unwrap(d.valueType));
    }
    nodes = next;
  }
  const keys = new Set<string>();
  for (const n of nodes) {
    const d = defOf(n);
    if (d.type === 'object') for (const k of Object.keys(d.shape as object)) if (k !== '$schema') keys.add(k);
  }
  return [...keys];
}

function distance(a: string, b: string): number {
  const al = a.toLowerCase(), bl = b.toLowerCase();
  const dp = Array.from({ length: al.length + 1 }, (_, i) => [i, ...Array(bl.length).fill(0)]);
  for (let j = 1; j <= bl.length; j++) dp[0][j] = j;
  for (let i = 1; i <= al.length; i++)
    for (let j = 1; j <= bl.length; j++)
      dp[i][j] = Math.min(dp[i - 1][j] + 1, dp[i][j - 1] + 1, dp[i - 1][j - 1] + (al[i - 1] === bl[j - 1] ? 0 : 1));
  return dp[al.length][bl.length];
}

/** The closest known name, if it is close enough to be a likely typo. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = distance(word, c);
    if (d < bestD) { bestD = d; best = c; }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

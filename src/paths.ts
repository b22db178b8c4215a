import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/**
 * The project root (package.json, templates/, dist/), found by walking up from this module: the same answer from
 * src/ (tests), dist/ (tsc output) and dist/bundle/ (what bin/edgegen.js runs).
 */
export function projectRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!(existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'templates')))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('edgegen: cannot find its installation (package.json beside templates/)');
    dir = up;
  }
  return (root = dir);
}

import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';

const require = createRequire(import.meta.url);
let lib: typeof Yaml | undefined;

/**
 * The yaml package, loaded on first use: it is the full parser (positions, diagnostics, limits), and a clean build of a
 * plain spec, read by the fast path, never needs it (its loading is about 30 ms of every start).
 */
export function yamlLib(): typeof Yaml {
  return (lib ??= require('yaml') as typeof Yaml);
}

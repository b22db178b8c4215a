import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Every file under a directory with its mode and bytes: equal snapshots mean a byte-identical tree. */
export function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const e of readdirSync(join(root, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(p);
      else out[p] = `${(statSync(join(root, p)).mode & 0o777).toString(8)} ${readFileSync(join(root, p)).toString('base64')}`;
    }
  };
  walk('');
  return out;
}

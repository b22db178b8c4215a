import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTemplates, templateOrigins } from '../src/emit/text.js';
import { ROOT } from './helpers/fixtures.js';
import { tempDir } from './helpers/tmp.js';

/** `npm run build` precompiles the templates (scripts/precompile-templates.mjs); text.ts uses them only when fresh. */
describe('precompiled templates', () => {
  it('the build precompiled every template of every target, and they are used', () => {
    for (const target of ['haproxy', 'nginx', 'nginx-gateway']) loadTemplates(target);
    const origins = [...templateOrigins].filter(([k]) => /^(haproxy|nginx|nginx-gateway)\//.test(k));
    expect(origins.length).toBeGreaterThan(5);
    expect(origins.filter(([, o]) => o !== 'precompiled'), 'run npm run build: dist/templates is missing or stale').toEqual([]);
  });

  it('a precompiled template whose source changed is ignored: the .hbs file is compiled instead', () => {
    const dir = tempDir('edgegen-tpl-');
    const built = readFileSync(join(ROOT, 'dist', 'templates', 'haproxy.cjs'), 'utf8');
    // Every recorded source hash changed: the sources no longer match what was precompiled.
    writeFileSync(join(dir, 'haproxy.cjs'), built.replace(/sha256: "([0-9a-f]{64})"/g, 'sha256: "0$1".slice(0, 64)'));
    loadTemplates('haproxy', dir);
    const origins = [...templateOrigins].filter(([k]) => k.startsWith('haproxy/'));
    expect(origins.length).toBeGreaterThan(0);
    expect(origins.every(([, o]) => o === 'compiled')).toBe(true);
  });
});

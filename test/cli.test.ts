import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { jsonSchema } from '../src/spec/json-schema.js';
import { FIXTURES, ROOT, TEST_ENV } from './helpers/fixtures.js';
import { snapshot } from './helpers/files.js';
import { tempDir } from './helpers/tmp.js';

async function run(...args: string[]) {
  const out: string[] = [], err: string[] = [];
  const code = await main(['node', 'edgegen', ...args], { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const demo = join(FIXTURES, 'demo.yaml');
let dir: string;
const saved = { ...process.env };
beforeEach(() => {
  dir = tempDir('edgegen-cli-');
  Object.assign(process.env, TEST_ENV);
});
afterEach(() => {
  for (const k of Object.keys(TEST_ENV)) if (saved[k] === undefined) delete process.env[k];
});


describe('edgegen CLI', () => {
  it('--version and --help exit 0', async () => {
    const v = await run('--version');
    expect(v.code).toBe(0);
    expect(v.out).toBe(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
    const h = await run('--help');
    expect(h.code).toBe(0);
    expect(h.out).toContain('build');
  });

  it('usage errors exit 2', async () => {
    expect((await run('build')).code).toBe(2);
    expect((await run('frobnicate')).code).toBe(2);
    expect((await run('build', join(dir, 'missing.yaml'))).code).toBe(2);
  });

  it('build writes one file per layer; kong.yaml holding secrets is 0600', async () => {
    const out = join(dir, 'out');
    const r = await run('build', demo, '-o', out);
    expect(r.code).toBe(0);
    expect(Object.keys(snapshot(out)).sort()).toEqual(['.edgegen-output', 'haproxy/haproxy.cfg', 'kong/kong.env', 'kong/kong.yaml', 'nginx/nginx.conf']);
    expect(statSync(join(out, 'kong/kong.yaml')).mode & 0o777).toBe(0o600);
    expect(statSync(join(out, 'nginx/nginx.conf')).mode & 0o777).toBe(0o644);
    expect(readFileSync(join(out, 'kong/kong.yaml'), 'utf8')).toContain(`key: "${TEST_ENV.DEMO_ALICE_KEY}"`);
    expect(r.out).not.toContain(TEST_ENV.DEMO_ALICE_KEY);
  });

  it('build --check reports drift with exit 1 and writes nothing', async () => {
    const out = join(dir, 'out');
    await run('build', demo, '-o', out);
    const ok = await run('build', demo, '-o', out, '--check');
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('up to date');
    const cfg = join(out, 'nginx/nginx.conf');
    writeFileSync(cfg, readFileSync(cfg, 'utf8') + '# hand edit\n');
    const before = snapshot(out);
    const drift = await run('build', demo, '-o', out, '--check');
    expect(drift.code).toBe(1);
    expect(drift.err).toContain('nginx/nginx.conf');
    expect(snapshot(out)).toEqual(before);
  });

  it('a missing environment secret names the variable, exits 1 and leaves the previous output byte-identical', async () => {
    const out = join(dir, 'out');
    await run('build', demo, '-o', out);
    const before = snapshot(out);
    delete process.env.DEMO_BOB_KEY;
    const r = await run('build', demo, '-o', out);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/demo\.yaml:\d+:\d+: error: environment variable DEMO_BOB_KEY is not set/);
    expect(r.err).not.toContain(TEST_ENV.DEMO_ALICE_KEY);
    expect(snapshot(out)).toEqual(before);
  });

  it('refuses to replace a directory it did not write', async () => {
    const out = join(dir, 'mine');
    mkdirSync(out);
    writeFileSync(join(out, 'notes.txt'), 'keep me');
    const r = await run('build', demo, '-o', out);
    expect(r.code).toBe(2);
    expect(r.err).toContain('was not written by edgegen');
    expect(readFileSync(join(out, 'notes.txt'), 'utf8')).toBe('keep me');
  });

  it('an unwritable output location is an I/O error (exit 2) and leaves nothing behind', async () => {
    if (process.getuid?.() === 0) {
      // root ignores directory permissions; use a path under a regular file instead
      const file = join(dir, 'file');
      writeFileSync(file, 'x');
      const r = await run('build', demo, '-o', join(file, 'out'));
      expect(r.code).toBe(2);
      expect(r.err).toContain('cannot write');
      return;
    }
    const ro = join(dir, 'ro');
    mkdirSync(ro);
    chmodSync(ro, 0o500);
    const r = await run('build', demo, '-o', join(ro, 'out'));
    expect(r.code).toBe(2);
    expect(existsSync(join(ro, 'out'))).toBe(false);
  });

  it('validate prints the chain and exits 0', async () => {
    const r = await run('validate', demo);
    expect(r.code).toBe(0);
    expect(r.out).toContain('loadBalancer -> gateway -> proxy -> services');
  });

  it('schema prints the JSON Schema, and schemas/edgegen.schema.json is not stale', async () => {
    const r = await run('schema');
    expect(r.code).toBe(0);
    const printed = JSON.parse(r.out);
    expect(printed).toEqual(jsonSchema());
    const committed = JSON.parse(readFileSync(join(ROOT, 'schemas', 'edgegen.schema.json'), 'utf8'));
    expect(committed, 'schemas/edgegen.schema.json is stale: run npm run build && npm run schema').toEqual(printed);
    expect(printed.properties.routes).toBeDefined();
  });

  it('build --engine-check runs nginx -t and haproxy -c and says what it could not run', async () => {
    const r = await run('build', demo, '-o', join(dir, 'out'), '--engine-check');
    expect(r.out).toMatch(/^nginx: (passed|not-run)/m);
    expect(r.out).toMatch(/^haproxy: (passed|not-run)/m);
    expect(r.out).toMatch(/^kong: not-run - /m);
    if (process.env.EDGEGEN_REQUIRE_ENGINES === '1') {
      expect(r.out).toMatch(/^nginx: passed/m);
      expect(r.out).toMatch(/^haproxy: passed/m);
    }
    expect(r.code).toBe(0);
  });
});

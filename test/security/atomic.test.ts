import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compileSpec, type CompileResult, type OutputFile } from '../../src/compile.js';
import { EdgegenError } from '../../src/diagnostics.js';
import { emitHaproxy } from '../../src/emit/haproxy/emit.js';
import { emitKong } from '../../src/emit/kong/emit.js';
import { emitNginxProxy } from '../../src/emit/nginx/proxy.js';
import { EmitError } from '../../src/emit/text.js';
import { specPlan, type AddressPlan } from '../../src/model/plan.js';
import type { Model } from '../../src/model/types.js';
import { writeOutputs } from '../../src/write.js';
import { FIXTURES, TEST_ENV } from '../helpers/fixtures.js';
import { runCli } from './helpers.js';
import { snapshot } from '../helpers/files.js';

/** Atomic output: a build that fails at any stage leaves the previous output directory byte-identical. */

const DEMO = join(FIXTURES, 'demo.yaml');
const demoText = readFileSync(DEMO, 'utf8');


/** What `edgegen build` does with a compile result (src/cli/main.ts): write only when the whole build succeeded. */
function writeLikeCli(out: string, result: CompileResult): number {
  if (!result.ok) return 1;
  writeOutputs(out, result.files);
  return 0;
}

/**
 * A plan that maps the demo's static root (read only by NGINX, the last emitter) to a path holding "$", which nginx
 * would expand and the nginx quoting refuses. HAProxy and Kong never see that path, so they succeed.
 */
function lastEmitterFails(model: Model): AddressPlan {
  const plan = specPlan(model);
  const root = model.proxy!.settings.static[0].root;
  return { ...plan, file: (p) => (p === root ? `${p}/$document_root` : plan.file(p)) };
}

let dir: string;
let out: string;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'edgegen-atomic-'));
  out = join(dir, 'out');
  Object.assign(process.env, TEST_ENV);
  expect((await runCli('build', DEMO, '-o', out)).code).toBe(0);
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

const leftovers = () => readdirSync(dirname(out)).filter((f) => f !== 'out');

describe('atomic output', () => {
  it('a spec that fails in the last emitter (NGINX) leaves the existing output byte-identical', () => {
    const before = snapshot(out);
    expect(Object.keys(before).sort()).toEqual(['.edgegen-output', 'haproxy/haproxy.cfg', 'kong/kong.env', 'kong/kong.yaml', 'nginx/nginx.conf']);
    expect(before['kong/kong.yaml'].startsWith('600 ')).toBe(true);

    // The emitters run in this order, NGINX last.
    const good = compileSpec(demoText, DEMO, { env: TEST_ENV });
    expect(good.files.map((f) => f.path)).toEqual(['haproxy/haproxy.cfg', 'kong/kong.yaml', 'kong/kong.env', 'nginx/nginx.conf']);

    // With the hostile plan, every emitter before NGINX succeeds and NGINX refuses the value.
    const model = good.model!;
    const plan = lastEmitterFails(model);
    expect(emitHaproxy(model, plan, { instance: 0 })[0].content).toContain('backend');
    expect(emitKong(model, plan, TEST_ENV).yaml).toContain('_format_version');
    expect(() => emitNginxProxy(model, plan, { instance: 0 })).toThrow(EmitError);

    const failed = compileSpec(demoText, DEMO, { env: TEST_ENV, plan: lastEmitterFails });
    expect(failed.ok).toBe(false);
    expect(failed.files).toEqual([]);
    expect(failed.diagnostics.map((d) => d.message)).toEqual(['static root must not contain "$" (nginx would expand it as a variable)']);

    expect(writeLikeCli(out, failed)).toBe(1);
    expect(snapshot(out)).toEqual(before);
    expect(leftovers()).toEqual([]);
  });

  it('a write that fails on the last file leaves the existing output byte-identical and no temporary directory', () => {
    const before = snapshot(out);
    const files = compileSpec(demoText, DEMO, { env: TEST_ENV }).files.map((f) => ({ ...f, content: `${f.content}# changed\n` }));
    // The last file cannot be created: its parent path is a file written just before it.
    const blocked: OutputFile[] = [...files, { path: 'nginx/nginx.conf/extra.conf', content: 'x', mode: 0o644 }];
    expect(() => writeOutputs(out, blocked)).toThrow(EdgegenError);
    expect(snapshot(out)).toEqual(before);
    expect(leftovers()).toEqual([]);

    const escaping: OutputFile[] = [...files, { path: '../escaped.conf', content: 'x', mode: 0o644 }];
    expect(() => writeOutputs(out, escaping)).toThrow(/escapes the output directory/);
    expect(snapshot(out)).toEqual(before);
    expect(existsSync(join(dir, 'escaped.conf'))).toBe(false);
    expect(leftovers()).toEqual([]);
  });

  it('a successful rebuild replaces the whole directory and keeps secrets at 0600', () => {
    const files = compileSpec(demoText, DEMO, { env: { ...TEST_ENV, DEMO_ALICE_KEY: 'alice-rotated' } }).files;
    writeOutputs(out, files);
    const after = snapshot(out);
    expect(after['kong/kong.yaml'].startsWith('600 ')).toBe(true);
    expect(after['nginx/nginx.conf'].startsWith('644 ')).toBe(true);
    expect(readFileSync(join(out, 'kong/kong.yaml'), 'utf8')).toContain('alice-rotated');
    expect(leftovers()).toEqual([]);
  });
});

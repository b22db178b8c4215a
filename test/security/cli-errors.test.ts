import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { FIXTURES, TEST_ENV } from '../helpers/fixtures.js';
import { runCli, STACK_LINE } from './helpers.js';

/** Errors through the CLI: a clear message, no stack trace unless --debug, and never a secret value. */

const DEMO = join(FIXTURES, 'demo.yaml');
const SECRETS = Object.values(TEST_ENV);
let dir: string;
const saved = { ...process.env };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgegen-cli-errors-'));
  Object.assign(process.env, TEST_ENV);
});
afterEach(() => {
  for (const k of Object.keys(TEST_ENV)) if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  rmSync(dir, { recursive: true, force: true });
});

function noSecrets(text: string, secrets: string[] = SECRETS): void {
  for (const s of secrets) expect(text, `output leaks the secret ${s.slice(0, 3)}...`).not.toContain(s);
}

const KEY_SPEC = (key: string) => `version: 1
name: s
gateway: { ports: { http: 8000 }, auth: { type: key }, consumers: [{ name: a, keys: [${key}] }] }
services: [{ name: svc, instances: [{ address: "svc-1:3000" }] }]
routes: [{ name: web, match: { path: /web }, service: svc }]
`;

describe('CLI errors', () => {
  it('an internal error prints no stack trace, and --debug prints it', async () => {
    // An output stream that breaks (like EPIPE on stdout) is an error edgegen does not anticipate.
    const broken = () => { throw new Error('write EPIPE'); };
    const plain: string[] = [];
    const code = await main(['node', 'edgegen', 'validate', DEMO], { out: broken, err: (s) => plain.push(s) });
    expect(code).toBe(2);
    expect(plain.join('\n')).toBe('edgegen: internal error: write EPIPE (run with --debug for details)');

    const debug: string[] = [];
    expect(await main(['node', 'edgegen', 'validate', DEMO, '--debug'], { out: broken, err: (s) => debug.push(s) })).toBe(2);
    expect(debug.join('\n')).toMatch(/^edgegen: internal error: write EPIPE\nError: write EPIPE\n/);
    expect(debug.join('\n')).toMatch(STACK_LINE);
  });

  it('spec errors never print a stack trace, with or without --debug', async () => {
    const f = join(dir, 'bad.yaml');
    writeFileSync(f, KEY_SPEC('k1').replace('name: s', 'name: Bad Name'));
    for (const args of [['validate', f], ['validate', f, '--debug'], ['build', f, '-o', join(dir, 'out'), '--debug']]) {
      const r = await runCli(...args);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(new RegExp(`^${f.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:2:7: error: `));
      expect(r.err).not.toMatch(STACK_LINE);
    }
  });

  it('a successful build and its --engine-check print no secret value', async () => {
    const r = await runCli('build', DEMO, '-o', join(dir, 'out'), '--engine-check');
    expect(r.code).toBe(0);
    noSecrets(r.out + r.err);
  });

  it('a missing secret names the variable and prints no other secret, also with --debug', async () => {
    delete process.env.DEMO_BOB_KEY;
    const r = await runCli('build', DEMO, '-o', join(dir, 'out'), '--debug');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/demo\.yaml:\d+:\d+: error: environment variable DEMO_BOB_KEY is not set/);
    noSecrets(r.out + r.err);
    expect(r.err).not.toMatch(STACK_LINE);
  });

  it('an environment secret with a bad value names the variable, never the value', async () => {
    process.env.DEMO_BOB_KEY = 'bob has spaces in his key';
    const r = await runCli('build', DEMO, '-o', join(dir, 'out'));
    expect(r.code).toBe(1);
    expect(r.err).toContain('environment variable DEMO_BOB_KEY must be printable ASCII without spaces');
    noSecrets(r.out + r.err, [...SECRETS, 'bob has spaces in his key']);
  });

  it('a refused literal secret is not echoed in the error', async () => {
    for (const literal of ['"hunter2 with spaces"', '"{vault://env/kong_pg_password}"', `"${'s3cr3t'.repeat(100)}"`]) {
      const f = join(dir, 'key.yaml');
      writeFileSync(f, KEY_SPEC(literal));
      const r = await runCli('validate', f);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/key\.yaml:3:\d+: error: /);
      noSecrets(r.err, [JSON.parse(literal).slice(0, 24)]);
    }
  });

  // Known hole in src/spec/validate.ts (describeType): a secret written as a YAML number or boolean is echoed
  // ("does not match any allowed form; got number 12345678"). Fix: print only the type for values under secret
  // fields (keys, jwt[].secret, redis.password). See SECURITY.md, open findings.
  it('a literal secret written as a number is not echoed in the error', async () => {
    const f = join(dir, 'num.yaml');
    writeFileSync(f, KEY_SPEC('84629175'));
    const r = await runCli('validate', f);
    expect(r.code).toBe(1);
    noSecrets(r.err, ['84629175']);
  });
});

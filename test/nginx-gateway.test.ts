import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createHmac, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { emitNginxGateway, nginxGatewayProblems } from '../src/emit/nginx/gateway.js';
import { literal, mapKey } from '../src/emit/nginx/gateway/values.js';
import { EmitError } from '../src/emit/text.js';
import { findBinary } from '../src/engines/binaries.js';
import { localPlan, specPlan } from '../src/model/plan.js';
import { fixtureText, REQUIRE_ENGINES, TEST_ENV } from './helpers/fixtures.js';
import { freeLocalPlan, modelOf, nginxTest, writeGateway } from './helpers/nginx-gateway.js';
import { POLICIES_SPEC } from './helpers/nginx-gateway-specs.js';

const nginx = await findBinary('nginx');
const version = nginx ? /nginx\/(\d+\.\d+)/.exec((await import('execa')).execaSync(nginx, ['-v'], { all: true }).all ?? '')?.[1] : undefined;
const dirs: string[] = [];
const scratch = () => { const d = mkdtempSync(join(tmpdir(), 'edgegen-ngw-')); dirs.push(d); return d; };
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

function skipWithoutNginx(): boolean {
  if (nginx) return false;
  if (REQUIRE_ENGINES) throw new Error('nginx is not installed and EDGEGEN_REQUIRE_ENGINES=1');
  console.warn('nginx gateway check skipped: nginx is not installed (bash scripts/setup.sh installs it and the njs module)');
  return true;
}

describe('nginx gateway engine: nginx -t with the njs module loaded', () => {
  for (const [name, text] of [['demo-nginx-gateway', fixtureText('demo-nginx-gateway')], ['policies', POLICIES_SPEC]] as const) {
    it(`${name} passes nginx -t (loopback build)`, async () => {
      if (skipWithoutNginx()) return;
      const model = modelOf(text, `${name}.yaml`, version);
      const dir = scratch();
      const plan = await freeLocalPlan(model, dir);
      const conf = await writeGateway(model, plan, dir, TEST_ENV);
      const r = await nginxTest(nginx!, conf, plan.stateDir('gateway', 0));
      expect(r.exitCode, r.all).toBe(0);
    });
  }
});

describe('nginx gateway engine: what it cannot express is reported, never dropped', () => {
  const redis = fixtureText('microservices').replace('gateway:\n', 'gateway:\n  engine: nginx\n');

  it('each redis rate limit is a problem at its spec path (layer and route), and the emitter refuses them', () => {
    const model = modelOf(redis, 'microservices.yaml');
    const problems = nginxGatewayProblems(model);
    expect(problems.map((p) => p.path.join('.')).sort()).toEqual(['gateway.rateLimit.policy', 'routes.2.rateLimit.policy']);
    for (const p of problems) expect(p.message).toMatch(/redis.*cannot be expressed/);
    expect(() => emitNginxGateway(model, specPlan(model), { instance: 0, env: TEST_ENV })).toThrow(EmitError);
  });

  it('the policies spec and the demo have no problems', () => {
    expect(nginxGatewayProblems(modelOf(POLICIES_SPEC, 'policies.yaml'))).toEqual([]);
    expect(nginxGatewayProblems(modelOf(fixtureText('demo-nginx-gateway'), 'demo-nginx-gateway.yaml'))).toEqual([]);
  });
});

describe('nginx gateway engine: output files and quoting', () => {
  const model = modelOf(fixtureText('demo-nginx-gateway'), 'demo-nginx-gateway.yaml');
  const files = emitNginxGateway(model, specPlan(model), { instance: 0, env: TEST_ENV });

  it('writes nginx.conf, the njs module and a private credentials module without plain API keys', () => {
    expect(files.map((f) => [f.path, f.mode])).toEqual([
      ['nginx-gateway/nginx.conf', 0o644], ['nginx-gateway/edgegen-gateway.js', 0o644], ['nginx-gateway/edgegen-credentials.js', 0o600]]);
    const creds = files[2].content;
    expect(creds).not.toContain(TEST_ENV.DEMO_ALICE_KEY);
    expect(files.map((f) => f.content).join('')).not.toContain(TEST_ENV.DEMO_BOB_KEY);
  });

  it('is deterministic', () => {
    expect(emitNginxGateway(model, specPlan(model), { instance: 0, env: TEST_ENV })).toEqual(files);
  });

  it('names a missing secret, and refuses an API key shared by two consumers', () => {
    expect(() => emitNginxGateway(model, specPlan(model), { instance: 0, env: {} })).toThrow(/DEMO_ALICE_KEY/);
    const same = { DEMO_ALICE_KEY: 'same', DEMO_BOB_KEY: 'same' };
    expect(() => emitNginxGateway(model, specPlan(model), { instance: 0, env: same })).toThrow(/already uses/);
  });

  it('map keys are always literal: keywords and "~" get the "\\" prefix, quotes and backslashes are escaped', () => {
    expect(mapKey('default')).toBe('"\\\\default"');
    expect(mapKey('~.*')).toBe('"\\\\~.*"');
    expect(mapKey('a"b\\c$d')).toBe('"\\\\a\\"b\\\\c$d"');
    expect(() => mapKey('a\nb')).toThrow(EmitError);
    expect(() => mapKey('')).toThrow(EmitError);
  });

  it('header values keep "$" literal through a geo variable', () => {
    expect(literal('cost $5 "x"')).toBe('"cost ${edgegen_dollar}5 \\"x\\""');
    expect(() => literal('a\r\nInjected: 1')).toThrow(EmitError);
  });
});

describe('nginx gateway engine: the njs HMAC-SHA384/512 (njs 0.7 has no native one) agrees with OpenSSL', () => {
  it('for keys and messages around the block sizes', async () => {
    const model = modelOf(POLICIES_SPEC, 'policies.yaml');
    const dir = scratch();
    mkdirSync(join(dir, 'm'));
    writeFileSync(join(dir, 'm', 'package.json'), '{"type":"module"}');
    for (const f of emitNginxGateway(model, localPlan(model, { basePort: 40000, stateRoot: dir }), { instance: 0, env: TEST_ENV }))
      writeFileSync(join(dir, 'm', f.path.split('/')[1]), f.content);
    const gw = (await import(join(dir, 'm', 'edgegen-gateway.js'))).default as { hmac(alg: string, key: string, data: string): string };
    for (const len of [0, 1, 55, 56, 63, 64, 111, 112, 127, 128, 129, 200, 255, 256, 1000]) {
      const key = randomBytes(1 + (len % 150)).toString('base64url');
      const data = randomBytes(len).toString('base64url').slice(0, len);
      for (const [alg, hash] of [['HS256', 'sha256'], ['HS384', 'sha384'], ['HS512', 'sha512']])
        expect(gw.hmac(alg, key, data), `${alg} ${len}`).toBe(createHmac(hash, key).update(data).digest('hex'));
    }
  });
});

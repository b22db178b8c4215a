import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileSpec, loadSpec } from '../../src/compile.js';
import type { Model } from '../../src/model/types.js';

export const ROOT = join(import.meta.dirname, '..', '..');
export const FIXTURES = join(ROOT, 'fixtures');

/** Fake secrets for the fixtures' environment references; the demo's are also used by the live tests. */
export const TEST_ENV: Record<string, string> = {
  DEMO_ALICE_KEY: 'alice-test-key',
  DEMO_BOB_KEY: 'bob-test-key',
  REDIS_PASSWORD: 'redis-test-password',
  WEB_APP_JWT_SECRET: 'web-app-test-secret',
  PARTNER_JWT_SECRET: 'partner-test-secret',
};

export function fixtureNames(): string[] {
  return readdirSync(FIXTURES).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -5)).sort();
}

export function fixtureText(name: string): string {
  return readFileSync(join(FIXTURES, `${name}.yaml`), 'utf8');
}

export function fixtureModel(name: string): Model {
  const r = loadSpec(fixtureText(name), `fixtures/${name}.yaml`);
  if (!r.model) throw new Error(`fixture ${name} is invalid: ${JSON.stringify(r.diagnostics)}`);
  return r.model;
}

export function buildFixture(name: string) {
  const r = compileSpec(fixtureText(name), `fixtures/${name}.yaml`, { env: TEST_ENV });
  if (!r.ok) throw new Error(`fixture ${name} does not build: ${JSON.stringify(r.diagnostics)}`);
  return r;
}

/** In CI (EDGEGEN_REQUIRE_ENGINES=1) a missing engine binary is a failure, never a skip. */
export const REQUIRE_ENGINES = process.env.EDGEGEN_REQUIRE_ENGINES === '1';

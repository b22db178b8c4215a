import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { compileSpec } from '../src/compile.js';
import { formatDiagnostic } from '../src/diagnostics.js';
import type { Model } from '../src/model/types.js';
import { REQUIRE_ENGINES } from './helpers/fixtures.js';
import { checkModels, ENGINES } from './security/engine-batch.js';
import { parseOutputs } from './security/helpers.js';
import { validSpec } from './security/spec-arbitrary.js';

/**
 * Property: every spec the generator builds (valid by construction: random layers, TLS strategy, services, routes,
 * policies) compiles without errors, compiles to the same bytes twice, re-tokenizes cleanly, and the real
 * nginx -t / haproxy -c accept the output (checked in one batch after generation).
 * Lint policy (src/lint) is not part of this property: the builds run with lint off.
 * EDGEGEN_PROPERTY_RUNS sets the count (default 200); FC_SEED replays a run.
 */

const RUNS = Number(process.env.EDGEGEN_PROPERTY_RUNS ?? 200);
const SEED = process.env.FC_SEED ? Number(process.env.FC_SEED) : undefined;

/** A crash (an exception instead of diagnostics) is a finding too: report it with the spec that caused it. */
function crashReport<T>(text: string, run: () => T): T {
  try {
    return run();
  } catch (e) {
    throw new Error(`edgegen crashed on a valid spec: ${(e as Error).message}\n--- spec ---\n${text}`);
  }
}

describe('property: generated valid specs', () => {
  const built: { name: string; model: Model; text: string; env: Record<string, string> }[] = [];

  it(`${RUNS} generated specs build without errors, deterministically, and re-tokenize cleanly`, () => {
    fc.assert(
      fc.property(validSpec, ({ spec, env }) => {
        const text = stringify(spec);
        const a = crashReport(text, () => compileSpec(text, 'generated.yaml', { env, lint: false }));
        const errors = a.diagnostics.filter((d) => d.severity === 'error');
        if (errors.length || !a.ok) throw new Error(`edgegen refused a valid spec:\n${errors.map(formatDiagnostic).join('\n')}\n--- spec ---\n${text}`);
        const b = compileSpec(text, 'generated.yaml', { env, lint: false });
        expect(b.files).toEqual(a.files);
        parseOutputs(a.files);
        built.push({ name: `generated spec #${built.length}`, model: a.model!, text, env });
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    expect(built.length).toBe(RUNS);
  }, 240_000);

  it('nginx -t and haproxy -c accept every generated spec (one batch)', async () => {
    if (!ENGINES.nginx || !ENGINES.haproxy) {
      if (REQUIRE_ENGINES) throw new Error(`EDGEGEN_REQUIRE_ENGINES=1 but nginx=${ENGINES.nginx ?? 'missing'} haproxy=${ENGINES.haproxy ?? 'missing'}`);
      console.warn(`property engine checks limited: nginx=${ENGINES.nginx ?? 'missing'} haproxy=${ENGINES.haproxy ?? 'missing'} (apt-get install nginx haproxy); set EDGEGEN_REQUIRE_ENGINES=1 to make this fail`);
    }
    expect(built.length, 'the build property ran first').toBe(RUNS);
    const report = await checkModels(built.map(({ name, model, env }) => ({ name, model, env })));
    const byName = new Map(built.map((b) => [b.name, b.text]));
    expect(report.failures.map((f) => `${f.name} [${f.engine}]\n${f.detail}\n--- spec ---\n${byName.get(f.name)}`)).toEqual([]);
    const nginxLayers = (m: Model) => (m.proxy ? 1 : 0) + (m.gateway?.settings.engine === 'nginx' ? 1 : 0);
    const expected = built.reduce((n, b) => n + (ENGINES.nginx ? nginxLayers(b.model) : 0) + (ENGINES.haproxy && b.model.loadBalancer ? 1 : 0), 0);
    expect(report.checked).toBe(expected);
    if (ENGINES.nginx && ENGINES.haproxy) expect(expected).toBeGreaterThan(RUNS / 2);
  }, 300_000);
});

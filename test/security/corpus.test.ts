import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileSpec } from '../../src/compile.js';
import { formatDiagnostic, type Diagnostic } from '../../src/diagnostics.js';
import { engineCheck } from '../../src/engines/check.js';
import { unsafeValueChar } from '../../src/security/chars.js';
import { REQUIRE_ENGINES } from '../helpers/fixtures.js';
import { FILE_NAME_INERT, FILE_NAME_SPEC, KITCHEN_SINK, SLOTS, type Slot } from './corpus-data.js';
import { checkModels, ENGINES } from './engine-batch.js';
import { occurrences, parseOutputs, placeValue, runCli, STACK_LINE } from './helpers.js';
import { CONTROL_PAYLOADS, PAYLOADS } from './payloads.js';

/**
 * Every payload in every field: either rejected with an error at the field's own line and column, or emitted as
 * exactly one inert argument (re-tokenized with src/security's nginx/HAProxy/Kong readers: same structure as a benign
 * value, the value back byte for byte) that the real nginx -t / haproxy -c accept.
 */

const FILE = 'corpus.yaml';
/** Every environment reference resolves, so only the value under test decides. */
const ENV = new Proxy({}, { get: () => 'env-secret-value' }) as Record<string, string>;
/** Lint policy (src/lint) is not under test here; only validation and emission are. */
const build = (text: string, file = FILE) => compileSpec(text, file, { env: ENV, lint: false });

function inertBuild(slot: Slot, value: string) {
  const r = build(placeValue(slot.text, value, slot.derived).text);
  if (!r.ok) throw new Error(`${slot.id}: ${JSON.stringify(value).slice(0, 80)} was rejected: ${r.diagnostics.map(formatDiagnostic).join('; ')}`);
  return r;
}

/** A diagnostic as printed, with the line break the printer puts before its hint taken out. */
const oneLine = (d: Diagnostic) => formatDiagnostic(d).replace('\n  hint: ', ' hint: ');

const engineCases: { name: string; slot: Slot; value: string }[] = [];

describe.each(SLOTS)('corpus: $id', (slot) => {
  const benign = slot.embed(slot.benign ?? 'z');
  const baseline = parseOutputs(inertBuild(slot, benign).files);

  it('control and line-break payloads are never inert', () => {
    expect(slot.inert.filter((p) => CONTROL_PAYLOADS.includes(p))).toEqual([]);
  });

  for (const [id, payload] of Object.entries(PAYLOADS)) {
    const value = slot.embed(payload);
    const hole = slot.holes?.[id];
    if (slot.inert.includes(id)) {
      if (slot.engine && !hole) engineCases.push({ name: `${slot.id} / ${id}`, slot, value });
      (hole ? it.fails : it)(`${id}: inert${hole ? ` (known hole: ${hole})` : ''}`, () => {
        const r = inertBuild(slot, value);
        const p = parseOutputs(r.files);
        expect(p.shape, 'no directive, section, line or key appeared or disappeared').toEqual(baseline.shape);
        const want = slot.expect?.(value);
        const had = slot.expect?.(benign);
        for (const t of ['nginx', 'haproxy', 'kong', 'njs'] as const) {
          if (want?.[t] === undefined) continue;
          const n = occurrences(baseline, t, had![t]!);
          expect(n, `${t} holds the benign value`).toBeGreaterThan(0);
          expect(occurrences(p, t, want[t]!), `${t} holds the value as exactly one argument, byte for byte`).toBe(n);
        }
        if (slot.absent) for (const f of r.files) expect(f.content.includes(value), `${f.path} must not contain the value`).toBe(false);
      });
    } else {
      (hole ? it.fails : it)(`${id}: rejected at the field${hole ? ` (known hole: ${hole})` : ''}`, () => {
        const placed = placeValue(slot.text, value, slot.derived);
        const r = build(placed.text);
        expect(r.ok).toBe(false);
        expect(r.files).toEqual([]);
        const at = r.diagnostics.filter((d) => d.file === FILE && d.line === placed.line && d.col === placed.col && d.severity === 'error');
        expect(at.length, `an error at ${placed.line}:${placed.col}; got ${r.diagnostics.map(formatDiagnostic).join(' | ')}`).toBeGreaterThan(0);
        for (const d of r.diagnostics) expect(unsafeValueChar(oneLine(d)), 'error text carries no control characters').toBeUndefined();
      });
    }
  }
});

describe('corpus: the spec file name (written into every output header comment)', () => {
  const baseline = parseOutputs(build(FILE_NAME_SPEC, 'spec.yaml').files);
  for (const [id, payload] of Object.entries(PAYLOADS)) {
    const name = `dir/spec${payload}.yaml`;
    if (FILE_NAME_INERT.includes(id)) {
      it(`${id}: inert (comment only)`, () => {
        const r = build(FILE_NAME_SPEC, name);
        expect(r.ok).toBe(true);
        expect(parseOutputs(r.files).shape).toEqual(baseline.shape);
      });
    } else {
      it(`${id}: rejected`, () => {
        const r = build(FILE_NAME_SPEC, name);
        expect(r.ok).toBe(false);
        expect(r.diagnostics[0].message).toMatch(/^the spec file name contains U\+[0-9A-F]{4} /);
        expect(unsafeValueChar(oneLine(r.diagnostics[0]))).toBeUndefined();
      });
    }
  }
});

describe('corpus through the CLI: file:line:col, exit 1, no stack trace, nothing written', () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgegen-corpus-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  for (const slot of SLOTS) {
    const id = Object.keys(PAYLOADS).find((p) => !slot.inert.includes(p) && !CONTROL_PAYLOADS.includes(p)) ?? 'lf';
    for (const pid of new Set([id, 'lf', 'nul'])) {
      (slot.holes?.[pid] ? it.fails : it)(`${slot.id} / ${pid}`, async () => {
        const placed = placeValue(slot.text, slot.embed(PAYLOADS[pid]), slot.derived);
        const file = join(dir, `${slot.id.replace(/[^a-z0-9]+/gi, '-')}-${pid}.yaml`);
        writeFileSync(file, placed.text);
        const out = join(dir, `out-${slot.id.replace(/[^a-z0-9]+/gi, '-')}-${pid}`);
        const r = await runCli('build', file, '-o', out);
        expect(r.code).toBe(1);
        expect(r.err).toContain(`${file}:${placed.line}:${placed.col}: error: `);
        expect(r.err).not.toMatch(STACK_LINE);
        expect(existsSync(out)).toBe(false);
      });
    }
  }
});

describe('corpus: the real engines accept every inert value (nginx -t, haproxy -c)', () => {
  it(`engines are installed (required with EDGEGEN_REQUIRE_ENGINES=1)`, () => {
    if (!REQUIRE_ENGINES && (!ENGINES.nginx || !ENGINES.haproxy)) {
      console.warn(`corpus engine checks limited: nginx=${ENGINES.nginx ?? 'missing'} haproxy=${ENGINES.haproxy ?? 'missing'}; set EDGEGEN_REQUIRE_ENGINES=1 to make this fail`);
      return;
    }
    expect(ENGINES.nginx, 'nginx binary').toBeTruthy();
    expect(ENGINES.haproxy, 'haproxy binary').toBeTruthy();
  });

  it('every inert value of every engine-visible field, one build each (batched)', async () => {
    const report = await checkModels(engineCases.map((c) => ({ name: c.name, model: inertBuild(c.slot, c.value).model!, env: ENV })));
    expect(report.failures.map((f) => `${f.name} [${f.engine}] ${f.detail}`)).toEqual([]);
    if (ENGINES.nginx && ENGINES.haproxy) expect(report.checked).toBeGreaterThanOrEqual(engineCases.length);
    // About 15 s in CI; a machine busy with other work took several times that.
  }, 180_000);

  // The same values through the CLI's own --engine-check path (src/engines/check.ts), several fields at once.
  for (const [name, text] of Object.entries(KITCHEN_SINK)) {
    it(`engineCheck: ${name}`, async () => {
      const r = build(text);
      expect(r.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic)).toEqual([]);
      const checks = (await engineCheck(r.model!)).filter((c) => c.engine !== 'kong');
      expect(checks.length).toBeGreaterThan(0);
      for (const c of checks) {
        if (c.status === 'not-run' && !REQUIRE_ENGINES) continue;
        expect(c.status, `${c.engine}: ${c.detail}`).toBe('passed');
      }
    });
  }
});

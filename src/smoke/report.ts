import type { CheckResult } from './context.js';

export interface SmokeReport {
  stack: string;
  runtime: string;
  bypassed: string[];
  summary: { passed: number; failed: number; notRun: number };
  results: CheckResult[];
}

export function makeReport(stack: string, runtime: string, bypassed: string[], results: CheckResult[]): SmokeReport {
  return {
    stack, runtime, bypassed,
    summary: { passed: results.filter((r) => r.status === 'pass').length, failed: results.filter((r) => r.status === 'fail').length, notRun: results.filter((r) => r.status === 'not-run').length },
    results,
  };
}

const LAYER_ORDER = ['loadBalancer', 'gateway', 'proxy', 'services'];

/** A table per layer, failures with expected/observed and a curl line to reproduce. */
export function formatText(r: SmokeReport): string {
  const lines: string[] = [`smoke: stack ${r.stack} (${r.runtime} runtime)${r.bypassed.length ? `, bypassed: ${r.bypassed.join(', ')}` : ''}`];
  const layers = [...new Set(r.results.map((x) => x.layer))].sort((a, b) => LAYER_ORDER.indexOf(a) - LAYER_ORDER.indexOf(b));
  for (const layer of layers) {
    lines.push('', `${layer}`);
    for (const x of r.results.filter((y) => y.layer === layer)) {
      const mark = x.status === 'pass' ? 'PASS' : x.status === 'fail' ? 'FAIL' : 'SKIP';
      lines.push(`  ${mark}  ${x.check.padEnd(12)} ${x.name}${x.status === 'pass' && x.observed ? `  (${x.observed})` : ''}`);
      if (x.status === 'fail') {
        lines.push(`        expected: ${x.expected ?? '-'}`, `        observed: ${x.observed ?? '-'}`);
        if (x.reproduce) lines.push(`        reproduce: ${x.reproduce}`);
      }
      if (x.status === 'not-run') lines.push(`        not run: ${x.reason}`);
    }
  }
  lines.push('', `${r.summary.passed} passed, ${r.summary.failed} failed, ${r.summary.notRun} not run`);
  return lines.join('\n');
}

export function formatJson(r: SmokeReport): string {
  return JSON.stringify(r, null, 2);
}

const xml = (s: string) => s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!)
  // XML 1.0 forbids most control characters even escaped.
  .replace(/[\x00-\x08\x0B\x0C\x0E-\x1F]/g, '');

/** JUnit XML: one testsuite per layer, one testcase per check; not-run checks are skipped with their reason. */
export function formatJunit(r: SmokeReport): string {
  const layers = [...new Set(r.results.map((x) => x.layer))];
  const out = ['<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="edgegen smoke ${xml(r.stack)}" tests="${r.results.length}" failures="${r.summary.failed}" skipped="${r.summary.notRun}">`];
  for (const layer of layers) {
    const rs = r.results.filter((x) => x.layer === layer);
    const time = (rs.reduce((a, x) => a + x.durationMs, 0) / 1000).toFixed(3);
    out.push(`  <testsuite name="${xml(layer)}" tests="${rs.length}" failures="${rs.filter((x) => x.status === 'fail').length}" skipped="${rs.filter((x) => x.status === 'not-run').length}" time="${time}">`);
    for (const x of rs) {
      out.push(`    <testcase classname="edgegen.${xml(layer)}.${xml(x.check)}" name="${xml(x.name)}" time="${(x.durationMs / 1000).toFixed(3)}">`);
      if (x.status === 'fail') out.push(`      <failure message="${xml(`expected ${x.expected ?? '-'}, observed ${x.observed ?? '-'}`)}">${xml(x.reproduce ?? '')}</failure>`);
      if (x.status === 'not-run') out.push(`      <skipped message="${xml(x.reason ?? '')}"/>`);
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}

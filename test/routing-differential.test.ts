import fc from 'fast-check';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REQUIRE_ENGINES } from './helpers/fixtures.js';
import { KONG, RoutingLab, type SetResult } from './helpers/routing-engines.js';
import { HEADER, LARGE_ROUTES, MAX_ROUTES, requestsOf, routeCase, specText, type RouteCase, type TestRequest } from './helpers/routing-gen.js';

/**
 * Issue 18: one route choice on every engine. For random route sets (exact, prefix with and without trailing slash,
 * regex, overlapping paths, methods, a header, hosts incl. a wildcard, stripPrefix, rewrite; one set in 40 has 65-80
 * routes, HAProxy's map mode) and requests aimed at their edges, the route the model's matcher picks (chooseRoute) must
 * be the route that answers live on the NGINX proxy, the NGINX gateway engine and HAProxy (each alone in front of the
 * services, every route on its own echo backend), and the one Kong's router picks on the emitted kong.yaml
 * (test/helpers/kong-router.ts). Any other answer (a 301, a 502, an engine that does not start) is a disagreement.
 * EDGEGEN_DIFF_SETS (default 300) route sets, up to EDGEGEN_DIFF_REQUESTS (default 100) requests each; the seed is
 * printed, EDGEGEN_DIFF_SEED replays it. A disagreement is shrunk and printed as a spec with the requests and answers.
 */

const SETS = Number(process.env.EDGEGEN_DIFF_SETS ?? 300);
const REQUESTS = Number(process.env.EDGEGEN_DIFF_REQUESTS ?? 100);
/** Route sets in flight at once (each boots its engines in parallel); start-up latency, not CPU, bounds a set. */
const PARALLEL = Number(process.env.EDGEGEN_DIFF_PARALLEL ?? 3);
const SEED = process.env.EDGEGEN_DIFF_SEED !== undefined ? Number(process.env.EDGEGEN_DIFF_SEED) : Math.floor(Math.random() * 2 ** 31);
/** Shrinking boots the engines once per attempt: bounded. */
const SHRINK_MS = Number(process.env.EDGEGEN_DIFF_SHRINK_MS ?? 60_000);
const KONG_ROUTER = join(import.meta.dirname, 'helpers', 'kong-router.ts');

const lab = new RoutingLab();
beforeAll(async () => { await lab.open(KONG_ROUTER); });
afterAll(async () => { await lab.close(); });

type Column = string;

function describeRequest(q: TestRequest): string {
  const h = q.headers[HEADER];
  return `${q.method} http://${q.host}${q.path}${h === undefined ? '' : ` (${HEADER}: ${h})`}`;
}

function columns(r: SetResult): Column[] {
  return Object.keys(r.answers);
}

/** Requests of a set where some engine's answer differs from the model's choice. */
function disagreements(r: SetResult): number[] {
  const out: number[] = [];
  r.model.forEach((m, i) => { if (columns(r).some((c) => r.answers[c as keyof SetResult['answers']]![i] !== m)) out.push(i); });
  return out;
}

async function runCase(c: RouteCase): Promise<{ requests: TestRequest[]; result: SetResult }> {
  const requests = requestsOf(c);
  const result = await lab.run((layer) => specText(c.routes, layer), requests);
  return { requests, result };
}

function report(c: RouteCase, requests: TestRequest[], r: SetResult): string {
  const lines = [
    '--- spec (the NGINX proxy\'s; the NGINX gateway gets `gateway: { engine: nginx, ports: { http: 8000 } }`, HAProxy',
    '    `loadBalancer: { mode: http, ports: { http: 80 } }`, Kong `gateway: { ports: { http: 8000 } }` instead of `proxy`) ---',
    specText(c.routes, 'proxy').trimEnd(),
    '--- requests on which an engine disagrees with the model (route name; "none" = 404 no route matched) ---',
  ];
  for (const i of disagreements(r)) {
    lines.push(describeRequest(requests[i]));
    lines.push(`  model: ${r.model[i]}`);
    for (const col of columns(r)) {
      const a = r.answers[col as keyof SetResult['answers']]![i];
      const seen = r.seen[col as keyof SetResult['seen']]?.[i];
      lines.push(`  ${col}: ${a}${seen ? ` (backend saw ${seen})` : ''}${a === r.model[i] ? '' : '   <-- differs'}`);
    }
  }
  for (const [id, e] of Object.entries(r.errors)) lines.push(`--- ${id} did not start ---`, e);
  return lines.join('\n');
}

describe('routing differential: the model\'s route choice = NGINX proxy = NGINX gateway = HAProxy = Kong', () => {
  it('engines are present (required in CI), and what runs', () => {
    for (const a of lab.availability) if (!a.ok) console.warn(`routing differential: ${a.engine} not run: ${a.reason}`);
    const missing = lab.availability.filter((a) => !a.ok && a.engine !== KONG);
    if (REQUIRE_ENGINES) expect(missing.map((a) => `${a.engine}: ${a.reason}`)).toEqual([]);
    expect(lab.availability.map((a) => a.engine)).toEqual(['nginx-proxy', 'nginx-gateway', 'haproxy', KONG]);
  });

  it(`${SETS} random route sets, up to ${REQUESTS} requests each: every engine picks the model's route`, async () => {
    if (!lab.live().length && !lab.kongRoute) {
      if (REQUIRE_ENGINES) throw new Error('EDGEGEN_REQUIRE_ENGINES=1 but no engine can run');
      console.warn('routing differential skipped: no engine can run (see the reasons above)');
      return;
    }
    console.log(`routing differential: seed ${SEED} (replay: EDGEGEN_DIFF_SEED=${SEED}), ${SETS} route sets, up to ${REQUESTS} requests each`);
    const started = Date.now();
    const cases = fc.sample(routeCase(REQUESTS), { seed: SEED, numRuns: SETS });
    const stats = new Map<Column, { requests: number; wrong: number; sets: number; kinds: Map<string, number> }>();
    let requestCount = 0;
    let firstFailure = -1;
    const results: SetResult[] = new Array(cases.length);
    let next = 0;
    await Promise.all(Array.from({ length: PARALLEL }, async () => {
      while (next < cases.length) {
        const n = next++;
        results[n] = (await runCase(cases[n])).result;
      }
    }));
    for (const [n, result] of results.entries()) {
      requestCount += result.model.length;
      for (const col of columns(result)) {
        const s = stats.get(col) ?? { requests: 0, wrong: 0, sets: 0, kinds: new Map<string, number>() };
        const answers = result.answers[col as keyof SetResult['answers']]!;
        const wrong = answers.filter((a, i) => a !== result.model[i]).length;
        answers.forEach((a, i) => {
          if (a === result.model[i]) return;
          // What a wrong answer was: another route, none, or the status / error (first words), with the first set it came from.
          const kind = /^(r\d+|none)$/.test(a) ? (a === 'none' ? 'none instead of a route' : result.model[i] === 'none' ? 'a route instead of none' : 'another route') : a.endsWith('did not start') ? 'did not start' : a.split(' ').slice(0, 2).join(' ');
          const key = `${kind} (first in set ${n})`;
          const known = [...s.kinds.keys()].find((k) => k.startsWith(`${kind} (`));
          s.kinds.set(known ?? key, (s.kinds.get(known ?? key) ?? 0) + 1);
        });
        s.requests += answers.length;
        s.wrong += wrong;
        if (wrong) s.sets++;
        stats.set(col, s);
      }
      if (firstFailure < 0 && disagreements(result).length) firstFailure = n;
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log([
      `routing differential figures (seed ${SEED}, ${seconds} s): ${cases.length} route sets (${cases.filter((c) => c.routes.length > MAX_ROUTES).length} of ${LARGE_ROUTES.min}-${LARGE_ROUTES.max} routes: HAProxy map mode), ${requestCount} requests per engine`,
      ...[...stats].map(([col, s]) => `  ${col.padEnd(13)} ${s.requests} requests, disagreements: ${s.wrong} (${(100 * s.wrong / Math.max(1, s.requests)).toFixed(1)} %) in ${s.sets} of ${cases.length} route sets${
        s.kinds.size ? `: ${[...s.kinds].map(([k, v]) => `${v} x ${k}`).join(', ')}` : ''}`),
      ...lab.availability.filter((a) => !a.ok).map((a) => `  ${a.engine.padEnd(13)} not run: ${a.reason}`),
    ].join('\n'));
    expect(cases.length).toBe(SETS);
    if (firstFailure < 0) {
      expect([...stats.values()].every((s) => s.wrong === 0 && s.requests > 0)).toBe(true);
      return;
    }
    // Shrink from the first failing set (fast-check replays it by seed and path) to a small route set and request list.
    const shrunk = await fc.check(fc.asyncProperty(routeCase(REQUESTS), async (c) => disagreements((await runCase(c)).result).length === 0),
      { seed: SEED, numRuns: SETS, path: String(firstFailure), interruptAfterTimeLimit: SHRINK_MS });
    let worst = (shrunk.counterexample?.[0] ?? cases[firstFailure]) as RouteCase;
    let { requests, result } = await runCase(worst);
    let note = `path ${shrunk.counterexamplePath ?? firstFailure}`;
    if (!disagreements(result).length) {
      // Not reproduced on a fresh boot: show the set as it failed in the run.
      worst = cases[firstFailure];
      ({ requests, result } = { requests: requestsOf(worst), result: results[firstFailure] });
      note = `route set ${firstFailure} as first seen; a fresh boot of the shrunk case agreed`;
    }
    const text = `routing differential: engines disagree with the model (seed ${SEED}, ${note}; replay with EDGEGEN_DIFF_SEED=${SEED})\n${report(worst, requests, result)}`;
    console.error(text);
    expect.fail(text);
  }, 900_000);
});

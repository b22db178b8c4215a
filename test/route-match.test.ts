import { describe, expect, it } from 'vitest';
import { loadSpec } from '../src/compile.js';
import { coverCandidates } from '../src/lint/route-match.js';

const spec = `version: 1
name: cover
proxy: { ports: { http: 8080 } }
services:
  - { name: svc, instances: [{ address: "svc-1:3000" }] }
routes:
  - { name: exact, match: { path: /v2/items, pathType: exact }, service: svc }
  - { name: versioned, match: { path: "^/v[0-9]+/items$", pathType: regex }, service: svc }
  - { name: other, match: { path: "^/w", pathType: regex }, service: svc }
  - { name: any, match: { path: "^/(v1|v2)/items", pathType: regex }, service: svc }
  - { name: short, match: { path: /v }, service: svc }
  - { name: long, match: { path: /v2/it }, service: svc }
  - { name: unrelated, match: { path: /x }, service: svc }
`;

describe('route cover candidates (lint indexes)', () => {
  it('finds regexes by literal prefix (and those without one) and prefixes by length, never the unrelated', () => {
    const { model, diagnostics } = loadSpec(spec, 'cover.yaml');
    expect(diagnostics).toEqual([]);
    const routes = model!.routes;
    const byName = (n: string) => routes.find((r) => r.name === n)!;
    const names = (n: string) => coverCandidates(routes).get(byName(n))!.map((r) => r.name).sort();
    expect(names('exact')).toEqual(['any', 'long', 'short', 'versioned']);
    expect(names('long')).toEqual(['short']);
    expect(names('unrelated')).toEqual([]);
  });
});

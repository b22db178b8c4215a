// The Kong router model of test/helpers/kong-router.ts against cases from Kong 3.9.3's own router unit tests
// (spec/01-unit/08-router_spec.lua, re-stated here as kong.yaml): if the model disagreed with them, its verdicts on
// edgegen's kong.yaml would mean nothing.
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { fieldPriority, kongRoute } from './helpers/kong-router.js';

const id = (n: number) => `e8fb37f1-102d-461e-9c51-6608a6bb81${String(n).padStart(2, '0')}`;
const yaml = (routes: Record<string, unknown>[]) =>
  stringify({ _format_version: '3.0', services: [{ name: 's', host: 'h', routes: routes.map((r, i) => ({ id: id(i + 1), name: `r${i + 1}`, ...r })) }] });

describe("Kong's ranking (traditional_compatible), as in Kong's router tests", () => {
  const compat = 'traditional_compatible';

  it('[host] and [uri] rank above [method]', () => {
    const y = yaml([{ hosts: ['domain-1.org', 'domain-2.org'] }, { methods: ['TRACE'] }, { paths: ['/my-route'] },
      { hosts: ['domain-1.org'], paths: ['/my-route'] }]);
    expect(kongRoute(y, { method: 'TRACE', path: '/my-route', host: 'domain-1.org' }, compat)).toBe('r4');
  });

  it('more [headers] rank above a longer [path]', () => {
    const y = yaml([{ headers: { version: ['v1'] }, paths: ['/my-route/hello'] }, { headers: { version: ['v1'], location: ['us-east'] }, paths: ['/my-route'] }]);
    expect(kongRoute(y, { method: 'GET', path: '/my-route/hello', host: 'domain.org', headers: { version: 'v1', location: 'us-east' } }, compat)).toBe('r2');
  });

  it('prefix paths ignore regex_priority', () => {
    const y = yaml([{ paths: ['~/.*'], hosts: ['domain-1.org'] }, { paths: ['/'], hosts: ['domain-2.org'], regex_priority: 5 }, { paths: ['/v1'], hosts: ['domain-2.org'] }]);
    expect(kongRoute(y, { method: 'GET', path: '/v1', host: 'domain-2.org' }, compat)).toBe('r3');
  });

  it('the packed priority: match fields, plain hosts, header count, regex, regex_priority, length', () => {
    expect(fieldPriority({ paths: ['/abc'] })).toBe((1n << 61n) | 4n);
    expect(fieldPriority({ paths: ['~/a'], regex_priority: 3, methods: ['GET'], hosts: ['a.org'], headers: { x: ['1'], y: ['2'] } }))
      .toBe((4n << 61n) | (1n << 60n) | (2n << 52n) | (1n << 51n) | (3n << 19n));
    expect(fieldPriority({ hosts: ['*.a.org'] })).toBe(1n << 61n); // a wildcard host is not plain
  });
});

describe("Kong's ranking (expressions), as in Kong's router tests", () => {
  it('an expression route ranks above a field route', () => {
    const y = yaml([{ paths: ['/foo'] }, { expression: 'http.path ^= r#"/foo"#' }]);
    expect(kongRoute(y, { method: 'GET', path: '/foo/bar' }, 'expressions')).toBe('r2');
    expect(kongRoute(yaml([{ paths: ['/foo'] }]), { method: 'GET', path: '/foo/bar' }, 'expressions')).toBe('r1');
  });

  it('a higher priority wins, up to 2^46 - 1', () => {
    const y = yaml([{ expression: 'http.path ^= r#"/foo"#', priority: 2 ** 46 - 3 }, { expression: 'http.path ^= r#"/foo"#', priority: 2 ** 46 - 2 }]);
    expect(kongRoute(y, { method: 'GET', path: '/foo/bar' }, 'expressions')).toBe('r2');
  });

  it('equal priorities: the higher route id first (the router walks (priority, id) from the top)', () => {
    const y = yaml([{ expression: 'http.path ^= r#"/foo"#', priority: 5 }, { expression: 'http.path ^= r#"/foo"#', priority: 5 }]);
    expect(kongRoute(y, { method: 'GET', path: '/foo' }, 'expressions')).toBe('r2'); // ...8102 > ...8101
  });

  it('expressions: "||" binds tighter than "&&", lower() and any() on headers, missing fields never match', () => {
    const y = yaml([{ expression: 'http.method == "POST" && http.path == "/a" || http.path == "/b"' },
      { expression: 'any(lower(http.headers.x_tenant)) == "a" && http.path ^= "/"' }]);
    expect(kongRoute(y, { method: 'GET', path: '/b' }, 'expressions')).toBe(undefined); // POST && (/a || /b)
    expect(kongRoute(y, { method: 'POST', path: '/b' }, 'expressions')).toBe('r1');
    expect(kongRoute(y, { method: 'GET', path: '/x', headers: { 'X-Tenant': 'A' } }, 'expressions')).toBe('r2');
    expect(kongRoute(y, { method: 'GET', path: '/x' }, 'expressions')).toBe(undefined);
  });
});

// The Kong schema checker under router_flavor `expressions` (routes.lua, routes_subschemas.lua, ATC router 1.6.2):
// `expression` and `priority` exist only there, and an expression must parse and type-check.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { regexProblem } from '../src/spec/references.js';
import { validateKongConfig } from '../src/kong/schema/index.js';
import { parseAtc } from '../src/kong/schema/atc.js';
import { rustRegex } from '../src/kong/schema/rust-regex.js';
import { kongRegex } from '../src/emit/kong/regex.js';

type Doc = Record<string, unknown>;
const route = (r: Doc): Doc => ({ _format_version: '3.0', services: [{ name: 's', host: 'h', routes: [{ name: 'r', ...r }] }] });
const expressions = { routerFlavor: 'expressions' as const };
const messages = (d: Doc, opts = expressions) => validateKongConfig(d, opts).map((e) => `${e.path}: ${e.message}`);

describe('route expressions in the Kong schema checker', () => {
  it('accepts expression and priority only under the expressions flavor', () => {
    const r = route({ expression: '(http.path ^= r#"/a/"#) && (http.method == "GET")', priority: 7 });
    expect(messages(r)).toEqual([]);
    expect(messages(r, { routerFlavor: 'traditional_compatible' } as never)).toEqual(
      expect.arrayContaining([expect.stringContaining('expression: unknown field'), expect.stringContaining('priority: unknown field')]));
    expect(validateKongConfig(r).map((e) => e.message)).toEqual(expect.arrayContaining(['unknown field'])); // default flavor
  });

  it('keeps rejecting what Kong rejects', () => {
    const bad = (r: Doc, fragment: string) => expect(messages(route(r))).toEqual(expect.arrayContaining([expect.stringContaining(fragment)]));
    bad({ expression: 'http.path ^= "/"', paths: ['/'] }, "cannot set 'expression' with 'methods', 'hosts', 'paths'");
    bad({ expression: 'http.path ^= "/"', regex_priority: 3 }, "cannot set 'regex_priority' with 'expression'");
    bad({ paths: ['/'], priority: 3 }, "cannot set 'priority' with 'methods'");
    bad({ expression: 'http.path ^= "/"', priority: 2 ** 46 }, 'value should be between 0 and 70368744177663');
    bad({ expression: 'http.path == 3' }, 'Type mismatch between the LHS and RHS values of predicate');
    bad({ expression: 'http.nothing == "x"' }, 'Unknown LHS field');
    bad({ expression: 'http.path ^= "/" &&' }, 'Router Expression failed validation');
    bad({ expression: 'upper(http.path) == "/"' }, 'unknown transformation function: upper');
    bad({ expression: 'lower(net.dst.port) == 80' }, 'lower-case transformation function only supported with String type fields');
    bad({ expression: 'http.path ~ "^/a{"' }, "regex parse error in '^/a{'");
    bad({ expression: 'http.path ~ "^/(?=a)"' }, 'look-around is not supported');
    bad({ expression: 'http.path.segments.2_1 == "a"' }, 'illformed http.path.segments.* field');
    bad({}, "must set one of 'methods', 'hosts', 'headers', 'paths', 'snis', 'expression' when 'protocols' is 'https'");
  });

  it('still accepts field routes and sources on HTTP routes under expressions', () => {
    expect(messages(route({ paths: ['/a'], methods: ['GET'] }))).toEqual([]);
    expect(messages(route({ expression: 'net.src.ip in 10.0.0.0/8', sources: [{ ip: '10.0.0.1' }] }))).toEqual(
      [expect.stringContaining("cannot set 'expression' with")]);
    expect(messages(route({ paths: ['/a'], sources: [{ ip: '10.0.0.1' }] }))).toEqual([]);
    expect(messages(route({ paths: ['/a'], sources: [{ ip: '10.0.0.1' }] }), { routerFlavor: 'traditional_compatible' } as never)).toEqual(
      [expect.stringContaining("cannot set 'sources' when 'protocols' is 'http' or 'https'")]);
  });
});

describe('field routes under the ATC flavors', () => {
  it('a regex path the Rust crate refuses is refused, as Kong compiles the generated expression', () => {
    for (const routerFlavor of ['traditional_compatible', 'expressions'] as const)
      expect(messages(route({ paths: ['~/a{b'] }), { routerFlavor })).toEqual([expect.stringContaining("regex parse error in '/a{b'")]);
    expect(messages(route({ paths: ['~/a{2}b'] }), { routerFlavor: 'traditional_compatible' } as never)).toEqual([]);
    expect(messages(route({ paths: ['~/a{b'] }), { routerFlavor: 'traditional' } as never)).toEqual([]); // PCRE only
  });
});

describe('ATC expression language', () => {
  it('parses strings raw and quoted, and ranks "||" above "&&" as the Pratt parser does', () => {
    const e = parseAtc('http.method == "GET" && http.path == r#"/a"# || http.path == "/\\"b"');
    expect(e).toMatchObject({ expr: { kind: 'and', right: { kind: 'or', right: { rhs: { value: '/"b' } } } } });
  });
});

describe('Rust regex reading', () => {
  const matches = (re: string, s: string) => { const r = rustRegex(re); if (!('re' in r)) throw new Error(JSON.stringify(r)); return r.re.test(s); };
  it('gives Rust meanings where JavaScript differs', () => {
    expect(matches('^/a.$', '/a\r')).toBe(true); // "." excludes only "\n"
    expect(matches('^/[[:digit:]]+$', '/12')).toBe(true); // POSIX class
    expect(matches('^/[a-z&&[^x]]$', '/x')).toBe(false); // intersection
    expect(matches('^/a\\z', '/a')).toBe(true); // \z is end of text
    expect(matches('^/\\d$', '/\u0663')).toBe(true); // Unicode digits
    expect(rustRegex('^/a{')).toEqual({ error: expect.stringContaining('counted repetition') });
    expect(rustRegex('^/(?i)a')).toEqual({ unsupported: 'inline flags' });
  });
});

describe('spec regexes mean the same to Kong (Rust, as emitted) as to the model (JavaScript)', () => {
  // Every character the spec allows in a regex, with the constructs the two engines read differently.
  const ATOMS = ['a', 'B', '/', '0', '9', '.', '[0-9]', '[^/]', '[a-z]', '\\d', '\\D', '\\w', '\\W', '\\s', '\\S', '\\b', '\\B',
    '\\.', '\\/', '(', ')', '|', '*', '+', '?', '{2}', '{1,3}', '{,2}', '{', '}', '-', '_', '~', ':', '=', '!', '@', '&', ',', '<', '>',
    '[a-]', '[-a]', '\\-', '$', '^', '[\\d/]', '(?:', '[]a]', '[^]a]', '[a[b]', '[a&&b]', '[a--b]', '[a~~b]', '[[:digit:]]', '\\A',
    '\\z', '\\<', '\\>', '\\e', '\\x41', '\\u0041', '\\cA', '\\c', '\\0', '[\\b]', '[\\d-z]', '\\{', '\\}', '\\[', '\\]', '[\\]]'];
  const CHARS = 'aAbB/09.-_x]{}[&~:<>, \t\u00e9\u0663\u00a0';
  it('for any path, on random regexes the spec accepts', () => {
    let compared = 0;
    fc.assert(fc.property(fc.array(fc.constantFrom(...ATOMS), { minLength: 1, maxLength: 6 }),
      fc.array(fc.array(fc.constantFrom(...CHARS), { maxLength: 8 }).map((cs) => `/${cs.join('')}`), { minLength: 20, maxLength: 20 }), (atoms, paths) => {
        const source = `^/${atoms.join('')}`;
        if (regexProblem(source)) return;
        let emitted: string;
        try { emitted = kongRegex(source); } catch { return; } // refused with an EmitError (look-around, octal)
        const rust = rustRegex(emitted);
        if (!('re' in rust)) throw new Error(`${source} -> ${emitted}: ${JSON.stringify(rust)}`);
        const js = new RegExp(source);
        for (const p of paths) expect(rust.re.test(p), `${source} -> ${emitted} on ${JSON.stringify(p)}`).toBe(js.test(p));
        compared++;
      }), { numRuns: 3000 });
    expect(compared).toBeGreaterThan(1000);
  });
});

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileSpec } from '../../src/compile.js';
import { formatDiagnostic } from '../../src/diagnostics.js';
import { MAX_SPEC_BYTES } from '../../src/spec/parse.js';
import { MAX_ALIAS_NODES, MAX_ALIASES, MAX_DEPTH, MAX_NODES, MAX_TOKENS } from '../../src/security/yaml-limits.js';
import { FIXTURES, TEST_ENV } from '../helpers/fixtures.js';
import { runCli, STACK_LINE } from './helpers.js';
import { billionLaughs, HOSTILE_INPUTS } from './hostile-inputs.js';

/** Input limits: every hostile document is refused with its position, quickly and without a crash. */

const BASE = `version: 1
name: limits
proxy: { ports: { http: 8080 } }
services:
  - { name: svc, instances: [{ address: "svc-1:3000" }] }
routes:
  - { name: web, match: { path: /web }, service: svc }
`;

function firstError(text: string, file = 'spec.yaml') {
  const r = compileSpec(text, file, { env: TEST_ENV });
  expect(r.ok).toBe(false);
  expect(r.files).toEqual([]);
  const d = r.diagnostics.find((x) => x.severity === 'error')!;
  return `${d.line}:${d.col} ${d.message}`;
}

describe('input limits (parseSpecText)', () => {
  it(`a 50 MB spec is refused by size (cap ${MAX_SPEC_BYTES} bytes)`, () => {
    expect(firstError(HOSTILE_INPUTS['50 MB spec']())).toBe('1:1 spec is larger than 5 MiB');
  });

  it('the billion-laughs alias bomb is refused at the alias that crosses the expansion cap', () => {
    // Aliases in lines 2-4 add 90 + 819 + 7380 nodes; the first *d of line 5 ("e: &e [*d,...") adds 7381 more.
    expect(firstError(billionLaughs())).toBe(`5:8 YAML aliases expand to more than ${MAX_ALIAS_NODES} nodes (an alias bomb)`);
  });

  it(`more than ${MAX_ALIASES} aliases are refused at the first one too many`, () => {
    const text = `a: &a x\nb: [${Array(MAX_ALIASES + 1).fill('*a').join(', ')}]\n`;
    expect(firstError(text)).toBe(`2:${5 + 4 * MAX_ALIASES} more than ${MAX_ALIASES} YAML aliases`);
  });

  it('an alias inside its own anchor (recursive data) is refused', () => {
    expect(firstError('a: &a [1, *a]\n')).toBe('1:11 YAML alias *a refers to a node that contains it (recursive data)');
  });

  it(`flow nesting deeper than ${MAX_DEPTH} is refused before parsing, at the first bracket too many`, () => {
    expect(firstError(`a: ${'['.repeat(MAX_DEPTH + 1)}${']'.repeat(MAX_DEPTH + 1)}\n`)).toBe(`1:${4 + MAX_DEPTH} nesting deeper than ${MAX_DEPTH} levels`);
    expect(firstError(HOSTILE_INPUTS['5 MB of "[" (deep flow)']())).toBe(`1:${4 + MAX_DEPTH} nesting deeper than ${MAX_DEPTH} levels`);
  });

  it(`block nesting deeper than ${MAX_DEPTH} is refused at the node, and past the parser's stack with its position`, () => {
    const deep = (n: number) => Array.from({ length: n }, (_, i) => `${' '.repeat(i)}k:`).join('\n') + ' x\n';
    expect(firstError(deep(MAX_DEPTH + 2))).toBe(`${MAX_DEPTH + 1}:${MAX_DEPTH + 1} nesting deeper than ${MAX_DEPTH} levels`);
    // Past the yaml parser's own recursion limit (which depends on the stack size) the parser's error is reworded.
    expect(firstError(HOSTILE_INPUTS['3000 levels of block mappings']())).toMatch(new RegExp(`^\\d+:\\d+ nesting (is too deep to parse|deeper than ${MAX_DEPTH} levels)$`));
  });

  it('nesting built from aliases counts as nesting', () => {
    const chain = ['a0: &a0 [x]', ...Array.from({ length: 8 }, (_, i) => `a${i + 1}: &a${i + 1} ${'['.repeat(10)}*a${i}${']'.repeat(10)}`)].join('\n');
    // a_k is 10k+1 deep; the alias *a6 in line 8 sits 11 deep and brings 61 more levels: 72.
    expect(firstError(`${chain}\n`)).toBe(`8:19 nesting deeper than ${MAX_DEPTH} levels once aliases are expanded`);
  });

  it(`more than ${MAX_NODES} values or ${MAX_TOKENS} YAML tokens are refused where the cap is crossed`, () => {
    // Values: the key "a", the list, then the items ("1," each, the first at column 5). Value MAX_NODES + 1 is item
    // MAX_NODES - 1, at column 5 + 2 (MAX_NODES - 2).
    expect(firstError(HOSTILE_INPUTS['5 MB flat list']())).toBe(`1:${5 + 2 * (MAX_NODES - 2)} spec has more than ${MAX_NODES} YAML values`);
    // "version: 1" and its line break are 5 tokens; each comment line two more (comment, line break) and no value, so
    // token MAX_TOKENS + 1 is the line break of comment number (MAX_TOKENS - 4) / 2, at column 4 of its line.
    expect(firstError(`version: 1\n${'# c\n'.repeat(MAX_TOKENS / 2)}`)).toBe(`${1 + (MAX_TOKENS - 4) / 2}:4 spec has more than ${MAX_TOKENS} YAML tokens`);
  });

  it('duplicate keys are refused at the second key, in block and flow mappings, plain or quoted', () => {
    expect(firstError(`${BASE}name: again\n`)).toBe('8:1 duplicate key "name": a key may appear once in a mapping');
    expect(firstError(BASE.replace('{ http: 8080 }', '{ http: 8080, "http": 8081 }'))).toBe('3:31 duplicate key "http": a key may appear once in a mapping');
  });

  it('merge keys and prototype keys are refused at the key', () => {
    expect(firstError(`${BASE}x: &x { a: 1 }\ny: { <<: *x }\n`)).toBe('9:6 YAML merge keys ("<<") are not allowed');
    for (const k of ['__proto__', 'constructor', 'prototype']) {
      expect(firstError(BASE.replace('proxy: {', `proxy: { ${k}: { polluted: 1 },`))).toBe(`3:10 key "${k}" is not allowed`);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('custom and non-core tags are refused; core tags are fine', () => {
    expect(firstError(`${BASE}x: !!binary aGVsbG8=\n`)).toBe('8:13 YAML tag !!binary is not allowed');
    expect(firstError(`${BASE}x: !!js/function "function(){}"\n`)).toBe('8:4 YAML: Unresolved tag: tag:yaml.org,2002:js/function');
    expect(firstError(`${BASE}x: !local 1\n`)).toBe('8:4 YAML: Unresolved tag: !local');
    expect(compileSpec(BASE.replace('name: limits', 'name: !!str limits'), 'spec.yaml', { env: TEST_ENV }).ok).toBe(true);
  });

  it('YAML directives and multiple documents are refused', () => {
    expect(firstError(`%YAML 1.1\n---\n${BASE}`)).toBe('1:1 YAML directives (%YAML, %TAG) are not allowed');
    expect(firstError(`%TAG !e! tag:yaml.org,2002:\n---\n${BASE}`)).toBe('1:1 YAML directives (%YAML, %TAG) are not allowed');
    expect(firstError(`${BASE}---\nversion: 1\n`)).toMatch(/^8:1 YAML: Source contains multiple documents/);
  });

  it('raw control, line-separator, bidi and replacement characters are refused where they stand', () => {
    const at = (ch: string) => firstError(BASE.replace('name: limits', `name: limits # note${ch}x`)); // column 20
    expect(at('\0')).toBe('2:20 U+0000 (NUL) is not allowed in a spec');
    expect(at('\u2028')).toBe('2:20 U+2028 (line separator) is not allowed in a spec');
    expect(at('\u0085')).toBe('2:20 U+0085 (next line (NEL)) is not allowed in a spec');
    expect(at('\u202E')).toBe('2:20 U+202E (right-to-left override) is not allowed in a spec');
    expect(at('\u2066')).toBe('2:20 U+2066 (bidi control) is not allowed in a spec');
    expect(at('\uFFFD')).toBe('2:20 U+FFFD (replacement character: the file is not valid UTF-8) is not allowed in a spec');
    expect(at('\r')).toBe('2:20 U+000D (carriage return) is not allowed in a spec');
    expect(at('\uFEFF')).toBe('2:20 U+FEFF (byte order mark) is not allowed in a spec');
    expect(at('\uD800')).toBe('2:20 U+D800 (lone surrogate) is not allowed in a spec');
  });

  it('values that decode to refused characters through YAML escapes are refused at the value', () => {
    const val = (v: string) => firstError(BASE.replace('path: /web', `path: ${v}`)); // the value starts at 7:33
    expect(val('"/web\\nx"')).toBe('7:33 a value contains U+000A (line feed); control, line-break and bidi characters are not allowed in a spec');
    expect(val('"/web\\0"')).toBe('7:33 a value contains U+0000 (NUL); control, line-break and bidi characters are not allowed in a spec');
    expect(val('"/web\\u2028"')).toBe('7:33 a value contains U+2028 (line separator); control, line-break and bidi characters are not allowed in a spec');
    expect(val('"/web\tx"')).toBe('7:33 a value contains U+0009 (TAB); control, line-break and bidi characters are not allowed in a spec');
    expect(firstError(BASE.replace('routes:', 'x: |\n  one\n  two\nroutes:'))).toBe('6:4 a value contains U+000A (line feed); control, line-break and bidi characters are not allowed in a spec');
  });

  it('a BOM at the start, CRLF line ends and benign anchors are fine (and change nothing)', () => {
    const plain = compileSpec(BASE, 'spec.yaml', { env: TEST_ENV });
    expect(plain.ok).toBe(true);
    for (const text of [`\uFEFF${BASE}`, BASE.replace(/\n/g, '\r\n'), BASE.replace('proxy: {', 'proxy: &p {').replace('name: limits', 'name: limits\nunused: *p').replace('unused: *p\n', '')]) {
      const r = compileSpec(text, 'spec.yaml', { env: TEST_ENV });
      expect(r.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic)).toEqual([]);
      expect(r.files).toEqual(plain.files);
    }
    const anchored = BASE.replace('{ http: 8080 }', '&ports { http: 8080 }').replace('routes:', 'x-ports: *ports\nroutes:');
    expect(firstError(anchored)).toBe('6:1 unknown key "x-ports"');
  });

  it('an anchored policy reused by alias builds exactly like the spelled-out spec', () => {
    const spelled = 'gateway: { ports: { http: 8000 }, rateLimit: { minute: 5, hour: 100 } }\nproxy: { ports: { http: 8080 } }\nservices:\n  - { name: svc, instances: [{ address: "svc-1:3000" }] }\nroutes:\n  - { name: a, match: { path: /a }, service: svc, rateLimit: { minute: 5, hour: 100 } }\n  - { name: b, match: { path: /b }, service: svc, rateLimit: { minute: 5, hour: 100 } }\n';
    const aliased = spelled.replace('rateLimit: { minute: 5, hour: 100 } }\nproxy', 'rateLimit: &rl { minute: 5, hour: 100 } }\nproxy').replace(/rateLimit: \{ minute: 5, hour: 100 \} \}\n/g, 'rateLimit: *rl }\n');
    expect(aliased).toContain('*rl');
    const a = compileSpec(`version: 1\nname: al\n${spelled}`, 'spec.yaml', { env: TEST_ENV });
    const b = compileSpec(`version: 1\nname: al\n${aliased}`, 'spec.yaml', { env: TEST_ENV });
    expect(a.ok && b.ok).toBe(true);
    expect(b.files).toEqual(a.files);
  });
});

describe('input limits through the CLI (bytes on disk: non-UTF-8, NUL, size)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgegen-limits-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, bytes: Buffer | string) => {
    const f = join(dir, name);
    writeFileSync(f, bytes);
    return f;
  };

  it('invalid UTF-8 is refused at the byte, with a hint, exit 1, no stack trace', async () => {
    // Line 8 is 'x: "caf' then the Latin-1 byte 0xE9, which no UTF-8 reader can decode: column 8.
    const bytes = Buffer.concat([Buffer.from(BASE.replace('name: limits', 'name: lim')), Buffer.from('x: "caf\xe9"\n', 'latin1')]);
    const f = write('latin1.yaml', bytes);
    const r = await runCli('build', f, '-o', join(dir, 'out1'));
    expect(r.code).toBe(1);
    expect(r.err.split('\n')[0]).toBe(`${f}:8:8: error: U+FFFD (replacement character: the file is not valid UTF-8) is not allowed in a spec`);
    expect(r.err).toContain('hint: save the file as UTF-8');
    expect(r.err).not.toMatch(STACK_LINE);
  });

  it('a NUL byte is refused at its position', async () => {
    const f = write('nul.yaml', Buffer.from(BASE.replace('/web }', '/w\0eb }')));
    const r = await runCli('validate', f);
    expect(r.code).toBe(1);
    expect(r.err.split('\n')[0]).toBe(`${f}:7:35: error: U+0000 (NUL) is not allowed in a spec`); // "/w" then NUL
  });

  it('a 50 MB file is refused before it is read', async () => {
    const f = write('big.yaml', HOSTILE_INPUTS['50 MB spec']());
    const r = await runCli('build', f, '-o', join(dir, 'out2'));
    expect(r.code).toBe(1);
    expect(r.err).toBe(`edgegen: ${f}:1:1: error: spec is larger than 5 MiB; split it or remove generated bulk`);
  });

  it('the alias bomb through the CLI: position and message, no stack trace', async () => {
    const f = write('bomb.yaml', billionLaughs());
    const r = await runCli('validate', f);
    expect(r.code).toBe(1);
    expect(r.err.split('\n')[0]).toBe(`${f}:5:8: error: YAML aliases expand to more than ${MAX_ALIAS_NODES} nodes (an alias bomb)`);
    expect(r.err).not.toMatch(STACK_LINE);
  });

  it('the demo fixture with CRLF line ends validates', async () => {
    const f = write('demo-crlf.yaml', readFileSync(join(FIXTURES, 'demo.yaml'), 'utf8').replace(/\n/g, '\r\n'));
    expect((await runCli('validate', f)).code).toBe(0);
  });
});

import type { Document, LineCounter, Node } from 'yaml';
import type { Diagnostic } from '../diagnostics.js';
import { describeChar, unsafeTextChar, unsafeValueChar } from '../security/chars.js';
import { checkTree, MAX_ALIASES, parseLimited } from '../security/yaml-limits.js';
import { fastLoad } from './fast-load.js';
import { yamlLib } from './yaml-lib.js';

/** Largest spec file, in UTF-8 bytes (the CLI also refuses bigger files before reading them). */
export const MAX_SPEC_BYTES = 5 * 1024 * 1024;

export interface Pos { line: number; col: number }

/** A parsed spec: its plain data and a way back from a key path to the source position. */
export interface ParsedSpec {
  file: string;
  /** The source text (lint reads suppression comments from it). */
  text: string;
  data: unknown;
  locate(path: readonly (string | number)[], key?: boolean): Pos;
}

export type ParseResult = { ok: true; spec: ParsedSpec } | { ok: false; diagnostics: Diagnostic[] };

function fail(file: string, line: number, col: number, message: string, hint?: string): ParseResult {
  return { ok: false, diagnostics: [{ file, line, col, severity: 'error', code: 'syntax', message, hint }] };
}

/**
 * Parse YAML text keeping positions. Everything a spec never needs is refused here, each with its position:
 * oversized input, controls/line separators/bidi characters and U+FFFD (invalid UTF-8 decoded by the reader), more
 * tokens or deeper nesting than a spec has, directives, custom tags, duplicate keys, merge keys, prototype keys,
 * alias bombs and recursive aliases, and string values that decode (through YAML escapes) to refused characters.
 * Plain specs are read by the fast path (fast-load.ts) and get their positions lazily; `fast: false` skips it.
 */
export function parseSpecText(text: string, file: string, opts: { fast?: boolean } = {}): ParseResult {
  const badName = unsafeValueChar(file);
  if (badName) {
    return fail(file.replace(/[^\x20-\x7E]/g, '?'), 1, 1, `the spec file name contains ${describeChar(badName.char)}`, 'rename the file; its name is written into every generated config');
  }
  if (text.length > MAX_SPEC_BYTES || Buffer.byteLength(text, 'utf8') > MAX_SPEC_BYTES) {
    return fail(file, 1, 1, `spec is larger than ${MAX_SPEC_BYTES / 1024 / 1024} MiB`, 'split it or remove generated bulk');
  }
  const pos = (offset: number) => {
    // LineCounter is filled by the parser; before parsing, count lines directly.
    const before = text.slice(0, offset);
    return { line: before.split('\n').length, col: offset - before.lastIndexOf('\n') };
  };
  const bad = unsafeTextChar(text);
  if (bad) {
    const p = pos(bad.index);
    return fail(file, p.line, p.col, `${describeChar(bad.char)} is not allowed in a spec`, bad.char === '\uFFFD' ? 'save the file as UTF-8' : bad.char === '\r' ? 'use LF or CRLF line ends' : 'remove it; specs are plain UTF-8 text');
  }
  const fast = opts.fast === false ? undefined : fastLoad(text);
  if (fast) return { ok: true, spec: { file, text, data: fast, locate: lazyLocate(text) } };
  const lineCounter = new (yamlLib().LineCounter)();
  const parsed = parseLimited(text, PARSE_OPTIONS, lineCounter);
  if ('problem' in parsed) {
    const p = pos(parsed.problem.offset);
    return fail(file, p.line, p.col, parsed.problem.message, parsed.problem.hint);
  }
  const doc = parsed.doc;
  const problems = [...doc.errors, ...doc.warnings];
  if (problems.length > 0) {
    return {
      ok: false,
      diagnostics: problems.map((e) => {
        const p = lineCounter.linePos(e.pos[0]);
        const dup = e.code === 'DUPLICATE_KEY';
        const stack = /Maximum call stack/.test(e.message);
        return {
          file, line: p.line, col: p.col, severity: 'error' as const, code: dup ? 'duplicate-key' : 'syntax',
          message: dup ? `duplicate key "${/^["']?([^:"'\n]*)/.exec(text.slice(e.pos[0]))![1].trim()}": a key may appear once in a mapping`
            : stack ? 'nesting is too deep to parse' : `YAML: ${e.message.split('\n')[0]}`,
          hint: dup ? 'remove or rename one of the two keys' : stack ? 'a spec is never this deep; check for generated input' : undefined,
        };
      }),
    };
  }
  const structural = checkTree(doc);
  if (structural) {
    const p = lineCounter.linePos(structural.offset);
    return fail(file, p.line, p.col, structural.message, structural.hint);
  }
  let data: unknown;
  try {
    // checkTree bounded the expansion already; the yaml package's own alias guard stays on as a second line.
    data = doc.toJS({ maxAliasCount: MAX_ALIASES * 100 });
  } catch (e) {
    return fail(file, 1, 1, `YAML: ${(e as Error).message}`, `a spec may expand at most ${MAX_ALIASES} aliases`);
  }
  return { ok: true, spec: { file, text, data, locate: locateIn(doc, lineCounter) } };
}

const PARSE_OPTIONS = { uniqueKeys: true, merge: false, prettyErrors: false, strict: true, version: '1.2' } as const;

/** From a key path back to its source position (the value's start, or the key's with key=true). */
function locateIn(doc: Document.Parsed, lineCounter: LineCounter): ParsedSpec['locate'] {
  const { isMap, isScalar, isSeq } = yamlLib();
  return (path: readonly (string | number)[], key = false): Pos => {
    let node: unknown = doc.contents;
    let best: Node | null = (doc.contents as Node) ?? null;
    let keyNode: Node | null = null;
    for (const seg of path) {
      if (isMap(node)) {
        const pair = node.items.find((it) => isScalar(it.key) && String(it.key.value) === String(seg));
        if (!pair) break;
        keyNode = pair.key as Node;
        node = pair.value;
        best = (pair.value as Node) ?? keyNode;
      } else if (isSeq(node) && typeof seg === 'number') {
        node = node.items[seg];
        if (!node) break;
        keyNode = null;
        best = node as Node;
      } else break;
    }
    const target = key && keyNode ? keyNode : best;
    const off = target?.range?.[0] ?? 0;
    return lineCounter.linePos(off);
  };
}

/**
 * Positions for a spec the fast path read: the yaml package parses the text the first time a diagnostic needs a
 * position, so a clean build never pays for it. Past the full parser's limits, positions fall back to 1:1.
 */
function lazyLocate(text: string): ParsedSpec['locate'] {
  let locate: ParsedSpec['locate'] | undefined;
  return (path, key) => {
    if (!locate) {
      const lineCounter = new (yamlLib().LineCounter)();
      const parsed = parseLimited(text, PARSE_OPTIONS, lineCounter);
      locate = 'doc' in parsed ? locateIn(parsed.doc, lineCounter) : () => ({ line: 1, col: 1 });
    }
    return locate(path, key);
  };
}

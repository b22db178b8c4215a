import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { Diagnostic } from '../diagnostics.js';

export const MAX_SPEC_BYTES = 5 * 1024 * 1024;
const MAX_ALIASES = 100;
const MAX_DEPTH = 64;

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

/** Parse YAML text keeping positions; reject what no spec needs (aliases beyond a cap, duplicate keys, deep nesting, controls). */
export function parseSpecText(text: string, file: string): ParseResult {
  if (Buffer.byteLength(text, 'utf8') > MAX_SPEC_BYTES) {
    return fail(file, 1, 1, `spec is larger than ${MAX_SPEC_BYTES / 1024 / 1024} MiB`, 'split it or remove generated bulk');
  }
  const bad = /[\x00-\x08\x0B\x0C\x0E-\x1F\x7F\u0085\u2028\u2029\u202A-\u202E\u2066-\u2069\uFEFF]/.exec(text.replace(/^\uFEFF/, ''));
  if (bad) {
    const before = text.slice(0, bad.index);
    const line = before.split('\n').length;
    const col = bad.index - before.lastIndexOf('\n');
    const code = bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    return fail(file, line, col, `control or line-separator character U+${code} is not allowed in a spec`, 'remove it; specs are plain UTF-8 text');
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, merge: false, prettyErrors: false, strict: true, version: '1.2' });
  const problems = [...doc.errors, ...doc.warnings];
  if (problems.length > 0) {
    return {
      ok: false,
      diagnostics: problems.map((e) => {
        const p = lineCounter.linePos(e.pos[0]);
        const dup = e.code === 'DUPLICATE_KEY';
        return {
          file, line: p.line, col: p.col, severity: 'error' as const, code: dup ? 'duplicate-key' : 'syntax',
          message: dup ? `duplicate key "${/^["']?([^:"'\n]*)/.exec(text.slice(e.pos[0]))![1].trim()}": a key may appear once in a mapping` : `YAML: ${e.message.split('\n')[0]}`,
          hint: dup ? 'remove or rename one of the two keys' : undefined,
        };
      }),
    };
  }
  const structural = checkStructure(doc, file, lineCounter);
  if (structural) return structural;
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (e) {
    return fail(file, 1, 1, `YAML: ${(e as Error).message}`, `a spec may expand at most ${MAX_ALIASES} aliases`);
  }
  const locate = (path: readonly (string | number)[], key = false): Pos => {
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
  return { ok: true, spec: { file, text, data, locate } };
}

function checkStructure(doc: Document, file: string, lc: LineCounter): ParseResult | null {
  let aliases = 0;
  const walk = (node: unknown, depth: number): ParseResult | null => {
    const n = node as Node | null;
    if (depth > MAX_DEPTH) {
      const p = lc.linePos(n?.range?.[0] ?? 0);
      return fail(file, p.line, p.col, `nesting deeper than ${MAX_DEPTH} levels`, 'a spec is never this deep; check for generated input');
    }
    if (n && (n as { tag?: string }).tag && !String((n as { tag?: string }).tag).startsWith('tag:yaml.org,2002:')) {
      const p = lc.linePos(n.range?.[0] ?? 0);
      return fail(file, p.line, p.col, `custom YAML tag ${(n as { tag?: string }).tag} is not allowed`, 'remove the tag');
    }
    if (isAlias(n)) {
      aliases++;
      if (aliases > MAX_ALIASES) {
        const p = lc.linePos(n.range?.[0] ?? 0);
        return fail(file, p.line, p.col, `more than ${MAX_ALIASES} YAML aliases`, 'write the values out; aliases are capped to stop alias bombs');
      }
    }
    if (isMap(n)) {
      for (const it of n.items) {
        if (isScalar(it.key) && String(it.key.value) === '<<') {
          const p = lc.linePos(it.key.range?.[0] ?? 0);
          return fail(file, p.line, p.col, 'YAML merge keys ("<<") are not allowed', 'write the keys out in full');
        }
        if (!isScalar(it.key)) {
          const p = lc.linePos((it.key as Node)?.range?.[0] ?? 0);
          return fail(file, p.line, p.col, 'mapping keys must be plain strings', 'use a plain key');
        }
        const r = walk(it.value, depth + 1);
        if (r) return r;
      }
    } else if (isSeq(n)) {
      for (const it of n.items) {
        const r = walk(it, depth + 1);
        if (r) return r;
      }
    }
    return null;
  };
  return walk(doc.contents, 0);
}

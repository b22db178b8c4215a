import type { Document, DocumentOptions, LineCounter, Node, ParseOptions, SchemaOptions } from 'yaml';
import { yamlLib } from '../spec/yaml-lib.js';
import { describeChar, unsafeValueChar } from './chars.js';

/** Input limits for spec YAML: parseLimited while parsing, checkTree after. A problem carries its source offset. */

/**
 * Lexer tokens a spec may have. A 10 000-route spec over 1 000 services (scripts/gen-spec.ts) has about 360 000,
 * so the cap leaves more than twice that. Parse time grows with tokens (1-3 us each, more for dense shapes such as
 * a flat list), so under the caps a hostile document costs about what the largest accepted spec costs (1-2 s);
 * past them, nothing more is parsed.
 */
export const MAX_TOKENS = 1_000_000;
/**
 * Values a spec may hold (scalars, flow collections and sequence items): a 10 000-route spec has about 120 000.
 * Composing a value costs more than lexing a token, so dense shapes ("[1,1,1,...]") meet this cap first.
 */
export const MAX_NODES = 300_000;
/** Nesting of mappings and sequences, counted through aliases. */
export const MAX_DEPTH = 64;
/** Alias nodes ("*name") in a spec. */
export const MAX_ALIASES = 100;
/** Nodes that aliases may add when expanded (a "billion laughs" document expands to 10^9). */
export const MAX_ALIAS_NODES = 10_000;

export interface LimitProblem { offset: number; message: string; hint?: string }

/** Core-schema tags a spec may spell out; "!!binary", "!!set", "!!omap", "!!timestamp" and local tags are refused. */
const ALLOWED_TAGS = new Set(['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((t) => `tag:yaml.org,2002:${t}`));
/** Keys that are JavaScript prototype machinery; never spec keys. */
export const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/** Tokens the yaml lexer emits that are not source text (document start, flow end, scalar start). */
const MARKERS = new Set(['\x02', '\x18', '\x1f']);

type ParseOpts = ParseOptions & DocumentOptions & SchemaOptions;

/**
 * parseDocument with limits: the yaml package's own lexer, parser and composer (as its parseDocument wires them),
 * with every lexeme counted on the way in. Past MAX_TOKENS tokens, MAX_NODES values or MAX_DEPTH nested flow
 * collections, or at a YAML directive, lexing stops before the parser has built anything big: a 5 MB "[[[[...]]]]"
 * otherwise takes seconds and gigabytes inside the parser. One pass over the text.
 */
export function parseLimited(text: string, options: ParseOpts, lineCounter: LineCounter): { doc: Document.Parsed } | { problem: LimitProblem } {
  const { Composer, Lexer, Parser, YAMLParseError } = yamlLib();
  let problem: LimitProblem | undefined;
  function* lexemes(): Generator<string> {
    let offset = 0;
    let tokens = 0;
    let flow = 0;
    let nodes = 0;
    for (const tok of new Lexer().lex(text)) {
      if ((tok === '\x1f' || tok === '[' || tok === '{' || tok === '-') && ++nodes > MAX_NODES) {
        problem = { offset, message: `spec has more than ${MAX_NODES} YAML values`, hint: 'split it; that is more than twice a 10 000-route spec' };
        return;
      }
      if (!MARKERS.has(tok)) {
        if (++tokens > MAX_TOKENS) {
          problem = { offset, message: `spec has more than ${MAX_TOKENS} YAML tokens`, hint: 'split it; that is more than twice a 10 000-route spec' };
          return;
        }
        if (tok === '[' || tok === '{') {
          if (++flow > MAX_DEPTH) {
            problem = { offset, message: `nesting deeper than ${MAX_DEPTH} levels`, hint: 'a spec is never this deep; check for generated input' };
            return;
          }
        } else if (tok === ']' || tok === '}') flow = Math.max(0, flow - 1);
        else if (tok.startsWith('%') && flow === 0 && (offset === 0 || text[offset - 1] === '\n')) {
          problem = { offset, message: 'YAML directives (%YAML, %TAG) are not allowed', hint: 'remove the line; specs are YAML 1.2 with the core schema' };
          return;
        }
        offset += tok.length;
      }
      yield tok;
    }
  }
  const parser = new Parser(lineCounter.addNewLine);
  function* cst() {
    lineCounter.addNewLine(0);
    for (const lexeme of lexemes()) yield* parser.next(lexeme);
    if (!problem) yield* parser.end();
  }
  let doc: Document.Parsed | undefined;
  for (const d of new Composer(options).compose(cst(), true, text.length)) {
    if (problem) break;
    if (!doc) doc = d;
    else {
      doc.errors.push(new YAMLParseError(d.range.slice(0, 2) as [number, number], 'MULTIPLE_DOCS', 'Source contains multiple documents; please use YAML.parseAllDocuments()'));
      break;
    }
  }
  return problem ? { problem } : { doc: doc! };
}

/**
 * After parsing: walk the document once, following aliases by size instead of by value. Refuses deep nesting,
 * alias bombs, recursive aliases, merge keys, custom tags, non-scalar and prototype keys, and any key or string value
 * holding a character of the char policy (YAML escapes such as "\n", "\0" or "\u2028" decode to them).
 */
export function checkTree(doc: Document): LimitProblem | undefined {
  const { isAlias, isMap, isScalar, isSeq } = yamlLib();
  let aliases = 0;
  let expanded = 0;
  const height = new Map<unknown, { h: number; n: number }>();
  const active = new Set<unknown>();
  const at = (n: unknown) => (n as Node | null)?.range?.[0] ?? 0;

  // Height and node count of a subtree with aliases expanded (memoised: each anchor is measured once).
  const measure = (n: unknown): { h: number; n: number } => {
    const known = height.get(n);
    if (known) return known;
    let r = { h: 0, n: 1 };
    if (isAlias(n)) r = measure(n.resolve(doc));
    else if (isMap(n) || isSeq(n)) {
      for (const it of n.items as unknown[]) {
        const parts = isMap(n) ? [(it as { value: unknown }).value] : [it];
        for (const p of parts) {
          const m = measure(p);
          r = { h: Math.max(r.h, m.h + 1), n: Math.min(r.n + m.n, Number.MAX_SAFE_INTEGER) };
        }
      }
    }
    height.set(n, r);
    return r;
  };

  const value = (s: unknown, off: number, what: string): LimitProblem | undefined => {
    if (typeof s !== 'string') return undefined;
    const bad = unsafeValueChar(s);
    if (!bad) return undefined;
    const lineBreak = bad.char === '\n' || bad.char === '\r';
    return {
      offset: off,
      message: `${what} contains ${describeChar(bad.char)}; control, line-break and bidi characters are not allowed in a spec`,
      hint: lineBreak ? 'write the value on one line (no "|" or ">" block scalars, no "\\n" escapes)' : 'remove the character (YAML escapes such as "\\0" or "\\u2028" count too)',
    };
  };

  const walk = (node: unknown, depth: number): LimitProblem | undefined => {
    if (node === null || node === undefined) return undefined;
    const off = at(node);
    if (depth > MAX_DEPTH) return { offset: off, message: `nesting deeper than ${MAX_DEPTH} levels`, hint: 'a spec is never this deep; check for generated input' };
    const tag = (node as { tag?: string }).tag;
    if (tag && !ALLOWED_TAGS.has(tag)) return { offset: off, message: `YAML tag ${tag.replace('tag:yaml.org,2002:', '!!')} is not allowed`, hint: 'remove the tag; values are plain strings, numbers, booleans, lists and mappings' };
    if (isAlias(node)) {
      if (++aliases > MAX_ALIASES) return { offset: off, message: `more than ${MAX_ALIASES} YAML aliases`, hint: 'write the values out; aliases are capped to stop alias bombs' };
      const target = node.resolve(doc);
      if (target === undefined) return { offset: off, message: `YAML alias *${node.source} has no anchor before it` };
      if (active.has(target)) return { offset: off, message: `YAML alias *${node.source} refers to a node that contains it (recursive data)`, hint: 'an alias may only repeat a finished node' };
      const m = measure(target);
      expanded += m.n;
      if (expanded > MAX_ALIAS_NODES) return { offset: off, message: `YAML aliases expand to more than ${MAX_ALIAS_NODES} nodes (an alias bomb)`, hint: 'write the values out; alias expansion is capped' };
      if (depth + m.h > MAX_DEPTH) return { offset: off, message: `nesting deeper than ${MAX_DEPTH} levels once aliases are expanded`, hint: 'a spec is never this deep; check for generated input' };
      return undefined;
    }
    if (isScalar(node)) return value(node.value, off, 'a value');
    if (!isMap(node) && !isSeq(node)) return undefined;
    active.add(node);
    try {
      if (isSeq(node)) {
        for (const it of node.items) {
          const r = walk(it, depth + 1);
          if (r) return r;
        }
        return undefined;
      }
      for (const it of node.items) {
        const key = it.key as Node | null;
        if (!isScalar(key)) return { offset: at(key ?? node), message: 'mapping keys must be plain strings', hint: 'use a plain key' };
        const name = String(key.value);
        if (name === '<<') return { offset: at(key), message: 'YAML merge keys ("<<") are not allowed', hint: 'write the keys out in full' };
        if (FORBIDDEN_KEYS.has(name)) return { offset: at(key), message: `key "${name}" is not allowed`, hint: 'it names JavaScript object machinery, never a spec setting' };
        const r = value(key.value, at(key), 'a key') ?? walk(key, depth + 1) ?? walk(it.value, depth + 1);
        if (r) return r;
      }
      return undefined;
    } finally {
      active.delete(node);
    }
  };
  return walk(doc.contents, 0);
}

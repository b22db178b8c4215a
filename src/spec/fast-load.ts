import jsyaml from 'js-yaml';
import { UNSAFE_VALUE_CHAR } from '../security/chars.js';
import { FORBIDDEN_KEYS, MAX_DEPTH, MAX_NODES, MAX_TOKENS } from '../security/yaml-limits.js';

/**
 * The fast way in for plain specs: js-yaml reads a 10,000-route spec in about 80 ms where the yaml package, which
 * keeps every node's position, takes about 800 ms (issue #8). It answers only for documents that use nothing but
 * plain YAML and pass every limit of the full parser; for anything else (anchors, aliases, tags, directives,
 * complex keys, refused characters or keys, caps, any js-yaml error) it gives up and the yaml package parses the
 * text, so every problem is still reported by one parser, with its position. test/spec-fast-load.test.ts checks
 * that whenever this answers, the full parser gives the same data.
 */

const CORE = 'tag:yaml.org,2002:';
/** One js-yaml type per tag (js-yaml keeps one per tag): the first matching form converts. */
const scalar = (name: string, forms: [RegExp, (s: string) => unknown][]) =>
  new jsyaml.Type(CORE + name, {
    kind: 'scalar',
    resolve: (s: unknown) => typeof s === 'string' && forms.some(([test]) => test.test(s)),
    construct: (s: string) => forms.find(([test]) => test.test(s))![1](s),
  });

/** The YAML 1.2 core schema exactly as the yaml package resolves plain scalars (its test patterns and conversions). */
const SCHEMA = jsyaml.FAILSAFE_SCHEMA.extend({
  implicit: [
    scalar('null', [[/^(?:~|[Nn]ull|NULL)?$/, () => null]]),
    scalar('bool', [[/^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/, (s) => s[0] === 't' || s[0] === 'T']]),
    scalar('int', [
      [/^0o[0-7]+$/, (s) => parseInt(s.substring(2), 8)],
      [/^[-+]?[0-9]+$/, (s) => parseInt(s, 10)],
      [/^0x[0-9a-fA-F]+$/, (s) => parseInt(s.substring(2), 16)],
    ]),
    scalar('float', [
      [/^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/, (s) => (s.slice(-3).toLowerCase() === 'nan' ? NaN : s[0] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY)],
      [/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/, (s) => parseFloat(s)],
      [/^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/, (s) => parseFloat(s)],
    ]),
  ],
});

/**
 * Text the fast path leaves to the full parser: a directive line; a "!" where a tag can start; a "?" explicit key;
 * a flow collection used as a key ("[a]: b"). Matches in quoted values only cost the fast path, never correctness.
 */
const NOT_PLAIN = /^%|(?:^|[\s,[{:])!|(?:^|[\s,[{])\?(?:[\s]|$)|[\]}][ \t]*:(?:[\s,[\]{}]|$)/m;

class GiveUp extends Error {}


/** Keys js-yaml and the yaml package turn into different strings ("~: x" is "null" in one, "" in the other). */
const AMBIGUOUS_KEYS = new Set(['null', 'Null', 'NULL']);

/** Counts collections and checks depth, keys and strings the way checkTree does; undefined when the full parser must decide. */
function plain(root: unknown): number | undefined {
  let collections = 0;
  const walk = (v: unknown, depth: number): boolean => {
    if (depth > MAX_DEPTH) return false;
    if (typeof v === 'string') return !UNSAFE_VALUE_CHAR.test(v);
    if (typeof v !== 'object' || v === null) return true;
    collections++;
    if (Array.isArray(v)) {
      for (const item of v) if (!walk(item, depth + 1)) return false;
      return true;
    }
    for (const key of Object.keys(v)) {
      if (FORBIDDEN_KEYS.has(key) || key === '<<' || AMBIGUOUS_KEYS.has(key) || UNSAFE_VALUE_CHAR.test(key)) return false;
      if (!walk((v as Record<string, unknown>)[key], depth + 1)) return false;
    }
    return true;
  };
  return walk(root, 0) ? collections : undefined;
}

interface LoaderState { position: number; anchor: string | null; kind: string | null; result: unknown }

/** Offsets of every line feed, for "does this range span lines?" in O(log n). */
function lineFeeds(text: string): Int32Array {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  const out = new Int32Array(n);
  for (let i = text.indexOf('\n'), k = 0; i !== -1; i = text.indexOf('\n', i + 1)) out[k++] = i;
  return out;
}

function spansLines(feeds: Int32Array, start: number, end: number): boolean {
  let lo = 0;
  let hi = feeds.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (feeds[mid] < start) lo = mid + 1;
    else hi = mid;
  }
  return lo < feeds.length && feeds[lo] < end;
}

/** Character classes for tokenBound, by char code below 128: 1 space or line break, 2 YAML indicator. */
const CLASS = new Uint8Array(128);
for (const c of ' \t\n\r') CLASS[c.charCodeAt(0)] = 1;
for (const c of '-?:,[]{}#&*!|>\'"%@`') CLASS[c.charCodeAt(0)] = 2;
const classOf = (c: number) => (c < 128 ? CLASS[c] : 0);

/**
 * An upper bound of the yaml lexer's token count (parseLimited caps it at MAX_TOKENS): every token starts at or after a line
 * break, at a change between space and text, at an indicator or right after one. Counting stops past the cap.
 */
export function tokenBound(text: string): number {
  let n = 0;
  let prev = 0x0a;
  let prevClass = 1;
  for (let i = 0; i < text.length && n <= MAX_TOKENS; i++) {
    const c = text.charCodeAt(i);
    const cls = classOf(c);
    if (c === 0x0a || prev === 0x0a || (cls === 1) !== (prevClass === 1) || cls === 2 || prevClass === 2) n++;
    prev = c;
    prevClass = cls;
  }
  return n;
}

/** Longest source of a scalar or flow collection the fast path reads (the full parser caps implicit keys at 1024). */
const MAX_SPAN = 1000;

/**
 * Watches js-yaml compose each node. Gives up at an anchor, past MAX_NODES values, and at a scalar or flow collection
 * that spans lines (the readers differ on how far continuation lines must be indented) or is very long; collects the
 * collections composed, so that a collection used as a mapping key (js-yaml turns it into a string) shows up as
 * missing from the data.
 */
function watcher(text: string) {
  const feeds = lineFeeds(text);
  const starts: number[] = [];
  // A set: js-yaml may report a collection's close twice (an empty node after it keeps its state).
  const collections = new Set<unknown>();
  let nodes = 0;
  const skipSpace = (i: number, end: number) => {
    while (i < end && (text[i] === ' ' || text[i] === '\n' || text[i] === '\t' || text[i] === '\r')) i++;
    return i;
  };
  // Where the outermost flow collection still open starts (-1: none): the span limits apply while it is read.
  let flowStart = -1;
  let flowDepth = 0;
  const flows: boolean[] = [];
  const listener = (event: string, state: LoaderState) => {
    if (event === 'open') {
      const at = skipSpace(state.position, text.length);
      const flow = text[at] === '[' || text[at] === '{';
      if (flow && flowDepth++ === 0) flowStart = at;
      starts.push(state.position);
      flows.push(flow);
      return;
    }
    const start = skipSpace(starts.pop()!, state.position);
    if (flows.pop() && --flowDepth === 0) flowStart = -1;
    if (state.anchor !== null) throw new GiveUp();
    if (flowStart !== -1 && (state.position - flowStart > MAX_SPAN || spansLines(feeds, flowStart, state.position))) throw new GiveUp();
    const collection = state.kind === 'mapping' || state.kind === 'sequence';
    // At least the values parseLimited counts (scalars, flow collections, "-" items), so past MAX_NODES it decides.
    if (state.kind === 'scalar' || collection) nodes++;
    if (state.kind === 'sequence' && text[start] === '-') nodes += (state.result as unknown[]).length;
    if (nodes > MAX_NODES) throw new GiveUp();
    if (collection) collections.add(state.result);
    if (collection && text[start] !== '[' && text[start] !== '{') return;
    if (state.position - start > MAX_SPAN || spansLines(feeds, start, state.position)) throw new GiveUp();
  };
  return { listener, collections: () => collections.size };
}

/** The spec's data when the text is plain YAML within every limit, else undefined (parse it with the yaml package). */
export function fastLoad(text: string): Record<string, unknown> | undefined {
  if (NOT_PLAIN.test(text) || tokenBound(text) > MAX_TOKENS) return undefined;
  let data: unknown;
  const watch = watcher(text);
  try {
    // An anchor (and so any alias) is left to the full parser, which bounds alias expansion.
    data = jsyaml.load(text, { schema: SCHEMA, maxDepth: MAX_DEPTH + 1, listener: watch.listener } as unknown as jsyaml.LoadOptions);
  } catch {
    return undefined;
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  return plain(data) === watch.collections() ? (data as Record<string, unknown>) : undefined;
}

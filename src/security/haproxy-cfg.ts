/**
 * A re-tokenizer for haproxy.cfg that follows HAProxy's parse_line (src/tools.c, 2.6) and section handling
 * (src/cfgparse.c), so tests can parse an emitted file back and check that every spec value came back as exactly one
 * inert word and that no section or line appeared that the emitter did not write.
 */

export interface HapWord {
  /** The word after HAProxy's unquoting. */
  text: string;
  /** The word as written. */
  raw: string;
  /** "$VAR" or "${VAR}" inside double quotes: HAProxy would substitute an environment variable. */
  expands: boolean;
}

export interface HapLine { words: HapWord[]; line: number }
export interface HapSection { keyword: string; args: string[]; line: number; lines: HapLine[] }

export class HapSyntaxError extends Error {
  constructor(message: string, readonly line: number) {
    super(`haproxy.cfg:${line}: ${message}`);
  }
}

/** Keywords that open a section wherever they start a line (cfg_register_section calls in HAProxy 2.6 to 3.x). */
export const SECTION_KEYWORDS = new Set([
  'global', 'defaults', 'frontend', 'backend', 'listen', 'userlist', 'peers', 'mailers', 'resolvers', 'namespace_list',
  'http-errors', 'ring', 'log-forward', 'program', 'cache', 'fcgi-app', 'crt-store', 'traces', 'acme',
]);
/** HAProxy's MAX_LINE_ARGS. */
export const HAP_MAX_WORDS = 64;

const ESCAPES: Record<string, string> = { ' ': ' ', '#': '#', '\\': '\\', "'": "'", '"': '"', n: '\n', r: '\r', t: '\t' };

/** Split one line into words the way parse_line does (with PARSE_OPT_ENV, as for configuration files). */
export function splitHaproxyLine(src: string, line: number): HapWord[] {
  const words: HapWord[] = [];
  let i = 0;
  while (i < src.length) {
    while (src[i] === ' ' || src[i] === '\t') i++;
    if (i >= src.length || src[i] === '#') break;
    let text = '';
    let expands = false;
    const start = i;
    let quote: '' | "'" | '"' = '';
    for (; i < src.length; i++) {
      const c = src[i];
      if (quote === "'") { if (c === "'") quote = ''; else text += c; continue; }
      if (c === '\\' && i + 1 < src.length) {
        const n = src[i + 1];
        if (n === 'x' && /^[0-9a-fA-F]{2}$/.test(src.slice(i + 2, i + 4))) { text += String.fromCharCode(parseInt(src.slice(i + 2, i + 4), 16)); i += 3; continue; }
        if (n in ESCAPES) { text += ESCAPES[n]; i++; continue; }
        text += c;
        continue;
      }
      if (quote === '"') {
        if (c === '"') { quote = ''; continue; }
        if (c === '$' && /[A-Za-z_{.]/.test(src[i + 1] ?? '')) expands = true;
        text += c;
        continue;
      }
      if (c === "'" || c === '"') { quote = c; continue; }
      if (c === ' ' || c === '\t' || c === '#') break;
      text += c;
    }
    if (quote) throw new HapSyntaxError(`unmatched quote at position ${start + 1}`, line);
    words.push({ text, raw: src.slice(start, i), expands });
  }
  if (words.length > HAP_MAX_WORDS) throw new HapSyntaxError(`too many words (${words.length}, HAProxy stops at ${HAP_MAX_WORDS})`, line);
  return words;
}

/** Parse haproxy.cfg text into sections; throws HapSyntaxError where HAProxy would misread or refuse it. */
export function parseHaproxyCfg(text: string): HapSection[] {
  const sections: HapSection[] = [];
  const lines = text.split('\n');
  lines.forEach((src, idx) => {
    const line = idx + 1;
    // parse_line stops at CR and NUL even inside quotes, silently dropping the rest of the line.
    const stop = /[\r\0]/.exec(src);
    if (stop) throw new HapSyntaxError(`${stop[0] === '\r' ? 'CR' : 'NUL'} inside a line`, line);
    const words = splitHaproxyLine(src, line);
    if (words.length === 0) return;
    const first = words[0].raw;
    if (/^\.(if|elif|else|endif|diag|notice|warning|alert)\b/.test(first) || first.startsWith('[')) {
      throw new HapSyntaxError(`preprocessor or scope line "${first}"`, line);
    }
    if (SECTION_KEYWORDS.has(words[0].text)) {
      sections.push({ keyword: words[0].text, args: words.slice(1).map((w) => w.text), line, lines: [] });
      return;
    }
    if (sections.length === 0) throw new HapSyntaxError(`"${words[0].text}" outside any section`, line);
    sections[sections.length - 1].lines.push({ words, line });
  });
  return sections;
}

/** The structure of a config, independent of values: "backend svc_a:server/6" per line. */
export function haproxyShape(sections: HapSection[]): string[] {
  return sections.flatMap((s) => [`${s.keyword}/${s.args.length}`, ...s.lines.map((l) => `${s.keyword}:${l.words[0].text}/${l.words.length}`)]);
}

export interface HapMapEntry { key: string; value: string; line: number }

/**
 * Parse a HAProxy map file the way pat_ref_read_from_file_smp does: per line, the key is the first run of
 * non-blank characters, the value is the rest of the line; "#" lines are comments; nothing is unescaped.
 */
export function parseHaproxyMap(text: string): HapMapEntry[] {
  const out: HapMapEntry[] = [];
  text.split('\n').forEach((src, idx) => {
    if (/[\r\0]/.test(src)) throw new HapSyntaxError('CR or NUL inside a map line', idx + 1);
    const m = /^[ \t]*([^ \t]*)[ \t]*(.*?)[ \t]*$/.exec(src)!;
    if (m[1] === '' || m[1].startsWith('#')) return;
    out.push({ key: m[1], value: m[2], line: idx + 1 });
  });
  return out;
}

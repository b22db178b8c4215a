// The Rust `regex` crate's syntax (regex 1.10, the one Kong 3.9's ATC router 1.6.2 links), read into an equivalent
// JavaScript RegExp (flag `v`: nested classes and `&&`/`--` exist there too). Kong compiles every `~` of a route
// expression with that crate, so this is how edgegen knows what a regex means to Kong: Unicode `\d \w \s \b`,
// `.` excluding only "\n", `\A \z \< \>`, POSIX and nested classes, a `{` that must start a counted repetition.
// Constructs the crate rejects are errors; the few this reader does not model (`~~` in classes, `{,n}`, inline
// flags) are reported as unsupported, never guessed.

export type RustRegex = { re: RegExp } | { error: string } | { unsupported: string };

const WORD = '[\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\p{Join_Control}]';
const NOT_WORD = '[^\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\p{Join_Control}]';
const PERL: Record<string, string> = {
  d: '\\p{Nd}', D: '\\P{Nd}', s: '\\p{White_Space}', S: '\\P{White_Space}',
};
const POSIX: Record<string, string> = {
  alnum: '0-9A-Za-z', alpha: 'A-Za-z', ascii: '\\x00-\\x7F', blank: '\\t ', cntrl: '\\x00-\\x1F\\x7F', digit: '0-9',
  graph: '!-~', lower: 'a-z', print: ' -~', punct: '!-\\/:-@\\[-`\\{-~', space: '\\t\\n\\v\\f\\r ', upper: 'A-Z',
  word: '0-9A-Za-z_', xdigit: '0-9A-Fa-f',
};
const SIMPLE: Record<string, string> = { n: '\\n', t: '\\t', r: '\\r', f: '\\f', v: '\\v', a: '\\x07' };
const CONTROL: Record<string, number> = { '\\n': 10, '\\t': 9, '\\r': 13, '\\f': 12, '\\v': 11, '\\x07': 7 };
const ANCHORS: Record<string, string> = {
  A: '^', z: '$', b: `(?:(?<=${WORD})(?!${WORD})|(?<!${WORD})(?=${WORD}))`,
  B: `(?:(?<=${WORD})(?=${WORD})|(?<!${WORD})(?!${WORD}))`, '<': `(?<!${WORD})(?=${WORD})`, '>': `(?<=${WORD})(?!${WORD})`,
};
const BOUNDARIES: Record<string, string> = {
  start: ANCHORS['<']!, end: ANCHORS['>']!, 'start-half': `(?<!${WORD})`, 'end-half': `(?!${WORD})`,
};

class Stop extends Error {
  constructor(readonly kind: 'error' | 'unsupported', message: string) { super(message); }
}
const fail = (m: string): never => { throw new Stop('error', m); };
const unsupported = (m: string): never => { throw new Stop('unsupported', m); };

/** One literal code point, written so that it means itself anywhere in a `v` pattern. */
const lit = (cp: number) => `\\u{${cp.toString(16)}}`;

export function rustRegex(pattern: string): RustRegex {
  try {
    return { re: new RegExp(new Reader(pattern).pattern(), 'v') };
  } catch (e) {
    if (e instanceof Stop) return e.kind === 'error' ? { error: e.message } : { unsupported: e.message };
    return { unsupported: `no JavaScript equivalent: ${(e as Error).message}` };
  }
}

class Reader {
  private i = 0;
  private depth = 0;
  constructor(private readonly p: string) {}

  pattern(): string {
    const out = this.alternation();
    if (this.i < this.p.length) fail('unopened group');
    return out;
  }

  private alternation(): string {
    let out = '';
    let repeatable = false;
    while (this.i < this.p.length) {
      const c = this.p[this.i]!;
      if (c === ')') {
        if (this.depth === 0) fail('unopened group');
        break;
      }
      if (c === '|') { out += '|'; this.i++; repeatable = false; continue; }
      if (c === '*' || c === '+' || c === '?' || (c === '{' && this.counted() !== undefined)) {
        if (!repeatable) fail('repetition operator missing expression');
        out += this.repetition();
        repeatable = false;
        continue;
      }
      out += this.atom();
      repeatable = true;
    }
    return out;
  }

  /** `{n}`, `{n,}` or `{n,m}` at the cursor (its text and length), or undefined when a `{` starts none. */
  private counted(): { text: string; len: number } | undefined {
    const m = /^\{(\d*)(,?)(\d*)\}/.exec(this.p.slice(this.i));
    if (!m) return undefined;
    if (m[1] === '') return m[2] ? unsupported('a counted repetition without a minimum') : fail('invalid counted repetition');
    if (m[3] !== '' && Number(m[3]) < Number(m[1])) fail('invalid repetition range');
    if (Number(m[1]) > 1000 || Number(m[3] || 0) > 1000) unsupported('a repetition count above 1000');
    return { text: m[0], len: m[0].length };
  }

  private repetition(): string {
    const c = this.p[this.i]!;
    let out: string;
    if (c === '{') {
      const k = this.counted()!;
      out = k.text;
      this.i += k.len;
    } else {
      out = c;
      this.i++;
    }
    if (this.p[this.i] === '?') { out += '?'; this.i++; }
    const n = this.p[this.i];
    if (n === '*' || n === '+' || n === '?' || (n === '{' && this.counted() !== undefined)) fail('nested repetition');
    return out;
  }

  private atom(): string {
    const c = this.p[this.i]!;
    if (c === '(') return this.group();
    if (c === '[') return this.cls();
    if (c === '\\') return this.escape(false);
    if (c === '{') fail('a "{" must start a counted repetition ("\\{" for the character)');
    this.i++;
    if (c === '.') return '[^\\n]';
    if (c === '^' || c === '$') return c;
    return lit(c.codePointAt(0)!);
  }

  private group(): string {
    const rest = this.p.slice(this.i);
    let open: string;
    let m: RegExpExecArray | null;
    // the flag groups edgegen's own Kong regexes use (src/emit/kong/regex.ts): ASCII word boundaries, any character
    const ascii = /^\(\?-u:\\([bB])\)/.exec(rest);
    if (ascii) {
      this.i += ascii[0].length;
      const w = '[0-9A-Za-z_]';
      return ascii[1] === 'b' ? `(?:(?<=${w})(?!${w})|(?<!${w})(?=${w}))` : `(?:(?<=${w})(?=${w})|(?<!${w})(?!${w}))`;
    }
    if (rest.startsWith('(?s:.)')) { this.i += 6; return '[\\s\\S]'; }
    if (rest.startsWith('(?:')) open = '(?:';
    else if ((m = /^\(\?P?<([A-Za-z_][A-Za-z0-9_.[\]]*)>/.exec(rest))) open = `(?<${m[1]}>`;
    else if (/^\(\?[=!]|^\(\?<[=!]/.test(rest)) fail('look-around is not supported');
    else if (rest.startsWith('(?')) unsupported('inline flags');
    else open = '(';
    this.i += open!.length === 1 ? 1 : (m! ? m[0].length : open!.length);
    this.depth++;
    const inner = this.alternation();
    if (this.p[this.i] !== ')') fail('unclosed group');
    this.i++;
    this.depth--;
    return `${open!}${inner})`;
  }

  /** An escape outside (`inClass` false) or inside a class; inside, the result is a class operand. */
  private escape(inClass: boolean): string {
    const c = this.p[this.i + 1];
    if (c === undefined) fail('incomplete escape sequence');
    this.i += 2;
    if (c === 'w') return WORD;
    if (c === 'W') return NOT_WORD;
    if (c in PERL) return PERL[c]!;
    if (c in SIMPLE) return SIMPLE[c]!;
    if (c === 'x' || c === 'u' || c === 'U') return lit(this.hex(c));
    if (c === 'p' || c === 'P') return this.unicodeClass(c);
    if (!inClass && c === 'b' && this.p[this.i] === '{') {
      const m = /^\{([a-z-]+)\}/.exec(this.p.slice(this.i));
      if (!m || !(m[1]! in BOUNDARIES)) fail('unrecognized word boundary');
      this.i += m![0].length;
      return BOUNDARIES[m![1]!]!;
    }
    if (!inClass && c in ANCHORS) return ANCHORS[c]!;
    if (/[0-9]/.test(c)) fail('backreferences are not supported');
    if (/[A-Za-z<>]/.test(c) || c.codePointAt(0)! > 0x7f) fail(`unrecognized escape sequence \\${c}`);
    return lit(c.codePointAt(0)!); // any other ASCII character escapes to itself
  }

  private hex(kind: string): number {
    const rest = this.p.slice(this.i);
    const m = /^\{([0-9A-Fa-f]{1,8})\}/.exec(rest) ?? (kind === 'x' ? /^([0-9A-Fa-f]{2})/ : kind === 'u' ? /^([0-9A-Fa-f]{4})/ : /^([0-9A-Fa-f]{8})/).exec(rest);
    if (!m) return fail('invalid hexadecimal escape');
    const cp = parseInt(m[1]!, 16);
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) fail('invalid Unicode scalar value');
    this.i += m[0].length;
    return cp;
  }

  private unicodeClass(kind: string): string {
    const m = /^(?:\{(\^?)([A-Za-z0-9_ =:-]+)\}|([A-Za-z]))/.exec(this.p.slice(this.i));
    if (!m) return fail('invalid Unicode class');
    this.i += m[0].length;
    const name = (m[2] ?? m[3])!;
    const negated = (kind === 'P') !== (m[1] === '^');
    const js = `\\${negated ? 'P' : 'p'}{${name.replace(/[ :]/g, '=')}}`;
    try {
      new RegExp(js, 'v');
    } catch {
      unsupported(`the Unicode class ${name}`);
    }
    return js;
  }

  /** A bracketed class: Rust's nested classes, ranges, POSIX names and `&&`/`--` (left to right) as a `v` class. */
  private cls(): string {
    this.i++; // '['
    const negated = this.p[this.i] === '^';
    if (negated) this.i++;
    let union: string[] = [];
    let expr: string | undefined; // the classes combined so far by && or --
    let op = '';
    const close = () => {
      if (!union.length) fail('empty character class');
      const u = `[${union.join('')}]`;
      expr = expr === undefined ? u : `[${expr}${op}${u}]`;
      union = [];
    };
    let first = true;
    for (;;) {
      const c = this.p[this.i];
      if (c === undefined) fail('unclosed character class');
      if (c === ']' && !first) { this.i++; break; }
      first = false;
      if (c === '[' && this.p[this.i + 1] === ':') {
        const m = /^\[:(\^?)([a-z]+):\]/.exec(this.p.slice(this.i));
        if (m) {
          const set = POSIX[m[2]!];
          if (!set) fail(`unknown POSIX class ${m[2]}`);
          union.push(m[1] ? `[^${set}]` : `[${set}]`);
          this.i += m[0].length;
          continue;
        }
      }
      if (c === '[') { union.push(this.cls()); continue; }
      if ((c === '&' || c === '-' || c === '~') && this.p[this.i + 1] === c) {
        if (c === '~') unsupported('symmetric difference (~~) in a class');
        close();
        op = c + c;
        this.i += 2;
        continue;
      }
      let cp: number | undefined;
      if (c === '\\') {
        const operand = this.escape(true);
        if (/^\\u\{[0-9a-f]+\}$/.test(operand)) cp = parseInt(operand.slice(3, -1), 16);
        else if (operand in CONTROL) cp = CONTROL[operand];
        else { union.push(operand.startsWith('\\p') || operand.startsWith('\\P') ? operand : `[${operand}]`); continue; }
      } else {
        cp = c.codePointAt(0)!;
        this.i += String.fromCodePoint(cp).length;
      }
      const dash = this.p[this.i] === '-' && this.p[this.i + 1] !== undefined && this.p[this.i + 1] !== ']' && this.p[this.i + 1] !== '-';
      if (!dash) { union.push(lit(cp!)); continue; }
      this.i++;
      let hi: number;
      if (this.p[this.i] === '\\') {
        const e = this.escape(true);
        if (/^\\u\{[0-9a-f]+\}$/.test(e)) hi = parseInt(e.slice(3, -1), 16);
        else if (e in CONTROL) hi = CONTROL[e]!;
        else return fail('invalid range boundary');
      } else {
        hi = this.p.codePointAt(this.i)!;
        this.i += String.fromCodePoint(hi).length;
      }
      if (hi < cp!) fail('invalid class range');
      union.push(`${lit(cp!)}-${lit(hi)}`);
    }
    close();
    return negated ? `[^${expr!}]` : expr!;
  }
}

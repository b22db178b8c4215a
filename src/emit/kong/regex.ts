import { EmitError } from '../text.js';

/**
 * A spec regex (its meaning is JavaScript's, the model's matcher: RegExp without flags) written for Kong's router,
 * which compiles `~` operands with the Rust regex crate. Where the two read the same text differently, the Rust text
 * says what JavaScript means: `\d \w \s \b` are ASCII/ECMAScript sets, a letter escape JavaScript takes as the
 * letter (`\A`, `\z`, `\<`) is the letter, a `{` that starts no count is `\{`, a class is rewritten item by item
 * (`[` `&` `~` `-` escaped, `[]` the empty class, `[^]` any character). Everything else is copied, so common regexes
 * read as written. `.` is left as is: it differs only on "\r", "\u2028" and "\u2029", which no request path holds.
 */
export function kongRegex(source: string): string {
  return new Translator(source).run();
}

const DIGIT = '0-9';
const WORD = '0-9A-Za-z_';
// ECMAScript WhiteSpace and LineTerminator
const SPACE = '\\t\\n\\x0B\\f\\r \\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}\\x{FEFF}';
const CLASS_ESCAPES: Record<string, string> = { d: DIGIT, w: WORD, s: SPACE };
const CONTROL: Record<string, number> = { t: 9, n: 10, v: 11, f: 12, r: 13 };
/** Characters that are syntax outside a class in Rust and must be escaped to be literal. */
const RUST_META = new Set('\\.+*?()|[]{}^$#&-~'.split(''));

const hexEsc = (cp: number) => `\\x{${cp.toString(16).toUpperCase()}}`;
/** One code point as a literal outside a class. */
const litOut = (cp: number) => {
  const c = String.fromCodePoint(cp);
  if (cp < 0x20 || cp === 0x7f) return hexEsc(cp);
  return RUST_META.has(c) ? `\\${c}` : c;
};
/** One code point as a literal inside a class. */
const litIn = (cp: number) => {
  const c = String.fromCodePoint(cp);
  if (cp < 0x20 || cp === 0x7f) return hexEsc(cp);
  return '\\[]^-&~'.includes(c) ? `\\${c}` : c;
};

type ClassItem = { cp: number } | { set: string; negated: boolean };

class Translator {
  private i = 0;
  constructor(private readonly p: string) {}

  run(): string {
    let out = '';
    while (this.i < this.p.length) {
      const c = this.p[this.i]!;
      if (c === '\\') out += this.escapeOut();
      else if (c === '[') out += this.cls();
      else if (c === '{' || c === '}') {
        const q = c === '{' ? /^\{\d+(,\d*)?\}/.exec(this.p.slice(this.i)) : null;
        if (q && this.i > 0) { out += q[0]; this.i += q[0].length; } // a count (JavaScript accepted the pattern)
        else { out += `\\${c}`; this.i++; }
      } else if (c === '(' && this.p.startsWith('(?', this.i) && !this.p.startsWith('(?:', this.i)) {
        throw new EmitError(`regex ${JSON.stringify(this.p)}: Kong's regex engine (Rust) has no look-around or other "(?" groups except "(?:"`);
      } else {
        out += c;
        this.i++;
      }
    }
    return out;
  }

  /** The code point of a character escape at the cursor (after the backslash), or undefined for a class escape. */
  private escapedChar(inClass: boolean): number | { set: string; negated: boolean } {
    const c = this.p[this.i + 1];
    if (c === undefined) throw new EmitError(`regex ${JSON.stringify(this.p)} ends with "\\"`);
    this.i += 2;
    const lower = c.toLowerCase();
    if (lower in CLASS_ESCAPES) return { set: CLASS_ESCAPES[lower]!, negated: c !== lower };
    if (c in CONTROL) return CONTROL[c]!;
    if (c === 'b' && inClass) return 8;
    if (c === '0' && !/[0-9]/.test(this.p[this.i] ?? '')) return 0;
    const hex = (n: number) => {
      const m = new RegExp(`^[0-9A-Fa-f]{${n}}`).exec(this.p.slice(this.i));
      if (!m) return undefined;
      this.i += n;
      return parseInt(m[0], 16);
    };
    if (c === 'x') return hex(2) ?? 0x78;
    if (c === 'u') return hex(4) ?? 0x75;
    if (c === 'c') {
      const l = this.p[this.i];
      if (l && /[A-Za-z]/.test(l)) { this.i++; return l.charCodeAt(0) % 32; }
      this.i--; // "\c" not followed by a letter is a backslash, then "c"
      return 0x5c;
    }
    if (/[1-9]/.test(c) || (c === '0')) throw new EmitError(`regex ${JSON.stringify(this.p)}: back-references and octal escapes have no portable meaning`);
    return c.codePointAt(0)!; // identity escape: the character itself
  }

  private escapeOut(): string {
    const c = this.p[this.i + 1];
    if (c === 'b' || c === 'B') { this.i += 2; return `(?-u:\\${c})`; }
    const e = this.escapedChar(false);
    if (typeof e === 'number') return litOut(e);
    return `[${e.negated ? '^' : ''}${e.set}]`;
  }

  /** A JavaScript class (Annex B reading) as a Rust class with the same members. */
  private cls(): string {
    this.i++; // '['
    const negated = this.p[this.i] === '^';
    if (negated) this.i++;
    const items: ClassItem[] = [];
    let closed = false;
    while (this.i < this.p.length) {
      const c = this.p[this.i]!;
      if (c === ']') { this.i++; closed = true; break; }
      items.push(c === '\\' ? this.classAtom() : { cp: this.p.codePointAt(this.i++)! });
    }
    if (!closed) throw new EmitError(`regex ${JSON.stringify(this.p)}: unterminated class`);
    // ranges: atom "-" atom where both are single characters; otherwise "-" is literal
    let body = '';
    let any = false;
    for (let k = 0; k < items.length; k++) {
      const a = items[k]!;
      const dash = items[k + 1];
      const b = items[k + 2];
      if ('cp' in a && dash && 'cp' in dash && dash.cp === 0x2d && b && 'cp' in b) {
        body += `${litIn(a.cp)}-${litIn(b.cp)}`;
        k += 2;
      } else if ('cp' in a) body += a.cp === 0x2d && (k === 0 || k === items.length - 1) ? '-' : litIn(a.cp); // "-" first or last is literal
      else body += a.negated ? `[^${a.set}]` : a.set;
      any = true;
    }
    if (!any) return negated ? '(?s:.)' : '[^\\x{0}-\\x{10FFFF}]'; // [^] is any character, [] none
    return `[${negated ? '^' : ''}${body}]`;
  }

  private classAtom(): ClassItem {
    const e = this.escapedChar(true);
    return typeof e === 'number' ? { cp: e } : e;
  }
}

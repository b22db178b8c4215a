/**
 * The one character policy of edgegen. nginx, HAProxy, libyaml (Kong) and the yaml package disagree on what these
 * characters mean (line breaks, comment ends, silent truncation), so no quoting scheme is safe for them: they are
 * refused, never escaped.
 *
 * Refused in every value: C0 controls (TAB, LF and CR too), DEL, C1 controls (NEL U+0085 too), the line and
 * paragraph separators U+2028/U+2029, bidi controls (U+061C, U+200E/F, U+202A-E, U+2066-9), U+FEFF, U+FFFD (what
 * invalid UTF-8 decodes to), the noncharacters U+FFFE/U+FFFF and lone surrogates.
 */
export const UNSAFE_VALUE_CHAR = /[\x00-\x1F\x7F-\x9F\u061C\u200E\u200F\u2028\u2029\u202A-\u202E\u2066-\u2069\uFEFF\uFFFD\uFFFE\uFFFF\uD800-\uDFFF]/u;

/** Raw spec text: the same set, except TAB and LF (YAML structure) and CR when it is part of a CRLF line end. */
const UNSAFE_TEXT_CHAR = /[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F\u061C\u200E\u200F\u2028\u2029\u202A-\u202E\u2066-\u2069\uFEFF\uFFFD\uFFFE\uFFFF\uD800-\uDFFF]|\r(?!\n)/u;

const NAMES: Record<number, string> = {
  0x00: 'NUL', 0x09: 'TAB', 0x0a: 'line feed', 0x0d: 'carriage return', 0x1b: 'ESC', 0x7f: 'DEL', 0x85: 'next line (NEL)',
  0x2028: 'line separator', 0x2029: 'paragraph separator', 0x202e: 'right-to-left override', 0xfeff: 'byte order mark',
  0xfffd: 'replacement character: the file is not valid UTF-8',
};

/** "U+000A (line feed)" */
export function describeChar(c: string): string {
  const cp = c.codePointAt(0)!;
  const bidi = cp === 0x061c || cp === 0x200e || cp === 0x200f || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
  const name = NAMES[cp] ?? (cp >= 0xd800 && cp <= 0xdfff ? 'lone surrogate' : bidi ? 'bidi control' : cp >= 0xfffe ? 'noncharacter' : 'control character');
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')} (${name})`;
}

/** The first refused character of a value, or undefined. */
export function unsafeValueChar(value: string): { index: number; char: string } | undefined {
  const m = UNSAFE_VALUE_CHAR.exec(value);
  return m ? { index: m.index, char: m[0] } : undefined;
}

/** The first refused character of raw spec text (a BOM at offset 0 is allowed), or undefined. */
export function unsafeTextChar(text: string): { index: number; char: string } | undefined {
  const from = text.startsWith('\uFEFF') ? 1 : 0;
  const m = UNSAFE_TEXT_CHAR.exec(from ? text.slice(1) : text);
  return m ? { index: m.index + from, char: m[0] } : undefined;
}

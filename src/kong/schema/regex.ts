// Approximates the compile check Kong runs on regex route paths.
//
// Kong 3.9 compiles `~/...` paths twice:
//  1. with PCRE2 (`ngx.re.find("", path, "aj")`, typedefs.lua) — "invalid regex: ...";
//  2. with the Rust `regex` crate when the router flavor is `traditional_compatible`
//     (the default): the route becomes an ATC expression `http.path ~ "..."`.
// We have neither engine, so: PCRE-only syntax is rewritten to a JS equivalent, the
// result is compiled with JS RegExp (non-unicode mode), and JS error texts are mapped
// to PCRE2's wording. Differences: JS accepts a few patterns PCRE2 rejects (e.g. some
// `\x{...}`/POSIX-class misuses, variable-length lookbehind) and rejects none it
// accepts after the rewrite, as far as we know. Constructs the Rust crate lacks
// (look-around, backreferences, atomic groups, possessive quantifiers, recursion) are
// reported as a router-expression error, as Kong does under traditional_compatible.

const JS_TO_PCRE: ReadonlyArray<[RegExp, string]> = [
  [/Unterminated group/, 'missing closing parenthesis'],
  [/Unmatched '\)'/, 'unmatched closing parenthesis'],
  [/Nothing to repeat/, 'quantifier does not follow a repeatable item'],
  [/Unterminated character class/, 'missing terminating ] for character class'],
  [/Range out of order in character class/, 'range out of order in character class'],
  [/\\ at end of pattern/, '\\ at end of pattern'],
  [/numbers out of order/, 'numbers out of order in {} quantifier'],
  [/Duplicate capture group name/, 'two named subpatterns have the same name (PCRE2_DUPNAMES not set)'],
  [/Invalid capture group name/, 'subpattern name expected'],
  [/Invalid named (capture )?reference/, 'reference to non-existent subpattern'],
  [/Invalid group/, 'unrecognized character after (? or (?-'],
];

// Letters PCRE2 knows after a backslash; any other letter is a compile error.
const PCRE_ESCAPES = new Set('aAbBcdDeEfgGhHkKnNopPQrRsStvVwWxXzZ'.split(''));
const PCRE_UNSUPPORTED = new Set(['F', 'L', 'l', 'U', 'u']);

interface Rewrite {
  js: string;
  error?: string;
  /** Constructs the Rust regex crate (ATC router) does not support. */
  rustUnsupported: string[];
}

/**
 * Patterns without escapes, `(?`, possessive quantifiers or a class starting with `]`:
 * `rewrite` copies them unchanged (only JS's own syntax check remains).
 */
const VERBATIM = /^(?!.*(?:\\|\(\?|[*+?}]\+|\[\^?\]))/s;

/** Rewrites PCRE-only syntax into JS syntax with the same compile-validity. */
function rewrite(p: string): Rewrite {
  if (VERBATIM.test(p)) return { js: p, rustUnsupported: [] };
  let js = '';
  const rust = new Set<string>();
  let inClass = false;
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    const next = p[i + 1];
    if (c === '\\') {
      if (next === undefined) return { js, error: '\\ at end of pattern', rustUnsupported: [] };
      if (next === 'Q') {
        const end = p.indexOf('\\E', i + 2);
        const lit = end < 0 ? p.slice(i + 2) : p.slice(i + 2, end);
        js += lit.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
        i = end < 0 ? p.length : end + 1;
        continue;
      }
      if (/[A-Za-z]/.test(next)) {
        if (PCRE_UNSUPPORTED.has(next)) {
          return { js, error: 'PCRE2 does not support \\F, \\L, \\l, \\N{name}, \\U, or \\u', rustUnsupported: [] };
        }
        if (!PCRE_ESCAPES.has(next)) return { js, error: 'unrecognized character follows \\', rustUnsupported: [] };
      }
      if (!inClass && /[1-9]/.test(next)) rust.add('backreferences');
      if (next === 'k' || next === 'g') rust.add('backreferences');
      if ('GKZ'.includes(next)) rust.add(`\\${next}`);
      const map: Record<string, string> = { A: '^', z: '$', Z: '$', G: '', K: '', h: '[ \\t]', H: '[^ \\t]', R: '(?:\\r\\n|\\n|\\r)', X: '.', e: '\\x1b', a: '\\x07', E: '' };
      if (!inClass && next in map) js += map[next];
      else js += c + next;
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      js += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      js += c;
      if (p[i + 1] === '^') js += p[++i];
      if (p[i + 1] === ']') js += `\\${p[++i]}`; // leading ']' is literal in PCRE
      continue;
    }
    if (c === '(' && next === '?') {
      const rest = p.slice(i);
      let m: RegExpExecArray | null;
      if ((m = /^\(\?#[^)]*\)/.exec(rest))) {
        i += m[0].length - 1;
        continue;
      }
      if ((m = /^\(\?P?<([A-Za-z_]\w*)>/.exec(rest))) {
        js += `(?<${m[1]}>`;
        i += m[0].length - 1;
        continue;
      }
      if ((m = /^\(\?P=([A-Za-z_]\w*)\)/.exec(rest))) {
        rust.add('backreferences');
        js += `\\k<${m[1]}>`;
        i += m[0].length - 1;
        continue;
      }
      if ((m = /^\(\?(R|[+-]?\d+|&\w+|P>\w+)\)/.exec(rest))) {
        rust.add('recursion');
        js += '(?:)';
        i += m[0].length - 1;
        continue;
      }
      if ((m = /^\(\?[imsxnUJ-]+\)/.exec(rest))) {
        i += m[0].length - 1;
        continue;
      }
      if ((m = /^\(\?([imsxnUJ-]+:|>|\|)/.exec(rest))) {
        if (m[1] === '>') rust.add('atomic groups');
        js += '(?:';
        i += m[0].length - 1;
        continue;
      }
      if (/^\(\?(=|!|<=|<!)/.test(rest)) rust.add('look-around');
    }
    if ('*+?}'.includes(c) && next === '+' && js.length > 0 && !js.endsWith('\\')) {
      rust.add('possessive quantifiers');
      js += c;
      i++;
      continue;
    }
    js += c;
  }
  return { js, rustUnsupported: [...rust] };
}

// Literal characters, anchors and `.` only: the rewrite is the identity, JS compiles it and
// the Rust crate supports it (generated route paths such as `~/e12/status$` are like this).
const PLAIN = /^[A-Za-z0-9/_.$^:~%@,=&;!-]*$/;
const PLAIN_REWRITE: Readonly<Rewrite> = Object.freeze({ js: '', rustUnsupported: Object.freeze([]) as unknown as string[] });

/** A route path `~<pattern>` whose pattern is PLAIN (neither check can fail). */
export function isPlainRegexPath(path: string): boolean {
  return PLAIN_REGEX_PATH.test(path);
}
const PLAIN_REGEX_PATH = /^~[A-Za-z0-9/_.$^:~%@,=&;!-]*$/;

// Both checks of a route path rewrite the same pattern; remember recent results.
const rewrites = new Map<string, Rewrite>();

function rewriteCached(p: string): Readonly<Rewrite> {
  if (PLAIN.test(p)) return PLAIN_REWRITE;
  let r = rewrites.get(p);
  if (!r) {
    if (rewrites.size >= 1024) rewrites.clear();
    r = rewrite(p);
    rewrites.set(p, r);
  }
  return r;
}

/** PCRE2-style compile error for `pattern`, or undefined when it compiles. */
export function pcreCompileError(pattern: string): string | undefined {
  const r = rewriteCached(pattern);
  if (r === PLAIN_REWRITE) return undefined;
  let err = r.error;
  if (!err) {
    try {
      new RegExp(r.js);
    } catch (e) {
      const msg = (e as Error).message.replace(/^.*: /, '');
      err = JS_TO_PCRE.find(([re]) => re.test(msg))?.[1] ?? msg;
    }
  }
  return err === undefined ? undefined : `pcre2_compile() failed: ${err} in "${pattern}"`;
}

/** Constructs of `pattern` that the ATC router's Rust regex engine rejects. */
export function rustRegexUnsupported(pattern: string): string[] {
  return [...rewriteCached(pattern).rustUnsupported];
}

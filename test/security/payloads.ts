/** Break-out payloads, each embedded in every field kind of the corpus (test/security/corpus-data.ts). */
export const PAYLOADS: Record<string, string> = {
  // Line structure: a new line is a new directive (nginx), a new section (HAProxy), a new key (YAML).
  lf: '\n',
  crlf: '\r\n',
  cr: '\r',
  tab: '\t',
  nul: '\0',
  esc: '\x1b[31m',
  del: '\x7f',
  nel: '\u0085',
  ls: '\u2028',
  ps: '\u2029',
  rlo: '\u202E',
  lri: '\u2066',
  zwnbsp: '\uFEFF',
  fffd: '\uFFFD',
  // Token and block structure.
  semicolon: ';',
  lbrace: '{',
  rbrace: '}',
  hash: '#',
  dquote: '"',
  squote: "'",
  backslash: '\\',
  space: ' ',
  paren: ')',
  comma: ',',
  pct: '%',
  pctenc: '%41',
  // Percent-encoded bytes no target reads the same way once decoded: a line feed, NUL, a "/" (issue 16: paths take %XX).
  pctLf: '%0A',
  pctNul: '%00',
  pctSlash: '%2F',
  at: '@',
  colon: ':',
  equals: '=',
  tilde: '~',
  star: '*',
  unicode: 'é',
  // Expansion and template syntax of each target and of the template engine.
  dollar: '$',
  nginxVar: '$host',
  dollarBrace: '${HOME}',
  dquotedEnv: '"${HOME}"',
  sampleFetch: '%[env(HOME)]',
  logFormatAlias: '%{+Q}o',
  kongTemplate: '$(headers.host)',
  vault: '{vault://env/x}',
  deck: '${{ env "DECK_X" }}',
  handlebars: '{{header}}',
  handlebarsPartial: '{{> location}}',
  handlebarsRaw: '{{{header}}}',
  // Whole break-outs.
  aclFlag: ' -f /etc/passwd',
  nginxBlock: '"; } server { listen 1; location / { root /; } #',
  nginxDirective: '\nload_module /tmp/x.so;',
  haproxySection: '\nglobal\n    lua-load /tmp/x.lua',
  long: 'a'.repeat(5000),
};

/** Payloads that hold a character of the char policy (src/security/chars.ts): refused in every field. */
export const CONTROL_PAYLOADS = ['lf', 'crlf', 'cr', 'tab', 'nul', 'esc', 'del', 'nel', 'ls', 'ps', 'rlo', 'lri', 'zwnbsp', 'fffd', 'nginxDirective', 'haproxySection'];

/** A YAML double-quoted scalar for any string: only printable ASCII appears in the spec text. */
export function yamlString(value: string): string {
  let out = '"';
  for (const ch of value) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (cp >= 0x20 && cp <= 0x7e) out += ch;
    else out += cp > 0xffff ? `\\U${cp.toString(16).padStart(8, '0')}` : `\\u${cp.toString(16).padStart(4, '0')}`;
  }
  return `${out}"`;
}

/**
 * A re-tokenizer for nginx.conf that follows ngx_conf_read_token (src/core/ngx_conf_file.c, nginx 1.x), so tests can
 * parse an emitted file back and check that every spec value came back as exactly one argument and that no
 * directive or block appeared that the emitter did not write.
 */

export interface NgxDirective {
  name: string;
  /** Arguments after nginx's own unescaping (\" \' \\ dropped to the character; \t \r \n to controls). */
  args: string[];
  /** Whether each argument was written inside quotes. */
  quoted: boolean[];
  line: number;
  block?: NgxDirective[];
}

export class NgxSyntaxError extends Error {
  constructor(message: string, readonly line: number) {
    super(`nginx.conf:${line}: ${message}`);
  }
}

/** nginx's NGX_CONF_BUFFER: a longer token is "too long parameter". */
export const NGX_MAX_TOKEN = 4096;

function unescape(raw: string): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === '\\' && i + 1 < raw.length) {
      const n = raw[i + 1];
      if (n === '"' || n === "'" || n === '\\') { out += n; i++; continue; }
      if (n === 't' || n === 'r' || n === 'n') { out += n === 't' ? '\t' : n === 'r' ? '\r' : '\n'; i++; continue; }
    }
    out += c;
  }
  return out;
}

/** Parse nginx.conf text into directives and blocks; throws NgxSyntaxError where nginx would fail to read it. */
export function parseNginxConf(text: string): NgxDirective[] {
  let i = 0;
  let line = 1;
  const next = (): { kind: 'word'; value: string; quoted: boolean } | { kind: ';' | '{' | '}' | 'eof' } => {
    for (;;) {
      if (i >= text.length) return { kind: 'eof' };
      const c = text[i];
      if (c === '\n') { line++; i++; continue; }
      if (c === ' ' || c === '\t' || c === '\r') { i++; continue; }
      if (c === '#') { while (i < text.length && text[i] !== '\n') i++; continue; }
      if (c === ';' || c === '{' || c === '}') { i++; return { kind: c }; }
      break;
    }
    const q = text[i];
    if (q === '"' || q === "'") {
      const startLine = line;
      let j = i + 1;
      for (; j < text.length && text[j] !== q; j++) {
        if (text[j] === '\\') j++;
        if (text[j] === '\n') line++;
      }
      if (j >= text.length) throw new NgxSyntaxError('unexpected end of file in a quoted string', startLine);
      const raw = text.slice(i + 1, j);
      i = j + 1;
      const after = text[i];
      if (after !== undefined && !' \t\r\n;{)'.includes(after)) throw new NgxSyntaxError(`unexpected "${after}" after a quoted string`, line);
      if (raw.length > NGX_MAX_TOKEN) throw new NgxSyntaxError('too long parameter', line);
      return { kind: 'word', value: unescape(raw), quoted: true };
    }
    let j = i;
    let variable = false;
    for (; j < text.length; j++) {
      const c = text[j];
      if (c === '\\') { j++; variable = false; continue; }
      if (c === '{' && variable) { variable = false; continue; } // "${name}" is one token
      variable = c === '$';
      if (' \t\r\n;{'.includes(c)) break;
    }
    const raw = text.slice(i, j);
    i = j;
    if (raw.length > NGX_MAX_TOKEN) throw new NgxSyntaxError('too long parameter', line);
    return { kind: 'word', value: unescape(raw), quoted: false };
  };

  const block = (nested: boolean): NgxDirective[] => {
    const out: NgxDirective[] = [];
    let cur: NgxDirective | undefined;
    for (;;) {
      const t = next();
      if (t.kind === 'word') {
        if (!cur) cur = { name: t.value, args: [], quoted: [], line };
        else { cur.args.push(t.value); cur.quoted.push(t.quoted); }
        continue;
      }
      if (t.kind === 'eof') {
        if (cur) throw new NgxSyntaxError('unexpected end of file, expecting ";" or "}"', line);
        if (nested) throw new NgxSyntaxError('unexpected end of file, expecting "}"', line);
        return out;
      }
      if (t.kind === '}') {
        if (cur) throw new NgxSyntaxError('unexpected "}"', line);
        if (!nested) throw new NgxSyntaxError('unexpected "}"', line);
        return out;
      }
      if (!cur) throw new NgxSyntaxError(`unexpected "${t.kind}"`, line);
      if (t.kind === '{') cur.block = block(true);
      out.push(cur);
      cur = undefined;
    }
  };
  return block(false);
}

/** Every directive with its block path, depth first: [["http", "server", "location"], directive]. */
export function* walkNginx(ds: NgxDirective[], path: string[] = []): Generator<[string[], NgxDirective]> {
  for (const d of ds) {
    yield [path, d];
    if (d.block) yield* walkNginx(d.block, [...path, d.name]);
  }
}

/** The structure of a config, independent of argument values: "http>server>location:proxy_pass/1" per directive. */
export function nginxShape(ds: NgxDirective[]): string[] {
  return [...walkNginx(ds)].map(([p, d]) => `${[...p, d.name].join('>')}/${d.args.length}${d.block ? '{}' : ''}`);
}

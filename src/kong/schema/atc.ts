// Kong's router expression language (ATC router 1.6.2, used by Kong 3.9): its grammar (atc_grammar.pest), the
// fields of the HTTP schema (kong/router/fields.lua) and the type rules a route's `expression` must pass
// (semantics.rs). Regex operands are read with the Rust regex crate's meaning (rust-regex.ts).
import { rustRegex } from './rust-regex.js';

export type AtcOp = '==' | '!=' | '~' | '^=' | '=^' | '>=' | '>' | '<=' | '<' | 'in' | 'not in' | 'contains';
export type AtcValue = { type: 'String'; value: string } | { type: 'Int'; value: number } | { type: 'IpAddr' | 'IpCidr'; value: string };
export interface AtcPredicate {
  kind: 'predicate';
  field: string;
  lower: boolean;
  any: boolean;
  op: AtcOp;
  rhs: AtcValue;
  /** The regex of a `~` predicate with its Rust meaning, when this reader models it. */
  regex?: RegExp;
}
export type AtcExpr = AtcPredicate | { kind: 'and'; left: AtcExpr; right: AtcExpr } | { kind: 'or'; left: AtcExpr; right: AtcExpr } | { kind: 'not'; expr: AtcExpr };

/** Field types of the HTTP router schema; `*` stands for any one further dotted name. */
const HTTP_FIELDS: Record<string, 'String' | 'Int' | 'IpAddr'> = {
  'net.protocol': 'String', 'tls.sni': 'String', 'http.method': 'String', 'http.host': 'String', 'http.path': 'String',
  'http.path.segments.*': 'String', 'http.headers.*': 'String', 'http.queries.*': 'String',
  'net.src.port': 'Int', 'net.dst.port': 'Int', 'http.path.segments.len': 'Int',
  'net.src.ip': 'IpAddr', 'net.dst.ip': 'IpAddr',
};

export function fieldType(field: string): 'String' | 'Int' | 'IpAddr' | undefined {
  if (Object.hasOwn(HTTP_FIELDS, field)) return HTTP_FIELDS[field];
  const dot = field.lastIndexOf('.');
  return dot > 0 ? HTTP_FIELDS[`${field.slice(0, dot)}.*`] : undefined;
}

class AtcError extends Error {}
const IDENT = /[A-Za-z][A-Za-z0-9_.]*/y;
const IP = /(\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f:]*:[0-9A-Fa-f:]*)(\/\d{1,3})?/y;
const INT = /(-?)(0x[0-9A-Fa-f]+|0[0-7]+|\d+)/y;
const NOT_IN = /not\s+in\b/y;
const OPS: AtcOp[] = ['==', '!=', '~', '^=', '=^', '>=', '<=', '>', '<', 'contains', 'in'];

/** Parses an expression (syntax only). Throws with a message on a syntax error or a regex the Rust crate rejects. */
class Parser {
  private i = 0;
  constructor(private readonly src: string) {}

  private ws() {
    for (let c = this.src.charCodeAt(this.i); c === 32 || c === 9 || c === 10 || c === 13; c = this.src.charCodeAt(++this.i));
  }
  private err(what: string): never { throw new AtcError(`${what} at position ${this.i + 1}`); }
  /** A sticky match at the cursor (no copy of the rest of the text). */
  private at(re: RegExp) {
    re.lastIndex = this.i;
    return re.exec(this.src);
  }
  private ident() {
    const m = this.at(IDENT);
    if (!m) return this.err('expected a field name');
    this.i += m[0].length;
    return m[0];
  }

  private lhs(): { field: string; lower: boolean; any: boolean } {
    const name = this.ident();
    this.ws();
    if (this.src[this.i] !== '(') return { field: name, lower: false, any: false };
    this.i++;
    this.ws();
    const inner = this.lhs();
    this.ws();
    if (this.src[this.i] !== ')') this.err('expected ")"');
    this.i++;
    if (name === 'lower') inner.lower = true;
    else if (name === 'any') inner.any = true;
    else throw new AtcError(`unknown transformation function: ${name}`);
    return inner;
  }

  private rhs(): AtcValue {
    if (this.src.startsWith('r#"', this.i)) {
      const end = this.src.indexOf('"#', this.i + 3);
      if (end < 0) this.err('unterminated raw string');
      const value = this.src.slice(this.i + 3, end);
      this.i = end + 2;
      return { type: 'String', value };
    }
    if (this.src[this.i] === '"') {
      let value = '';
      this.i++;
      for (;;) {
        const c = this.src[this.i];
        if (c === undefined) return this.err('unterminated string');
        if (c === '"') { this.i++; break; }
        if (c === '\\') {
          const e = { '"': '"', '\\': '\\', n: '\n', r: '\r', t: '\t' }[this.src[this.i + 1] ?? ''];
          if (e === undefined) this.err('invalid escape in string');
          value += e;
          this.i += 2;
          continue;
        }
        value += c;
        this.i++;
      }
      return { type: 'String', value };
    }
    let m = this.at(IP);
    if (m && (m[1]!.includes('.') || m[1]!.includes(':'))) {
      this.i += m[0].length;
      return { type: m[2] ? 'IpCidr' : 'IpAddr', value: m[0] };
    }
    m = this.at(INT);
    if (m) {
      this.i += m[0].length;
      const d = m[2]!;
      const n = d.startsWith('0x') ? parseInt(d.slice(2), 16) : d.length > 1 && d.startsWith('0') ? parseInt(d, 8) : Number(d);
      return { type: 'Int', value: m[1] ? -n : n };
    }
    return this.err('expected a value');
  }

  private predicate(): AtcPredicate {
    const l = this.lhs();
    this.ws();
    let op: AtcOp | undefined;
    const notIn = this.at(NOT_IN);
    if (notIn) { op = 'not in'; this.i += notIn[0].length; }
    else for (const o of OPS) if (this.src.startsWith(o, this.i)) { op = o; this.i += o.length; break; }
    if (!op) this.err('expected an operator');
    this.ws();
    const value = this.rhs();
    const p: AtcPredicate = { kind: 'predicate', ...l, op: op!, rhs: value };
    if (op === '~') {
      if (value.type !== 'String') throw new AtcError('regex operator can only be used with String operands');
      const r = rustRegex(value.value);
      if ('error' in r) throw new AtcError(`regex parse error in '${value.value}': ${r.error}`);
      if ('re' in r) p.regex = r.re;
    }
    return p;
  }

  private term(): AtcExpr {
    this.ws();
    if (this.src[this.i] === '!' || this.src[this.i] === '(') {
      const not = this.src[this.i] === '!';
      if (not) { this.i++; this.ws(); if (this.src[this.i] !== '(') this.err('expected term'); }
      this.i++;
      const e = this.expression();
      this.ws();
      if (this.src[this.i] !== ')') this.err('expected ")"');
      this.i++;
      return not ? { kind: 'not', expr: e } : e;
    }
    return this.predicate();
  }

  // expression = term (op term)*; the Pratt parser gives "||" precedence over "&&" (both left-associative).
  private expression(): AtcExpr {
    const ors: AtcExpr[] = [];
    let cur = this.term();
    for (;;) {
      this.ws();
      if (this.src.startsWith('||', this.i)) { this.i += 2; cur = { kind: 'or', left: cur, right: this.term() }; continue; }
      if (this.src.startsWith('&&', this.i)) { this.i += 2; ors.push(cur); cur = this.term(); continue; }
      break;
    }
    ors.push(cur);
    return ors.reduce((left, right): AtcExpr => ({ kind: 'and', left, right }));
  }

  parse(): AtcExpr {
    const e = this.expression();
    this.ws();
    if (this.i < this.src.length) this.err('unexpected input');
    return e;
  }
}

/** Type rules of semantics.rs for the HTTP schema. */
function validate(e: AtcExpr): void {
  if (e.kind === 'not') { validate(e.expr); return; }
  if (e.kind !== 'predicate') { validate(e.left); validate(e.right); return; }
  const t = fieldType(e.field);
  if (!t) throw new AtcError('Unknown LHS field');
  if (e.op !== '~' && e.op !== 'in' && e.op !== 'not in' && t !== e.rhs.type) throw new AtcError('Type mismatch between the LHS and RHS values of predicate');
  if (e.lower && t !== 'String') throw new AtcError('lower-case transformation function only supported with String type fields');
  if ((e.op === '~' || e.op === '^=' || e.op === '=^' || e.op === 'contains') && t !== 'String') throw new AtcError(`${e.op} operator only supports string operands`);
  if (['>', '>=', '<', '<='].includes(e.op) && t !== 'Int') throw new AtcError('Greater/GreaterOrEqual/Lesser/LesserOrEqual operators only supports integer operands');
  if ((e.op === 'in' || e.op === 'not in') && (t !== 'IpAddr' || e.rhs.type !== 'IpCidr')) throw new AtcError('In/NotIn operators only supports IP in CIDR');
}

/** The parsed expression, or Kong's reason to refuse it ("Router Expression failed validation: ..."). */
export function parseAtc(src: string): { expr: AtcExpr } | { error: string } {
  try {
    const expr = new Parser(src).parse();
    validate(expr);
    return { expr };
  } catch (e) {
    if (e instanceof AtcError) return { error: e.message };
    throw e;
  }
}

/** The fields an expression reads. */
export function atcFields(e: AtcExpr, out: string[] = []): string[] {
  if (e.kind === 'predicate') out.push(e.field);
  else if (e.kind === 'not') atcFields(e.expr, out);
  else { atcFields(e.left, out); atcFields(e.right, out); }
  return out;
}

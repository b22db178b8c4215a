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
const OPS: AtcOp[] = ['==', '!=', '~', '^=', '=^', '>=', '<=', '>', '<', 'contains', 'in'];

/** Parses an expression (syntax only). Throws with a message on a syntax error or a regex the Rust crate rejects. */
function parse(src: string): AtcExpr {
  let i = 0;
  const ws = () => { while (i < src.length && ' \t\r\n'.includes(src[i]!)) i++; };
  const err = (what: string): never => { throw new AtcError(`${what} at position ${i + 1}`); };
  const ident = () => {
    const m = /^[A-Za-z][A-Za-z0-9_.]*/.exec(src.slice(i));
    if (!m) return err('expected a field name');
    i += m[0].length;
    return m[0];
  };

  const lhs = (): { field: string; lower: boolean; any: boolean } => {
    const name = ident();
    ws();
    if (src[i] !== '(') return { field: name, lower: false, any: false };
    i++;
    ws();
    const inner = lhs();
    ws();
    if (src[i] !== ')') err('expected ")"');
    i++;
    if (name === 'lower') inner.lower = true;
    else if (name === 'any') inner.any = true;
    else throw new AtcError(`unknown transformation function: ${name}`);
    return inner;
  };

  const rhs = (): AtcValue => {
    if (src.startsWith('r#"', i)) {
      const end = src.indexOf('"#', i + 3);
      if (end < 0) err('unterminated raw string');
      const value = src.slice(i + 3, end);
      i = end + 2;
      return { type: 'String', value };
    }
    if (src[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        const c = src[i];
        if (c === undefined) return err('unterminated string');
        if (c === '"') { i++; break; }
        if (c === '\\') {
          const e = { '"': '"', '\\': '\\', n: '\n', r: '\r', t: '\t' }[src[i + 1] ?? ''];
          if (e === undefined) err('invalid escape in string');
          value += e;
          i += 2;
          continue;
        }
        value += c;
        i++;
      }
      return { type: 'String', value };
    }
    let m = /^(\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f:]*:[0-9A-Fa-f:]*)(\/\d{1,3})?/.exec(src.slice(i));
    if (m && (m[1]!.includes('.') || m[1]!.includes(':'))) {
      i += m[0].length;
      return { type: m[2] ? 'IpCidr' : 'IpAddr', value: m[0] };
    }
    m = /^(-?)(0x[0-9A-Fa-f]+|0[0-7]+|\d+)/.exec(src.slice(i));
    if (m) {
      i += m[0].length;
      const d = m[2]!;
      const n = d.startsWith('0x') ? parseInt(d.slice(2), 16) : d.length > 1 && d.startsWith('0') ? parseInt(d, 8) : Number(d);
      return { type: 'Int', value: m[1] ? -n : n };
    }
    return err('expected a value');
  };

  const predicate = (): AtcPredicate => {
    const l = lhs();
    ws();
    let op: AtcOp | undefined;
    const notIn = /^not\s+in\b/.exec(src.slice(i));
    if (notIn) { op = 'not in'; i += notIn[0].length; }
    else for (const o of OPS) if (src.startsWith(o, i)) { op = o; i += o.length; break; }
    if (!op) err('expected an operator');
    ws();
    const value = rhs();
    const p: AtcPredicate = { kind: 'predicate', ...l, op: op!, rhs: value };
    if (op === '~') {
      if (value.type !== 'String') throw new AtcError('regex operator can only be used with String operands');
      const r = rustRegex(value.value);
      if ('error' in r) throw new AtcError(`regex parse error in '${value.value}': ${r.error}`);
      if ('re' in r) p.regex = r.re;
    }
    return p;
  };

  const term = (): AtcExpr => {
    ws();
    if (src[i] === '!' || src[i] === '(') {
      const not = src[i] === '!';
      if (not) { i++; ws(); if (src[i] !== '(') err('expected term'); }
      i++;
      const e = expression();
      ws();
      if (src[i] !== ')') err('expected ")"');
      i++;
      return not ? { kind: 'not', expr: e } : e;
    }
    return predicate();
  };

  // expression = term (op term)*; the Pratt parser gives "||" precedence over "&&" (both left-associative).
  const expression = (): AtcExpr => {
    const ors: AtcExpr[] = [];
    let cur = term();
    for (;;) {
      ws();
      if (src.startsWith('||', i)) { i += 2; cur = { kind: 'or', left: cur, right: term() }; continue; }
      if (src.startsWith('&&', i)) { i += 2; ors.push(cur); cur = term(); continue; }
      break;
    }
    ors.push(cur);
    return ors.reduce((left, right): AtcExpr => ({ kind: 'and', left, right }));
  };

  const e = expression();
  ws();
  if (i < src.length) err('unexpected input');
  return e;
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
    const expr = parse(src);
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

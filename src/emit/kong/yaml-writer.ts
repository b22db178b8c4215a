/**
 * Block YAML for Kong's declarative config, written from plain data (never from a template). It produces the same
 * bytes as the yaml package's `new Document(data, { version: '1.1' }).toString(KONG_YAML_OPTIONS)`, which
 * test/kong-yaml-writer.test.ts checks on every fixture and on generated data; it exists because the yaml package
 * takes about 0.6 s for a 10,000-route config (issue #8) and this takes a few tens of milliseconds.
 *
 * Strings are always double-quoted with JSON escapes (valid YAML 1.1 and 1.2); characters that YAML treats as line
 * breaks or does not allow raw (C0/C1 controls, DEL, U+2028/2029) are escaped, so no value can start a new line.
 */

/** The yaml package options the writer reproduces (the reference serialization in the tests). */
export const KONG_YAML_OPTIONS = { defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN', lineWidth: 0, indentSeq: true } as const;

const NAMED: Record<string, string> = { '0000': '\\0', '0007': '\\a', '000b': '\\v', '001b': '\\e' };

/** A double-quoted YAML scalar. */
export function quoted(value: string): string {
  const json = JSON.stringify(value);
  if (!/[\\\x7f-\x9f\u2028\u2029]/.test(json)) return json;
  let out = '';
  for (let i = 0; i < json.length; i++) {
    const ch = json[i];
    if (ch === '\\') {
      if (json[i + 1] === 'u') {
        const code = json.substr(i + 2, 4);
        out += NAMED[code] ?? (code.startsWith('00') ? `\\x${code.slice(2)}` : json.substr(i, 6));
        i += 5;
      } else {
        out += json.substr(i, 2);
        i += 1;
      }
      continue;
    }
    const c = ch.charCodeAt(0);
    if (c === 0x85) out += '\\N';
    else if (c === 0x2028) out += '\\L';
    else if (c === 0x2029) out += '\\P';
    else if (c >= 0x7f && c <= 0x9f) out += `\\x${c.toString(16)}`;
    else out += ch;
  }
  return out;
}

/** Plain words a YAML 1.1 reader takes for booleans, null or a float ("e5"). */
const SPECIAL_WORD = /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL|[eE][-+]?[0-9]+)$/;

const keys = new Map<string, string>();
function key(k: string): string {
  let out = keys.get(k);
  if (out === undefined) keys.set(k, (out = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(k) && !SPECIAL_WORD.test(k) ? k : quoted(k)));
  return out;
}

function scalar(v: unknown): string {
  switch (typeof v) {
    case 'string': return quoted(v);
    case 'boolean': return v ? 'true' : 'false';
    case 'number':
      if (Number.isFinite(v)) return Object.is(v, -0) ? '-0' : JSON.stringify(v);
      return Number.isNaN(v) ? '.nan' : v < 0 ? '-.inf' : '.inf';
    default:
      if (v === null) return 'null';
      throw new TypeError(`kong.yaml cannot hold a ${typeof v}`);
  }
}

type Data = Record<string, unknown>;

const isMap = (v: unknown): v is Data => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A value after "key:" or "-": inline for scalars and empty collections, else on the next lines. */
function after(v: unknown, indent: string, inSeq: boolean): string {
  if (Array.isArray(v)) {
    if (!v.length) return ' []\n';
    return (inSeq ? ' ' : `\n${indent}  `) + seq(v, `${indent}  `);
  }
  if (isMap(v)) {
    const body = map(v, `${indent}  `);
    if (!body) return ' {}\n';
    return (inSeq ? ' ' : `\n${indent}  `) + body;
  }
  return ` ${scalar(v)}\n`;
}

/** Pairs of a mapping (undefined values left out); the first line goes where the caller stands, the others at indent. */
function map(m: Data, indent: string): string {
  let out = '';
  for (const k of Object.keys(m)) {
    const v = m[k];
    if (v !== undefined) out += (out ? indent : '') + key(k) + ':' + after(v, indent, false);
  }
  return out;
}

/** A list's items; joined, not concatenated, so a long list is one flat string rather than a chain of pieces. */
function seq(items: unknown[], indent: string): string {
  const out: string[] = [];
  for (let i = 0; i < items.length; i++) {
    if (items[i] === undefined) throw new TypeError('kong.yaml cannot hold an undefined list item');
    out.push((i ? indent : '') + '-' + after(items[i], indent, true));
  }
  return out.join('');
}

/** The document for a top-level mapping. */
export function writeKongYaml(data: Data): string {
  return map(data, '') || '{}\n';
}

import { parseDocument } from 'yaml';
import { unsafeValueChar } from './chars.js';

/**
 * Read an emitted kong.yaml back the way Kong would (libyaml, YAML 1.1) and the way the emitter meant it (YAML 1.2),
 * and refuse any difference: a value that changes type or splits into keys between the two is an injection.
 * libyaml also breaks lines at U+0085, U+2028 and U+2029, so those must never appear raw.
 */
export function parseKongYaml(text: string): unknown {
  const raw = /[\u0085\u2028\u2029\r\0]/.exec(text);
  if (raw) throw new Error(`kong.yaml holds a raw U+${raw[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}, a line break for libyaml`);
  const read = (version: '1.1' | '1.2') => {
    const doc = parseDocument(text, { version, uniqueKeys: true, merge: false, strict: true });
    if (doc.errors.length) throw new Error(`kong.yaml does not parse as YAML ${version}: ${doc.errors[0].message}`);
    return doc.toJS({ maxAliasCount: 0 }) as unknown;
  };
  const v11 = read('1.1');
  const v12 = read('1.2');
  if (JSON.stringify(v11) !== JSON.stringify(v12)) throw new Error('kong.yaml means different things in YAML 1.1 (Kong) and 1.2');
  for (const s of kongStrings(v12)) if (unsafeValueChar(s)) throw new Error(`kong.yaml value ${JSON.stringify(s)} holds a control character`);
  return v12;
}

/** Every string in the data, keys included. */
export function kongStrings(data: unknown): string[] {
  if (typeof data === 'string') return [data];
  if (Array.isArray(data)) return data.flatMap(kongStrings);
  if (data && typeof data === 'object') return Object.entries(data).flatMap(([k, v]) => [k, ...kongStrings(v)]);
  return [];
}

/** The structure, independent of string values: one "path:type" per leaf. */
export function kongShape(data: unknown, path = ''): string[] {
  if (Array.isArray(data)) return [`${path}:array/${data.length}`, ...data.flatMap((v, i) => kongShape(v, `${path}[${i}]`))];
  if (data && typeof data === 'object') return Object.entries(data).flatMap(([k, v]) => kongShape(v, `${path}.${k}`));
  return [`${path}:${data === null ? 'null' : typeof data}`];
}

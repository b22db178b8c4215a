import { main } from '../../src/cli/main.js';
import type { OutputFile } from '../../src/compile.js';
import { haproxyShape, parseHaproxyCfg, parseHaproxyMap, type HapMapEntry, type HapSection } from '../../src/security/haproxy-cfg.js';
import { kongShape, kongStrings, parseKongYaml } from '../../src/security/kong-yaml.js';
import { nginxShape, parseNginxConf, walkNginx, type NgxDirective } from '../../src/security/nginx-conf.js';
import { yamlString } from './payloads.js';

/**
 * Put a value where "@@" is, as a YAML double-quoted scalar; returns the text and the 1-based position of the value.
 * A template may also hold "@K", after "@@", for a value derived from it (a certificate's key path).
 */
export function placeValue(template: string, value: string, derived?: (v: string) => string): { text: string; line: number; col: number } {
  const at = template.indexOf('@@');
  if (at < 0) throw new Error('template has no @@ marker');
  const before = template.slice(0, at);
  const after = template.slice(at + 2).replace('@K', () => yamlString(derived ? derived(value) : value));
  return { text: before + yamlString(value) + after, line: before.split('\n').length, col: at - before.lastIndexOf('\n') };
}

export interface Parsed {
  nginx: NgxDirective[][];
  haproxy: HapSection[][];
  maps: HapMapEntry[][];
  kong?: unknown;
  /** The data the nginx gateway's njs modules embed (policies, credentials). */
  njs: unknown[];
  /** Structure of every output file, values left out. */
  shape: Record<string, string[]>;
}

/** Parse every emitted file back with the re-tokenizers; throws where an engine would misread a file. */
export function parseOutputs(files: OutputFile[]): Parsed {
  const out: Parsed = { nginx: [], haproxy: [], maps: [], njs: [], shape: {} };
  for (const f of files) {
    if (/^nginx(-gateway)?\//.test(f.path) && f.path.endsWith('.conf')) {
      const ds = parseNginxConf(f.content);
      out.nginx.push(ds);
      out.shape[f.path] = nginxShape(ds);
    } else if (f.path.startsWith('haproxy/') && f.path.endsWith('.cfg')) {
      const sections = parseHaproxyCfg(f.content);
      const expanding = sections.flatMap((s) => s.lines.flatMap((l) => l.words)).find((w) => w.expands);
      if (expanding) throw new Error(`haproxy.cfg word ${expanding.raw} would expand an environment variable`);
      out.haproxy.push(sections);
      out.shape[f.path] = haproxyShape(sections);
    } else if (f.path.startsWith('haproxy/') && f.path.endsWith('.map')) {
      const entries = parseHaproxyMap(f.content);
      out.maps.push(entries);
      out.shape[f.path] = entries.map((e) => `entry/${e.value.split(/[ \t]+/).length}`);
    } else if (f.path.endsWith('kong.yaml')) {
      out.kong = parseKongYaml(f.content);
      out.shape[f.path] = kongShape(out.kong);
    } else if (f.path.endsWith('kong.env')) {
      const lines = f.content.split('\n').filter(Boolean);
      if (lines.some((l) => !l.startsWith('#') && !/^KONG_[A-Z_]+=[\x21-\x7E ,]*$/.test(l))) throw new Error('kong.env holds a line that is not KONG_NAME=value');
      out.shape[f.path] = lines.filter((l) => !l.startsWith('#')).map((l) => l.split('=')[0]);
    } else if (f.path.startsWith('nginx-gateway/') && f.path.endsWith('.js')) {
      const data = njsData(f.path, f.content);
      out.njs.push(data);
      out.shape[f.path] = [`lines/${f.content.split('\n').length}`, ...countShape(data)];
    } else throw new Error(`no re-tokenizer for ${f.path}`);
  }
  return out;
}

/**
 * The njs modules are a fixed template plus one line of JSON (the policies, or the credentials). Check that the
 * spec data is exactly that: a header comment with no line terminator, and one JSON line that parses as JSON, so
 * no value can add a statement. Returns the embedded data.
 */
function njsData(path: string, content: string): unknown {
  if (/[\r\u2028\u2029\0]/.test(content)) throw new Error(`${path} holds a JavaScript line terminator other than LF`);
  const lines = content.split('\n');
  if (!lines[0].startsWith('// ')) throw new Error(`${path} does not start with its header comment`);
  const data = lines.flatMap((l) => /^(?:var POLICIES = |export default )(\{.*\});$/.exec(l)?.[1] ?? []);
  if (data.length !== 1) throw new Error(`${path} must embed exactly one JSON line, found ${data.length}`);
  return JSON.parse(data[0]) as unknown;
}

/** Structure without names: objects as their size (credential objects are keyed by digests of the values). */
function countShape(data: unknown, path = ''): string[] {
  if (Array.isArray(data)) return [`${path}:array/${data.length}`, ...data.flatMap((v, i) => countShape(v, `${path}[${i}]`))];
  if (data && typeof data === 'object') {
    const entries = Object.values(data);
    return [`${path}:object/${entries.length}`, ...entries.flatMap((v, i) => countShape(v, `${path}.${i}`))];
  }
  return [`${path}:${data === null ? 'null' : typeof data}`];
}

/** How many times a target holds exactly this argument / word (or map key) / string. */
export function occurrences(p: Parsed, target: 'nginx' | 'haproxy' | 'kong' | 'njs', value: string): number {
  if (target === 'njs') return p.njs.flatMap(kongStrings).filter((s) => s === value).length;
  if (target === 'nginx') return p.nginx.flatMap((ds) => [...walkNginx(ds)].flatMap(([, d]) => d.args)).filter((a) => a === value).length;
  if (target === 'haproxy') {
    const words = p.haproxy.flat().flatMap((s) => [...s.args, ...s.lines.flatMap((l) => l.words.map((w) => w.text))]);
    return [...words, ...p.maps.flat().map((e) => e.key)].filter((w) => w === value).length;
  }
  return kongStrings(p.kong).filter((s) => s === value).length;
}

/** Run the CLI in-process, capturing its output. */
export async function runCli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['node', 'edgegen', ...args], { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** A stack frame line as Node prints them ("    at fn (file.js:1:2)"). */
export const STACK_LINE = /^\s+at .+:\d+(:\d+)?\)?$/m;

import type Handlebars from 'handlebars';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describeChar, UNSAFE_VALUE_CHAR, unsafeValueChar } from '../security/chars.js';
import { projectRoot as rootDir } from '../paths.js';

/** Characters no target can carry safely (the policy lives in src/security/chars.ts). */
export const UNSAFE_CHARS = UNSAFE_VALUE_CHAR;

/** Longest value a quoting function accepts (nginx refuses tokens over 4096 bytes; HAProxy lines are bounded too). */
export const MAX_VALUE_LENGTH = 2048;

/**
 * Most values a rendered config may hold. A spec of a few KB can otherwise ask for gigabytes: nginx repeats every
 * host-less route in every host group's server block.
 */
export const MAX_VIEW_VALUES = 1_000_000;

export class EmitError extends Error {}

export function assertSafe(value: string, what: string): void {
  const bad = unsafeValueChar(value);
  if (bad) throw new EmitError(`${what} contains ${describeChar(bad.char)}; control, line-break and bidi characters are not allowed`);
  if (value.length > MAX_VALUE_LENGTH) throw new EmitError(`${what} is longer than ${MAX_VALUE_LENGTH} characters`);
}

/**
 * Config text an emitter wrote itself, for what a template would repeat thousands of times (NGINX: one location per
 * route), where template iteration is the cost. Made only of tokens from the target's quoting functions and fixed text.
 * `text` is whole lines ("\n"-terminated, none with trailing blanks, no two blank lines in a row); `values` is how many
 * view values it stands for, counted against MAX_VIEW_VALUES like the rest of the view.
 * A template places it with `{{block name}}` on a line of its own: that line becomes the text (no line when empty).
 */
export class TextBlock {
  constructor(readonly text: string, readonly values: number) {}
}

/** A refused character other than line feed (a TextBlock holds many lines). */
const UNSAFE_TEXT_CHAR = new RegExp(`${UNSAFE_VALUE_CHAR.source}(?<!\\n)`, UNSAFE_VALUE_CHAR.flags);

/**
 * Every string a template receives is already a token for its target; none may hold a line break or control
 * character (one LF is a new directive in nginx and a new section in HAProxy); a TextBlock holds none but its line
 * ends. Also bounds the output size.
 */
function checkView(target: string, view: unknown): void {
  let count = 0;
  const walk = (v: unknown, path: string): void => {
    count += v instanceof TextBlock ? v.values : 1;
    if (count > MAX_VIEW_VALUES) {
      throw new EmitError(`the ${target} config would hold more than ${MAX_VIEW_VALUES} values (routes are repeated in every host group); split the spec or share host groups`);
    }
    if (v === undefined) throw new EmitError(`${target} value ${path} is missing (an edgegen bug; please report it with the spec)`);
    if (typeof v === 'string') {
      const bad = unsafeValueChar(v);
      if (bad) throw new EmitError(`${target} value ${path} contains ${describeChar(bad.char)}; control, line-break and bidi characters are not allowed`);
    } else if (v instanceof TextBlock) {
      const bad = UNSAFE_TEXT_CHAR.exec(v.text);
      if (bad) throw new EmitError(`${target} text ${path} contains ${describeChar(bad[0])}; control and bidi characters are not allowed`);
    } else if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}[${i}]`));
    else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k);
  };
  walk(view, '');
}

const projectRoot = rootDir();
const templatesRoot = join(projectRoot, 'templates');
const require = createRequire(import.meta.url);

type HandlebarsEnv = typeof Handlebars;
/** The Handlebars runtime runs precompiled templates; the full package (compiler included) loads only to compile one. */
const handlebarsRuntime = () => require('handlebars/runtime.js') as HandlebarsEnv;
const handlebarsFull = () => require('handlebars') as HandlebarsEnv;

type Precompiled = Record<string, { sha256: string; spec: Parameters<typeof Handlebars.template>[0] }>;

/** How the last loadTemplates call got each template: from dist/templates (built by `npm run build`) or compiled here. */
export const templateOrigins = new Map<string, 'precompiled' | 'compiled'>();

/** The build's precompiled templates of a target (scripts/precompile-templates.mjs), if any. */
function precompiled(target: string, dir: string): Precompiled {
  const file = join(dir, `${target}.cjs`);
  return existsSync(file) ? (require(file) as Precompiled) : {};
}

/**
 * Compile a target's templates. No HTML escaping (the view holds tokens already quoted for the target),
 * strict mode (a missing field is an error, not an empty string), partials from the same folder.
 * TextBlocks are spliced in after the template's output is tidied (they are tidy themselves).
 */
export function loadTemplates(target: string, precompiledDir = join(projectRoot, 'dist', 'templates')): (name: string, view: object) => string {
  const dir = join(templatesRoot, target);
  const ready = precompiled(target, precompiledDir);
  // A precompiled template is used only when it was made from exactly this source.
  const sources = readdirSync(dir).sort().filter((f) => f.endsWith('.hbs')).map((f) => {
    const src = readFileSync(join(dir, f), 'utf8');
    return { f, src, fresh: ready[f]?.sha256 === createHash('sha256').update(src).digest('hex') };
  });
  const hb = (sources.every((t) => t.fresh) ? handlebarsRuntime() : handlebarsFull()).create();
  const compiled = new Map<string, Handlebars.TemplateDelegate>();
  let blocks: TextBlock[] = [];
  // NUL marks the spot: no template or checked view value holds one.
  hb.registerHelper('block', (b: unknown) => {
    if (!(b instanceof TextBlock)) throw new EmitError(`{{block}} takes a TextBlock (an edgegen bug; please report it with the spec)`);
    return `\0${blocks.push(b) - 1}\0`;
  });
  for (const { f, src, fresh } of sources) {
    const name = f.slice(0, -4);
    const pre = fresh ? hb.template(ready[f].spec) : undefined;
    templateOrigins.set(`${target}/${f}`, pre ? 'precompiled' : 'compiled');
    if (name.startsWith('_')) hb.registerPartial(name.slice(1), pre ?? hb.compile(src, { noEscape: true, strict: true, preventIndent: false }));
    else compiled.set(name, pre ?? hb.compile(src, { noEscape: true, strict: true }));
  }
  return (name, view) => {
    const t = compiled.get(name);
    if (!t) throw new Error(`no template ${target}/${name}.hbs`);
    checkView(target, view);
    blocks = [];
    const out = t(view).replace(/[ \t]+$/gm, '').replace(/\n{3,}/g, '\n\n');
    if (!blocks.length) return out;
    let spliced = 0;
    const text = out.replace(/\0(\d+)\0\n/g, (_, i: string) => (spliced++, blocks[Number(i)].text));
    if (spliced !== blocks.length) throw new Error(`${target}/${name}.hbs: {{block}} must stand on a line of its own`);
    blocks = [];
    return text;
  };
}

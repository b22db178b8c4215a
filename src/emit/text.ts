import Handlebars from 'handlebars';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Characters no target can carry safely: controls, DEL, C1, line/paragraph separators, bidi controls. */
export const UNSAFE_CHARS = /[\x00-\x1F\x7F\u0080-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069]/;

export class EmitError extends Error {}

export function assertSafe(value: string, what: string): void {
  if (UNSAFE_CHARS.test(value)) throw new EmitError(`${what} contains a control or line-break character`);
  if (value.length > 2048) throw new EmitError(`${what} is longer than 2048 characters`);
}

const templatesRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'templates');

/**
 * Compile a target's templates. No HTML escaping (the view holds tokens already quoted for the target),
 * strict mode (a missing field is an error, not an empty string), partials from the same folder.
 */
export function loadTemplates(target: string): (name: string, view: object) => string {
  const hb = Handlebars.create();
  const dir = join(templatesRoot, target);
  const compiled = new Map<string, Handlebars.TemplateDelegate>();
  for (const f of readdirSync(dir).sort()) {
    if (!f.endsWith('.hbs')) continue;
    const src = readFileSync(join(dir, f), 'utf8');
    const name = f.slice(0, -4);
    if (name.startsWith('_')) hb.registerPartial(name.slice(1), hb.compile(src, { noEscape: true, strict: true, preventIndent: false }));
    else compiled.set(name, hb.compile(src, { noEscape: true, strict: true }));
  }
  return (name, view) => {
    const t = compiled.get(name);
    if (!t) throw new Error(`no template ${target}/${name}.hbs`);
    return t(view).replace(/[ \t]+$/gm, '').replace(/\n{3,}/g, '\n\n');
  };
}

import { assertSafe, EmitError } from '../text.js';

/** nginx tokens. Every spec-derived argument goes through one of these; nothing else reaches nginx.conf. */

declare const ngxBrand: unique symbol;
/** A string that is one safe nginx argument. */
export type NgxArg = string & { readonly [ngxBrand]: true };

const IDENT = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** A double-quoted literal: "\" and "\"" escaped, no "$" (nginx has no escape for it; see literalDollar). */
export function quote(value: string, what = 'value'): NgxArg {
  assertSafe(value, what);
  if (value.includes('$')) throw new EmitError(`${what} must not contain "$" (nginx would expand it as a variable)`);
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` as NgxArg;
}

/** A quoted string that may hold nginx variables the emitter wrote itself (never spec text). */
export function expr(value: string): NgxArg {
  assertSafe(value, 'expression');
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` as NgxArg;
}

/** A quoted regex: same quoting; "$" is allowed because nginx does not expand variables in regex patterns. */
export function regex(value: string, what = 'regex'): NgxArg {
  assertSafe(value, what);
  if (value.endsWith('\\') && !value.endsWith('\\\\')) throw new EmitError(`${what} ends with a lone "\\"`);
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` as NgxArg;
}

/** An identifier edgegen generated or validated (upstream, zone and variable names). */
export function ident(value: string): NgxArg {
  if (!IDENT.test(value)) throw new EmitError(`"${value}" is not a valid nginx identifier`);
  return value as NgxArg;
}

export function num(n: number): NgxArg {
  if (!Number.isFinite(n)) throw new EmitError(`${n} is not a number`);
  return String(n) as NgxArg;
}

/** Milliseconds as an nginx time ("1500ms", "30s"). */
export function time(ms: number): NgxArg {
  return (ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`) as NgxArg;
}

/** host:port for listen/server directives; hosts are validated names or IPs. */
export function hostPort(host: string, port: number): NgxArg {
  if (!/^[A-Za-z0-9.-]{1,253}$/.test(host) && !/^\[[0-9a-fA-F:]+\]$/.test(host)) throw new EmitError(`"${host}" is not a host name or address`);
  return `${host}:${port}` as NgxArg;
}

/** Escape regex metacharacters so a literal path can sit inside a regex. */
export function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

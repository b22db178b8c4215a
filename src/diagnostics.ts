/** A problem found in a spec, located at file:line:col (1-based). */
export interface Diagnostic {
  file: string;
  line: number;
  col: number;
  severity: 'error' | 'warning' | 'info';
  code: string;
  message: string;
  /** Key path in the spec, e.g. routes[2].match.path */
  path?: string;
  hint?: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.path ? ` (at ${d.path})` : '';
  const hint = d.hint ? `\n  hint: ${d.hint}` : '';
  return `${d.file}:${d.line}:${d.col}: ${d.severity}: ${d.message}${where}${hint}`;
}

export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${p}` : p;
  return out;
}

export function hasErrors(ds: readonly Diagnostic[]): boolean {
  return ds.some((d) => d.severity === 'error');
}

/** Thrown by the library for failures that are not about the spec (I/O, usage). */
export class EdgegenError extends Error {
  constructor(message: string, readonly exitCode = 2) {
    super(message);
  }
}

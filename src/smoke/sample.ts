import { chooseRoute } from '../model/routing.js';
import type { Model, Route } from '../model/types.js';

/**
 * A path that a regex route matches, built from the pattern (first alternative, first character of a class,
 * minimum repetitions). Returns undefined when the pattern uses constructs this does not follow.
 */
export function sampleForRegex(pattern: string): string | undefined {
  let out = '';
  const src = pattern.replace(/^\^/, '');
  let i = 0;
  const atom = (): string | undefined => {
    const c = src[i];
    if (c === '[') {
      const end = src.indexOf(']', i + 1);
      if (end < 0) return undefined;
      const body = src.slice(i + 1, end);
      i = end + 1;
      if (body.startsWith('^')) return 'z';
      const m = /^\\?(.)/.exec(body);
      return m ? (m[1] === 'd' && body.startsWith('\\d') ? '0' : m[1]) : undefined;
    }
    if (c === '(') {
      let depth = 0, j = i;
      for (; j < src.length; j++) {
        if (src[j] === '\\') { j++; continue; }
        if (src[j] === '(') depth++;
        if (src[j] === ')' && --depth === 0) break;
      }
      const inner = src.slice(i + 1, j).replace(/^\?:/, '');
      i = j + 1;
      const first = inner.split('|')[0];
      return sampleForRegex(first);
    }
    if (c === '\\') {
      const n = src[i + 1];
      i += 2;
      return ({ d: '0', w: 'a', s: undefined } as Record<string, string | undefined>)[n] ?? n;
    }
    if (c === '.') { i++; return 'a'; }
    if (c === '$') { i++; return ''; }
    i++;
    return c;
  };
  while (i < src.length) {
    const a = atom();
    if (a === undefined) return undefined;
    const q = src[i];
    if (q === '*' || q === '?') { i++; continue; }
    if (q === '+') { i++; out += a; continue; }
    if (q === '{') {
      const end = src.indexOf('}', i);
      const n = Number(src.slice(i + 1, end).split(',')[0]);
      i = end + 1;
      out += a.repeat(Number.isFinite(n) ? n : 1);
      continue;
    }
    out += a;
  }
  return new RegExp(pattern).test(out) ? out : undefined;
}

export interface RequestShape { method: string; host: string; path: string; headers: Record<string, string> }

/** The route that wins a request in the model's one total order (the model's own decision, src/model/routing.ts). */
export function winningRoute(model: Model, req: RequestShape): Route | undefined {
  return chooseRoute(model.routes, { ...req, host: req.host.split(':')[0], path: req.path.split('?')[0] });
}

/** A request that the route matches, with a unique suffix when the path allows one. */
export function requestFor(r: Route, suffix: string): RequestShape | undefined {
  const method = r.methods[0] ?? 'GET';
  const host = r.hosts[0] ? r.hosts[0].replace(/^\*\./, 'smoke.') : 'localhost';
  const headers = Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, v[0]]));
  let path: string | undefined;
  // Exact and regex paths cannot take a suffix: a query string keeps the request unique (and out of any cache).
  if (r.pathType === 'exact') path = `${r.path}?edgegen-smoke=${suffix}`;
  else if (r.pathType === 'regex') path = sampleForRegex(r.path) && `${sampleForRegex(r.path)}?edgegen-smoke=${suffix}`;
  else path = `${r.path}${r.path.endsWith('/') ? '' : '/'}${suffix}`;
  return path ? { method, host, path, headers } : undefined;
}

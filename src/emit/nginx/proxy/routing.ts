import { literalPrefix } from '../../../model/regex.js';
import type { Route } from '../../../model/types.js';
import { escapeRegex, quote, regex, type NgxArg } from '../quote.js';

export function headerVar(name: string): string {
  return name.toLowerCase().replace(/-/g, '_');
}

/** Routes with the same key share one location. */
export function locationKey(r: Route): string {
  return `${r.pathType}:${r.path}`;
}

/** Routes by location key, in the order the routes come. */
export function byLocation(routes: Route[]): Map<string, Route[]> {
  const out = new Map<string, Route[]>();
  for (const r of routes) {
    const key = locationKey(r);
    const rs = out.get(key);
    if (rs) rs.push(r);
    else out.set(key, [r]);
  }
  return out;
}

/** Index of the first entry of `sorted` that is >= value. */
function lowerBound(sorted: string[], value: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Whether one of `sorted` (sorted strings) starts `path` or starts with it. */
function prefixRelated(sorted: string[], path: string): boolean {
  let i = lowerBound(sorted, path);
  if (i < sorted.length && sorted[i].startsWith(path)) return true;
  // An entry p that starts the path sorts before it, and every entry between the two starts with p: so p starts the
  // common prefix of the path and the entry just before it. Narrow to that common prefix until p is found.
  let probe = path;
  while (i > 0) {
    const q = sorted[i - 1];
    let n = 0;
    while (n < q.length && n < probe.length && q.charCodeAt(n) === probe.charCodeAt(n)) n++;
    if (n === q.length) return true;
    probe = probe.slice(0, n);
    i = lowerBound(sorted, probe);
    if (i < sorted.length && sorted[i] === probe) return true;
  }
  return false;
}

/** The first two characters of a string as one number. */
function pair(s: string): number {
  return s.charCodeAt(0) * 0x10000 + s.charCodeAt(1);
}

/**
 * The literal prefixes of the regex routes, to ask "could a regex route match a path under this prefix?" (one of the
 * path and a literal prefix starts the other) without comparing every pair: by their first two characters, sorted.
 */
export class RegexReach {
  private readonly buckets = new Map<number, string[]>();
  /** Literal prefixes shorter than two characters ("/" for a regex without one). */
  private readonly short: string[] = [];

  constructor(routes: Route[]) {
    for (const p of new Set(routes.filter((r) => r.pathType === 'regex').map((r) => literalPrefix(r.path) || '/'))) {
      if (p.length < 2) this.short.push(p);
      else {
        const bucket = this.buckets.get(pair(p));
        if (bucket) bucket.push(p);
        else this.buckets.set(pair(p), [p]);
      }
    }
    for (const bucket of this.buckets.values()) bucket.sort();
  }

  reaches(path: string): boolean {
    for (const p of this.short) if (p.startsWith(path) || path.startsWith(p)) return true;
    if (path.length < 2) {
      for (const k of this.buckets.keys()) if (path === '' || Math.floor(k / 0x10000) === path.charCodeAt(0)) return true;
      return false;
    }
    const bucket = this.buckets.get(pair(path));
    return bucket !== undefined && prefixRelated(bucket, path);
  }
}

export function matchFor(r: Route, regexes: RegexReach): NgxArg {
  if (r.pathType === 'exact') return `= ${quote(r.path, 'route path')}` as NgxArg;
  if (r.pathType === 'regex') return `~ ${regex(r.path, 'route regex')}` as NgxArg;
  // nginx tries every regex location after the longest prefix unless the prefix says ^~. When no regex route can
  // match a path under this prefix, ^~ changes nothing but skips those tests (many regex routes stay cheap).
  return (regexes.reaches(r.path) ? quote(r.path, 'route path') : `^~ ${quote(r.path, 'route path')}`) as NgxArg;
}

function hasKeys(o: object): boolean {
  for (const _ in o) return true;
  return false;
}

/**
 * Conditions that a request must meet beyond the path: method and header matches, as nginx `if` tests. `memo` keeps
 * the tests made so far by method list (most routes have none or share a few).
 */
export function conditions(r: Route, memo: Map<string, readonly NgxArg[]>): readonly NgxArg[] {
  const methods = r.methods.length ? r.methods.join('|') : '';
  const headers = hasKeys(r.headers);
  let tests = headers ? undefined : memo.get(methods);
  if (tests) return tests;
  const out: NgxArg[] = [];
  if (methods) out.push(`$request_method ~ ${regex(`^(${methods})$`)}` as NgxArg);
  for (const [name, values] of Object.entries(r.headers))
    out.push(`$http_${headerVar(name)} ~* ${regex(`^(${values.map(escapeRegex).join('|')})$`, 'header match')}` as NgxArg);
  if (!headers) memo.set(methods, out);
  return out;
}

export function negate(test: NgxArg): NgxArg {
  return test.replace(' ~ ', ' !~ ').replace(' ~* ', ' !~* ') as NgxArg;
}

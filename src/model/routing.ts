import { literalPrefix } from './regex.js';
import type { Route } from './types.js';

/**
 * The one route decision. Routes are in the model's total order (resolve.ts, routeOrder); a request goes to the first
 * route whose every condition (host, path, method, headers) holds. Lint, every emitter, smoke and explain read this.
 */

/** What routing looks at in a request. `host` is the Host header without port; header names in any case. */
export interface RouteRequest { method: string; host?: string; path: string; headers?: Record<string, string | undefined> }

const compiled = new WeakMap<Route, RegExp>();

export function routeRegex(r: Route): RegExp {
  let re = compiled.get(r);
  if (!re) compiled.set(r, (re = new RegExp(r.path)));
  return re;
}

export function pathMatches(r: Route, path: string): boolean {
  if (r.pathType === 'exact') return path === r.path;
  if (r.pathType === 'prefix') return path.startsWith(r.path);
  return routeRegex(r).test(path);
}

/** A route host against a request host: exact (case-insensitive) or "*.example.com" for any name ending ".example.com". */
export function hostMatches(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase();
  const h = host.toLowerCase();
  return p.startsWith('*.') ? h.endsWith(p.slice(1)) : p === h;
}

/** No hosts: any host. */
export function hostsMatch(r: Route, host: string | undefined): boolean {
  return r.hosts.length === 0 || (host !== undefined && r.hosts.some((p) => hostMatches(p, host)));
}

/** Method and header conditions (header values compare case-insensitively, as in Kong, nginx `~*` and HAProxy `-i`). */
export function constraintsMatch(r: Route, req: RouteRequest): boolean {
  if (r.methods.length && !r.methods.includes(req.method)) return false;
  for (const [name, values] of Object.entries(r.headers)) {
    const v = headerOf(req, name);
    if (v === undefined || !values.some((x) => x.toLowerCase() === v.toLowerCase())) return false;
  }
  return true;
}

function headerOf(req: RouteRequest, name: string): string | undefined {
  const n = name.toLowerCase();
  for (const [k, v] of Object.entries(req.headers ?? {})) if (k.toLowerCase() === n) return v;
  return undefined;
}

export function routeMatches(r: Route, req: RouteRequest): boolean {
  return hostsMatch(r, req.host) && pathMatches(r, req.path) && constraintsMatch(r, req);
}

/** The route a request takes: the first match in the model's order, or undefined (every engine answers 404). */
export function chooseRoute(routes: readonly Route[], req: RouteRequest): Route | undefined {
  for (const r of routes) if (routeMatches(r, req)) return r;
  return undefined;
}

/**
 * The path the service receives. stripPrefix/rewrite (prefix and exact routes) replace the route's path, without its
 * trailing "/", by the rewrite target (default "/"), as Kong's strip_path joins the rest to a service path: "/base"
 * -> "/to", "/base/" -> "/to/", "/base/x" -> "/to/x", and "/basement" (a prefix "/base") -> "/to/ment".
 */
export function upstreamPath(r: Route, path: string): string {
  if (r.pathType === 'regex' || !(r.stripPrefix || r.rewrite)) return path;
  const rest = path.slice(r.path.replace(/\/$/, '').length);
  const to = (r.rewrite ?? '/').replace(/\/$/, '');
  if (rest === '') return to || '/';
  return `${to}${rest.startsWith('/') ? '' : '/'}${rest}`;
}

// ---- Decision lists for engines that first pick a server by host and a location by path (nginx) ----

/**
 * The host-specific routes that apply to requests landing on one nginx server: for an exact host, the routes naming
 * it and those whose wildcard covers it; for a wildcard, the wildcards that cover it (nginx picks the longest
 * matching wildcard server). In the model's order; every host-less route comes after all of them.
 */
export interface HostScope { host: string; routes: Route[] }

export function hostScopes(routes: readonly Route[]): HostScope[] {
  const byName = new Map<string, Route[]>();
  for (const r of routes) {
    for (const h of new Set(r.hosts.map((x) => x.toLowerCase()))) {
      const list = byName.get(h);
      if (list) list.push(r);
      else byName.set(h, [r]);
    }
  }
  return [...byName.keys()].sort().map((host) => {
    const found = new Set(byName.get(host));
    // Wildcards that cover the name: "*." and each strict suffix after a dot ("a.b.c" -> "*.b.c", "*.c").
    const labels = (host.startsWith('*.') ? host.slice(2) : host).split('.');
    for (let i = 1; i < labels.length; i++) {
      const w = `*.${labels.slice(i).join('.')}`;
      if (w !== host) for (const r of byName.get(w) ?? []) found.add(r);
    }
    return { host, routes: [...found].sort((x, y) => x.order - y.order) };
  });
}

/** A route that may take a request landing in a slot; `testPath` when landing there does not already imply its path. */
export interface Candidate { route: Route; testPath: boolean }

/**
 * Where nginx puts a request by path alone when no regex location exists: an exact location, else the longest prefix
 * location. Exact slots: exact route paths, and every path "/a/" without its slash (so nginx never answers "/a" with
 * its own 301 to "/a/"). Prefix slots: prefix route paths and "/".
 */
export interface PathSlot {
  kind: 'exact' | 'prefix';
  path: string;
  /** Routes in the model's order that can match a request landing here, up to the first one that always does. */
  candidates: Candidate[];
  /** The last candidate takes every request the ones before it leave: no request landing here goes unrouted. */
  complete: boolean;
}

export function slotKey(kind: PathSlot['kind'], path: string): string {
  return `${kind}:${path}`;
}

/** The literal text every path a regex matches starts with ("/" when unknown: the spec anchors regexes at "^/"). */
export function regexHead(source: string): string {
  return literalPrefix(source) || '/';
}

const unconditional = (r: Route) => r.methods.length === 0 && Object.keys(r.headers).length === 0;

/**
 * Candidate lists of a set of routes for any slot, by index: prefix routes by path, exact routes by path, regex routes
 * by literal head (a slot finds the heads that start its path, and for a prefix slot the heads under it, as a range of
 * the sorted heads), so no slot compares itself with every route.
 */
export class SlotIndex {
  private readonly prefixes = new Map<string, Route[]>();
  private readonly exacts = new Map<string, Route[]>();
  private readonly byHead = new Map<string, Route[]>();
  private readonly heads: string[];
  /** The slots these routes make: exact paths (and prefixes "/a/" without the slash), prefix paths and "/". */
  readonly exactPaths = new Set<string>();
  readonly prefixPaths = new Set<string>(['/']);

  constructor(routes: readonly Route[]) {
    const add = (map: Map<string, Route[]>, key: string, r: Route) => {
      const list = map.get(key);
      if (list) list.push(r);
      else map.set(key, [r]);
    };
    for (const r of routes) {
      if (r.pathType === 'exact') { add(this.exacts, r.path, r); this.exactPaths.add(r.path); }
      else if (r.pathType === 'prefix') { add(this.prefixes, r.path, r); this.prefixPaths.add(r.path); }
      else add(this.byHead, regexHead(r.path), r);
    }
    // nginx answers "/a" with a 301 to "/a/" when a location "/a/" (exact or prefix) proxies, unless "= /a" exists.
    for (const p of [...this.prefixPaths, ...this.exactPaths]) if (p.length > 1 && p.endsWith('/')) this.exactPaths.add(p.slice(0, -1));
    this.heads = [...this.byHead.keys()].sort();
  }

  has(key: string): boolean {
    const [kind, path] = parseKey(key);
    return kind === 'exact' ? this.exactPaths.has(path) : this.prefixPaths.has(path);
  }

  keys(): string[] {
    return [...[...this.exactPaths].map((p) => slotKey('exact', p)), ...[...this.prefixPaths].map((p) => slotKey('prefix', p))];
  }

  /** Every route that can match a request landing in the slot, unsorted. */
  candidates(kind: PathSlot['kind'], path: string): Candidate[] {
    const found: Candidate[] = [];
    const under = (map: Map<string, Route[]>, each: (r: Route) => void) => {
      for (let n = 1; n <= path.length; n++) {
        const list = map.get(path.slice(0, n));
        if (list) for (const r of list) each(r);
      }
    };
    under(this.prefixes, (r) => found.push({ route: r, testPath: false }));
    if (kind === 'exact') {
      for (const r of this.exacts.get(path) ?? []) found.push({ route: r, testPath: false });
      under(this.byHead, (r) => { if (routeRegex(r).test(path)) found.push({ route: r, testPath: false }); });
    } else {
      // Heads that start the path (itself included), then heads the path starts (longer): each regex once.
      under(this.byHead, (r) => found.push({ route: r, testPath: true }));
      for (let i = lowerBound(this.heads, path); i < this.heads.length && this.heads[i].startsWith(path); i++)
        if (this.heads[i] !== path) for (const r of this.byHead.get(this.heads[i])!) found.push({ route: r, testPath: true });
    }
    return found;
  }
}

/** Candidates in the model's order, up to the first that takes every request landing in the slot. */
export function slotOf(kind: PathSlot['kind'], path: string, found: Candidate[]): PathSlot {
  found.sort((a, b) => a.route.order - b.route.order);
  const candidates: Candidate[] = [];
  let complete = false;
  for (const c of found) {
    candidates.push(c);
    if (!c.testPath && unconditional(c.route)) { complete = true; break; }
  }
  return { kind, path, candidates, complete };
}

function parseKey(key: string): [PathSlot['kind'], string] {
  const i = key.indexOf(':');
  return [key.slice(0, i) as PathSlot['kind'], key.slice(i + 1)];
}

function sameDecision(a: PathSlot, b: PathSlot): boolean {
  return a.complete === b.complete && a.candidates.length === b.candidates.length
    && a.candidates.every((c, i) => c.route === b.candidates[i].route && c.testPath === b.candidates[i].testPath);
}

/**
 * Without the slots that decide exactly as the prefix slot that would take their requests (the longest shorter one
 * of the server, `others` included): fewer locations, same answers. An exact slot "/a" stays while the prefix slot
 * "/a/" does (nginx's 301). `others`: the server's slots that are not being pruned (the default server's, shared).
 */
export function pruneSlots<T extends PathSlot>(slots: T[], others: ReadonlyMap<string, PathSlot> = new Map()): T[] {
  const prefixes = new Map<string, PathSlot>();
  const exacts = new Set<string>();
  for (const s of slots) if (s.kind === 'prefix') prefixes.set(s.path, s); else exacts.add(s.path);
  for (const s of others.values()) if (s.kind === 'exact') exacts.add(s.path);
  const prefixAt = (path: string) => prefixes.get(path) ?? others.get(slotKey('prefix', path));
  const parentOf = (path: string, strict: boolean) => {
    for (let n = strict ? path.length - 1 : path.length; n >= 1; n--) {
      const p = prefixAt(path.slice(0, n));
      if (p) return p;
    }
    return undefined;
  };
  const dropped = new Set<PathSlot>();
  for (const s of slots) {
    if (s.kind !== 'prefix' || s.path === '/') continue;
    const parent = parentOf(s.path, true);
    if (parent && sameDecision(s, parent)) dropped.add(s);
  }
  for (const s of slots) {
    if (s.kind !== 'exact') continue;
    const slashed = prefixAt(`${s.path}/`);
    if ((slashed && !dropped.has(slashed)) || exacts.has(`${s.path}/`)) continue;
    const parent = parentOf(s.path, false);
    if (parent && sameDecision(s, parent)) dropped.add(s);
  }
  return dropped.size ? slots.filter((s) => !dropped.has(s)) : slots;
}

/**
 * One nginx server: its host (undefined: the default server), the slots where it differs from the default server
 * (`own`, after pruning), and the keys of every slot it overrides (`ownKeys`, pruned ones included: the default
 * server's slot of that key must not be written in this server).
 */
export interface ServerPlan { host?: string; own: PathSlot[]; ownKeys: Set<string> }

/**
 * The servers of an nginx layer. Host-specific routes come before host-less ones in the model's order, so a host
 * server's slot is its host routes' candidates followed by the default server's; a slot no host route reaches is
 * the default server's own. Only the default slots a host route can reach are looked at per host.
 */
export function serverPlans(routes: readonly Route[]): { byDefault: PathSlot[]; servers: ServerPlan[] } {
  const base = new SlotIndex(routes.filter((r) => r.hosts.length === 0));
  const byDefault = pruneSlots(base.keys().sort().map((k) => {
    const [kind, path] = parseKey(k);
    return slotOf(kind, path, base.candidates(kind, path));
  }));
  const byKey = new Map(byDefault.map((s) => [slotKey(s.kind, s.path), s]));
  const exactPaths = [...base.exactPaths].sort();
  const prefixPaths = [...base.prefixPaths].sort();
  const starting = (sorted: string[], head: string, kind: PathSlot['kind'], into: Set<string>) => {
    for (let i = lowerBound(sorted, head); i < sorted.length && sorted[i].startsWith(head); i++) into.add(slotKey(kind, sorted[i]));
  };
  const servers: ServerPlan[] = hostScopes(routes).map((scope) => {
    const own = new SlotIndex(scope.routes);
    const keys = new Set(own.keys());
    for (const r of scope.routes) {
      if (r.pathType === 'exact') { if (base.exactPaths.has(r.path)) keys.add(slotKey('exact', r.path)); continue; }
      const head = r.pathType === 'prefix' ? r.path : regexHead(r.path);
      starting(exactPaths, head, 'exact', keys);
      starting(prefixPaths, head, 'prefix', keys);
      if (r.pathType === 'regex') for (let n = 1; n < head.length; n++) if (base.prefixPaths.has(head.slice(0, n))) keys.add(slotKey('prefix', head.slice(0, n)));
    }
    const ownKeys = new Set<string>();
    const slots: PathSlot[] = [];
    for (const k of [...keys].sort()) {
      const [kind, path] = parseKey(k);
      const mine = own.candidates(kind, path);
      // A slot of the default server that no host route reaches stays the default server's.
      if (!mine.length && base.has(k)) continue;
      ownKeys.add(k);
      slots.push(slotOf(kind, path, [...mine, ...base.candidates(kind, path)]));
    }
    return { host: scope.host, own: pruneSlots(slots, byKey), ownKeys };
  });
  servers.push({ own: byDefault, ownKeys: new Set(byKey.keys()) });
  return { byDefault, servers };
}

/** Every slot of a server: its own, then the default server's it does not override, by key. */
export function serverSlots(server: ServerPlan, byDefault: readonly PathSlot[]): PathSlot[] {
  if (server.host === undefined) return server.own;
  const all = [...server.own, ...byDefault.filter((s) => !server.ownKeys.has(slotKey(s.kind, s.path)))];
  return all.sort((a, b) => { const x = slotKey(a.kind, a.path); const y = slotKey(b.kind, b.path); return x < y ? -1 : x > y ? 1 : 0; });
}

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

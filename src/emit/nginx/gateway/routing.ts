import type { Route } from '../../../model/types.js';
import { escapeRegex, quote, regex, type NgxArg } from '../quote.js';
import { headerVar } from './values.js';

/** The location argument of a route (the model's order maps onto nginx's own: exact, regex, longest prefix). */
export function matchFor(r: Route): NgxArg {
  if (r.pathType === 'exact') return `= ${quote(r.path, 'route path')}` as NgxArg;
  if (r.pathType === 'regex') return `~ ${regex(r.path, 'route regex')}` as NgxArg;
  return quote(r.path, 'route path');
}

/** Method and header matches of a route as nginx `if` tests (header values match case-insensitively, as in Kong). */
export function conditions(r: Route): NgxArg[] {
  const tests: NgxArg[] = [];
  if (r.methods.length) tests.push(`$request_method ~ ${regex(`^(${r.methods.join('|')})$`)}` as NgxArg);
  for (const [name, values] of Object.entries(r.headers))
    tests.push(`$http_${headerVar(name)} ~* ${regex(`^(${values.map(escapeRegex).join('|')})$`, 'header match')}` as NgxArg);
  return tests;
}

export function negate(test: NgxArg): NgxArg {
  return test.replace(' ~ ', ' !~ ').replace(' ~* ', ' !~* ') as NgxArg;
}

/** One server per set of route hosts (host-less routes join every server), plus the default server. */
export function serverGroups(routes: Route[]): { names: string[]; routes: Route[] }[] {
  const key = (r: Route) => [...r.hosts].sort().join(' ');
  const sets = new Map<string, string[]>();
  for (const r of routes) if (r.hosts.length) sets.set(key(r), [...r.hosts].sort());
  return [
    ...[...sets.entries()].map(([k, names]) => ({ names, routes: routes.filter((r) => r.hosts.length === 0 || key(r) === k) })),
    { names: [], routes: routes.filter((r) => r.hosts.length === 0) },
  ];
}

/**
 * Routes that share a location (same path and type) are told apart by their method/header tests, most specific first:
 * each earlier route jumps to its named location (error_page with a private status code) when all of its tests hold,
 * and the last route is served in place.
 */
export function locationGroups(routes: Route[]): { primary: Route; others: Route[] }[] {
  const byPath = new Map<string, Route[]>();
  for (const r of routes) byPath.set(`${r.pathType}:${r.path}`, [...(byPath.get(`${r.pathType}:${r.path}`) ?? []), r]);
  return [...byPath.values()].map((rs) => ({ primary: rs[rs.length - 1], others: rs.slice(0, -1) }));
}

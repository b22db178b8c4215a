// Route entity: kong/db/schema/entities/routes.lua + routes_subschemas.lua (Kong 3.9.3), per
// kong.conf `router_flavor` (default `traditional_compatible`). `expression` and `priority`
// exist only under `expressions`, where HTTP routes may also set sources/destinations and an
// expression counts as a matching field. Under both ATC flavors Kong validates each route's
// router expression (given, or generated from its fields) with the ATC router: see atc.ts.
import { atcFields, parseAtc } from './atc.js';
import { conditional, conditionalAtLeastOneOf, defineCheck } from './checks.js';
import type { EntityDef } from './entities.js';
import {
  arr,
  bool,
  common,
  endpoints,
  headers,
  httpMethod,
  int,
  protocol,
  routeHosts,
  routerPath,
  set,
  str,
  utf8Name,
  sni,
  wildcardHost,
} from './fields.js';
import { isPlainRegexPath, rustRegexUnsupported } from './regex.js';
import { rustRegex } from './rust-regex.js';
import type { CheckIssue, EntityCheck, Field, SubSchema } from './types.js';

const NONE: CheckIssue[] = [];

function isProtocolList(v: unknown): v is string[] {
  if (!Array.isArray(v)) return false;
  for (let i = 0; i < v.length; i++) if (typeof v[i] !== 'string' && i in v) return false; // every() skips holes
  return true;
}
const contains = (p: string) => (v: unknown) => isProtocolList(v) && v.includes(p);
const allIn = (ps: readonly string[]) => (v: unknown) => isProtocolList(v) && v.every((p) => ps.includes(p));
const forbidden = (err: string, base: Field): Field => ({ ...base, eqNull: true, err });

const STREAM_ERR = "'protocols' is 'tcp', 'tls', 'tls_passthrough' or 'udp'";

export type RouterFlavor = 'traditional' | 'traditional_compatible' | 'expressions';

/** routes_subschemas.lua: under `expressions`, `expression` joins every at-least-one list. */
const withExpression = (fields: string[], flavor: RouterFlavor) => (flavor === 'expressions' ? [...fields, 'expression'] : fields);

const httpSub = (flavor: RouterFlavor): SubSchema => ({
  fields: flavor === 'expressions' ? {} : {
    sources: forbidden("cannot set 'sources' when 'protocols' is 'http' or 'https'", endpoints()),
    destinations: forbidden("cannot set 'destinations' when 'protocols' is 'http' or 'https'", endpoints()),
  },
  checks: [
    conditionalAtLeastOneOf({
      ifField: 'protocols',
      ifMatch: contains('https'),
      then: withExpression(['methods', 'hosts', 'headers', 'paths', 'snis'], flavor),
      thenErr: "must set one of %s when 'protocols' is 'https'",
      elseMatch: contains('http'),
      elseThen: withExpression(['methods', 'hosts', 'headers', 'paths'], flavor),
      elseThenErr: "must set one of %s when 'protocols' is 'http'",
    }),
  ],
});

const streamSub = (flavor: RouterFlavor): SubSchema => ({
  fields: {
    methods: forbidden(`cannot set 'methods' when ${STREAM_ERR}`, set(httpMethod())),
    hosts: forbidden(`cannot set 'hosts' when ${STREAM_ERR}`, routeHosts()),
    paths: forbidden(`cannot set 'paths' when ${STREAM_ERR}`, arr(routerPath())),
    headers: forbidden(`cannot set 'headers' when ${STREAM_ERR}`, headers()),
  },
  checks: [
    conditionalAtLeastOneOf({
      ifField: 'protocols',
      ifMatch: allIn(['tcp', 'tls', 'udp']),
      then: withExpression(['sources', 'destinations', 'snis'], flavor),
      thenErr: "must set one of %s when 'protocols' is 'tcp', 'tls' or 'udp'",
    }),
    conditionalAtLeastOneOf({
      ifField: 'protocols',
      ifMatch: allIn(['tls_passthrough']),
      then: withExpression(['snis'], flavor),
      thenErr: "must set snis when 'protocols' is 'tls_passthrough'",
    }),
  ],
});

const grpcSub = (flavor: RouterFlavor): SubSchema => ({
  fields: {
    strip_path: bool({
      required: true,
      default: false,
      ne: true,
      err: "cannot set 'strip_path' when 'protocols' is 'grpc' or 'grpcs'",
    }),
    methods: forbidden("cannot set 'methods' when 'protocols' is 'grpc' or 'grpcs'", set(httpMethod())),
    ...(flavor === 'expressions' ? {} : {
      sources: forbidden("cannot set 'sources' when 'protocols' is 'grpc' or 'grpcs'", endpoints()),
      destinations: forbidden("cannot set 'destinations' when 'protocols' is 'grpc' or 'grpcs'", endpoints()),
    }),
  },
  checks: [
    conditionalAtLeastOneOf({
      ifField: 'protocols',
      ifMatch: contains('grpcs'),
      then: withExpression(['hosts', 'headers', 'paths', 'snis'], flavor),
      thenErr: "must set one of %s when 'protocols' is 'grpcs'",
      elseMatch: contains('grpc'),
      elseThen: withExpression(['hosts', 'headers', 'paths'], flavor),
      elseThenErr: "must set one of %s when 'protocols' is 'grpc'",
    }),
  ],
});

function subschemas(flavor: RouterFlavor): Record<string, SubSchema> {
  const http = httpSub(flavor);
  const stream = streamSub(flavor);
  const grpc = grpcSub(flavor);
  return { http, https: http, tcp: stream, tls: stream, udp: stream, tls_passthrough: stream, grpc, grpcs: grpc };
}

const SNI_PROTOCOLS = ['grpcs', 'https', 'tls', 'tls_passthrough'];

/** traditional_compatible compiles regex paths with the Rust regex crate (ATC router). */
const atcRegexCheck: EntityCheck = defineCheck(['paths'], (rec, ctx) => {
  if (ctx.hasError('paths') || !Array.isArray(rec.paths)) return NONE;
  let out: CheckIssue[] | undefined;
  const paths: unknown[] = rec.paths;
  for (let i = 0; i < paths.length; i++) {
    const p = paths[i];
    if (typeof p !== 'string' || !p.startsWith('~') || isPlainRegexPath(p)) continue;
    const bad = rustRegexUnsupported(p.slice(1));
    if (bad.length > 0) {
      (out ??= []).push({
        message: `Router Expression failed validation: regex parse error in '${p.slice(1)}': ${bad.join(', ')} not supported (router_flavor 'traditional_compatible' uses the Rust regex engine)`,
      });
      continue;
    }
    // the expression Kong generates: "^" + the regex, named groups in the crate's (?P<...>) spelling (transform.lua)
    const rust = rustRegex(`^${p.slice(1).replace(/\?</g, '?P<')}`);
    if ('error' in rust) {
      (out ??= []).push({ message: `Router Expression failed validation: regex parse error in '${p.slice(1)}': ${rust.error} (the Rust regex engine of the ATC router)` });
    }
  }
  return out ?? NONE;
});

const MATCH_FIELDS = ['snis', 'sources', 'destinations', 'methods', 'hosts', 'paths', 'headers'];
const STREAM_PROTOCOLS = ['tcp', 'tls', 'udp', 'tls_passthrough'];
const STREAM_FIELDS = ['net.protocol', 'tls.sni', 'net.src.port', 'net.dst.port', 'net.src.ip', 'net.dst.ip'];
const isEmptyField = (v: unknown) => v === undefined || v === null || (Array.isArray(v) ? v.length === 0 : typeof v === 'object' && Object.keys(v).length === 0);

/**
 * routes.lua `validate_route` (both ATC flavors): `expression` excludes the matching fields, `regex_priority` and
 * `priority` belong to one style each, and a given expression must parse and type-check against the router schema.
 */
const expressionCheck: EntityCheck = defineCheck(['protocols', 'expression', 'regex_priority', 'priority', ...MATCH_FIELDS], (rec, ctx) => {
  const expression = rec.expression;
  const hasExpression = expression !== undefined && expression !== null;
  const othersEmpty = MATCH_FIELDS.every((f) => isEmptyField(rec[f]));
  if (!hasExpression) {
    if (!othersEmpty && rec.priority !== undefined && rec.priority !== null && rec.priority !== 0)
      return [{ message: "Router Expression failed validation: cannot set 'priority' with 'methods', 'hosts', 'paths', 'headers', 'snis', 'sources' or 'destinations' simultaneously" }];
    return NONE;
  }
  if (!othersEmpty)
    return [{ message: "Router Expression failed validation: cannot set 'expression' with 'methods', 'hosts', 'paths', 'headers', 'snis', 'sources' or 'destinations' simultaneously" }];
  if (rec.regex_priority !== undefined && rec.regex_priority !== null && rec.regex_priority !== 0)
    return [{ message: "Router Expression failed validation: cannot set 'regex_priority' with 'expression' simultaneously" }];
  if (typeof expression !== 'string' || ctx.hasError('expression') || ctx.hasError('protocols')) return NONE;
  const parsed = parseAtc(expression);
  if ('error' in parsed) return [{ message: `Router Expression failed validation: ${parsed.error}` }];
  const stream = isProtocolList(rec.protocols) && STREAM_PROTOCOLS.includes(rec.protocols[0]!);
  for (const f of atcFields(parsed.expr)) {
    if (stream && !STREAM_FIELDS.includes(f)) return [{ message: 'Router Expression failed validation: Unknown LHS field' }];
    if (f.startsWith('http.path.segments.')) {
      const m = /^(0|[1-9]\d*)(_([1-9]\d*))?$/.exec(f.slice('http.path.segments.'.length));
      if (f !== 'http.path.segments.len' && (!m || (m[2] && Number(m[1]) >= Number(m[3]))))
        return [{ message: 'Router Expression failed validation: illformed http.path.segments.* field' }];
    }
  }
  return NONE;
});

const built = new Map<RouterFlavor, EntityDef>();

/** The routes entity as Kong 3.9 defines it under `flavor`. */
export function routesEntity(flavor: RouterFlavor): EntityDef {
  let e = built.get(flavor);
  if (!e) built.set(flavor, (e = routesFor(flavor)));
  return e;
}

function routesFor(flavor: RouterFlavor): EntityDef {
  const subs = subschemas(flavor);
  const atc = flavor !== 'traditional';
  return {
    name: 'routes',
    endpointKey: 'name',
    uniqueKey: true,
    fields: {
      ...common(),
      name: utf8Name(),
      protocols: set(protocol(), {
        lenMin: 1,
        required: true,
        default: ['http', 'https'],
        exclusiveSubsets: [['http', 'https'], ['tcp', 'tls', 'udp'], ['tls_passthrough'], ['grpc', 'grpcs']],
      }),
      https_redirect_status_code: int({ oneOf: [426, 301, 302, 307, 308], default: 426, required: true }),
      strip_path: bool({ required: true, default: true }),
      preserve_host: bool({ required: true, default: false }),
      request_buffering: bool({ required: true, default: true }),
      response_buffering: bool({ required: true, default: true }),
      snis: set(flavor === 'traditional' ? sni() : wildcardHost()), // routes.lua: typedefs.sni under traditional
      sources: endpoints(),
      destinations: endpoints(),
      methods: set(httpMethod()),
      hosts: routeHosts(),
      paths: arr(routerPath()),
      headers: headers({
        matchNone: [
          { re: /^host$/i, err: "cannot contain 'host' header, which must be specified in the 'hosts' attribute" },
        ],
      }),
      regex_priority: int({ default: 0 }),
      path_handling: str({ default: 'v0', oneOf: ['v0', 'v1'] }),
      ...(flavor === 'expressions' ? {
        expression: str(),
        priority: int({ between: [0, 2 ** 46 - 1], required: true, default: 0 }),
      } : {}),
    },
    foreign: { service: { reference: 'services' } },
    checks: [
      conditional({
        ifField: 'protocols',
        ifMatch: (v) => {
          if (!isProtocolList(v)) return false;
          for (let i = 0; i < v.length; i++) if (i in v && SNI_PROTOCOLS.includes(v[i]!)) return false; // every() skips holes
          return true;
        },
        thenField: 'snis',
        thenMatch: (v) => (Array.isArray(v) && v.length > 0 ? 'length must be 0' : undefined),
        thenErr: "'snis' can only be set when 'protocols' is 'grpcs', 'https', 'tls' or 'tls_passthrough'",
      }),
      ...(atc ? [atcRegexCheck, expressionCheck] : []),
    ],
    subschema: {
      key: 'protocols',
      select: (protocols) => {
        if (!isProtocolList(protocols)) return undefined;
        // the first protocol with a subschema (find() visits holes as undefined)
        for (let i = 0; i < protocols.length; i++) {
          const p = protocols[i]!;
          if (subs[p]) return subs[p];
        }
        return undefined;
      },
    },
  };
}

// Route entity: kong/db/schema/entities/routes.lua + routes_subschemas.lua (Kong 3.9.3,
// default router_flavor `traditional_compatible`; `expression`/`priority` only exist
// under the `expressions` flavor, so they are unknown fields here).
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
  wildcardHost,
} from './fields.js';
import { isPlainRegexPath, rustRegexUnsupported } from './regex.js';
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

const http: SubSchema = {
  fields: {
    sources: forbidden("cannot set 'sources' when 'protocols' is 'http' or 'https'", endpoints()),
    destinations: forbidden("cannot set 'destinations' when 'protocols' is 'http' or 'https'", endpoints()),
  },
  checks: [
    conditionalAtLeastOneOf({
      ifField: 'protocols',
      ifMatch: contains('https'),
      then: ['methods', 'hosts', 'headers', 'paths', 'snis'],
      thenErr: "must set one of %s when 'protocols' is 'https'",
      elseMatch: contains('http'),
      elseThen: ['methods', 'hosts', 'headers', 'paths'],
      elseThenErr: "must set one of %s when 'protocols' is 'http'",
    }),
  ],
};

const stream: SubSchema = {
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
      then: ['sources', 'destinations', 'snis'],
      thenErr: "must set one of %s when 'protocols' is 'tcp', 'tls' or 'udp'",
    }),
    conditionalAtLeastOneOf({
      ifField: 'protocols',
      ifMatch: allIn(['tls_passthrough']),
      then: ['snis'],
      thenErr: "must set snis when 'protocols' is 'tls_passthrough'",
    }),
  ],
};

const grpc: SubSchema = {
  fields: {
    strip_path: bool({
      required: true,
      default: false,
      ne: true,
      err: "cannot set 'strip_path' when 'protocols' is 'grpc' or 'grpcs'",
    }),
    methods: forbidden("cannot set 'methods' when 'protocols' is 'grpc' or 'grpcs'", set(httpMethod())),
    sources: forbidden("cannot set 'sources' when 'protocols' is 'grpc' or 'grpcs'", endpoints()),
    destinations: forbidden("cannot set 'destinations' when 'protocols' is 'grpc' or 'grpcs'", endpoints()),
  },
  checks: [
    conditionalAtLeastOneOf({
      ifField: 'protocols',
      ifMatch: contains('grpcs'),
      then: ['hosts', 'headers', 'paths', 'snis'],
      thenErr: "must set one of %s when 'protocols' is 'grpcs'",
      elseMatch: contains('grpc'),
      elseThen: ['hosts', 'headers', 'paths'],
      elseThenErr: "must set one of %s when 'protocols' is 'grpc'",
    }),
  ],
};

const SUBSCHEMAS: Record<string, SubSchema> = {
  http,
  https: http,
  tcp: stream,
  tls: stream,
  udp: stream,
  tls_passthrough: stream,
  grpc,
  grpcs: grpc,
};

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
    }
  }
  return out ?? NONE;
});

export const routes: EntityDef = {
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
    snis: set(wildcardHost()),
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
    atcRegexCheck,
  ],
  subschema: {
    key: 'protocols',
    select: (protocols) => {
      if (!isProtocolList(protocols)) return undefined;
      // the first protocol with a subschema (find() visits holes as undefined)
      for (let i = 0; i < protocols.length; i++) {
        const p = protocols[i]!;
        if (SUBSCHEMAS[p]) return SUBSCHEMAS[p];
      }
      return undefined;
    },
  },
};

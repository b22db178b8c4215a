import Ajv from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { Command, CommanderError } from 'commander';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { registerLint } from '../src/cli/lint.js';
import { readSpec } from '../src/cli/main.js';
import { loadSpec } from '../src/compile.js';
import type { Diagnostic } from '../src/diagnostics.js';
import { rulesTable } from '../src/lint/docs.js';
import { formatJson, formatSarif, formatText } from '../src/lint/format.js';
import { lintErrors, lintModel, RULES, type LintOptions } from '../src/lint/index.js';
import { readDirectives } from '../src/lint/suppress.js';
import { fixtureNames, fixtureText, ROOT } from './helpers/fixtures.js';

const DIR = join(import.meta.dirname, 'lint');

function lint(text: string, file = 'spec.yaml', options?: LintOptions): Diagnostic[] {
  const r = loadSpec(text, file);
  if (!r.model) throw new Error(`invalid spec ${file}: ${r.diagnostics.map((d) => `${d.line}:${d.col} ${d.message}`).join('; ')}`);
  return lintModel(r.model, r.parsed!, options);
}

const specFile = (name: string) => readFileSync(join(DIR, `${name}.yaml`), 'utf8');
const show = (d: Diagnostic) => `${d.line}:${d.col} ${d.message}`;
const of = (ds: Diagnostic[], rule: string) => ds.filter((d) => d.code === rule).map(show);

/** Each rule's trigger spec (test/lint/<id>.yaml): the exact findings, as line:col message. */
const EXPECTED: Record<string, string[]> = {
  'tls-terminated-twice': ['4:3 TLS is decrypted 2 times (loadBalancer, proxy) but the re-encrypted hops are not verified (no tls.ca): each layer holds the edge key and none can tell the next layer from an impostor'],
  'tls-plaintext-before-tls': ['15:5 service "payments" is reached over TLS (protocol: https), but its requests already crossed plain HTTP on loadBalancer -> proxy'],
  'tls-plaintext-untrusted-hop': [
    '8:21 loadBalancer reaches proxy instance 198.51.100.8 (a public address) over plain HTTP',
    '13:9 proxy reaches service "app" at 203.0.113.10:8080 (a public address) over plain HTTP',
  ],
  'passthrough-l7-feature': ['10:3 algorithm "uri" hashes on the request URI, but with tls.strategy passthrough the load balancer only sees encrypted TCP'],
  'rate-limit-local-multi-instance': ['10:3 rate limit 100/minute and 1000/hour by consumer is counted separately on each of 3 gateway instances behind a roundrobin load balancer: the effective limit is about 300/minute and 3000/hour'],
  'cache-shared-across-consumers': ['14:3 routes "balance", "me" require auth but the proxy cache key does not identify the consumer: one consumer\'s cached response is served to the others'],
  'cache-unsafe-method': ['8:5 the proxy cache stores responses to POST: a repeated request to the same URL is answered from the cache and never reaches the service'],
  'timeout-order': ['7:5 loadBalancer gives up after 30s (loadBalancer.timeouts.server) but proxy waits up to 60s (service "reports" timeouts.read) on route "reports": the client gets a 504 while the backend is still working; a client that retries the 504 sends its POST or PATCH twice'],
  'xff-trusted-from-client': ['6:40 the entry proxy trusts X-Forwarded-For from 0.0.0.0/0 (4,294,967,296 addresses): any client there can claim any IP'],
  'health-check-missing': ['3:1 the load balancer spreads requests over 2 proxy instances without a health check (HAProxy only sees whether they accept connections)'],
  'single-instance': ['6:1 proxy runs a single instance: when it stops, every request through the chain fails'],
  'sticky-sessions': ['6:3 cookie SRV pins each client to one proxy instance'],
  'ip-hash-affinity': ['8:5 service "app" is balanced by client IP: every client behind one NAT lands on the same instance'],
  'auth-without-rate-limit': ['6:3 route "app" requires auth but has no rate limit: credentials can be guessed, and one consumer can take the whole backend'],
  'admin-endpoint-public': ['6:24 HAProxy stats (/stats) and Prometheus /metrics listen on 0.0.0.0:8404 of the entry layer, reachable from the internet'],
  'route-shadowed': ['16:5 route "users" can never match: route "legacy-api" (regex ^/api) comes first in precedence and matches every request it would (prefix /api/users)'],
  'route-overlap': ['16:5 routes "orders" and "orders-write" both match POST prefix /orders on any host; "orders" comes first, so those requests never reach "orders-write"'],
  'gateway-business-logic': ['6:3 the gateway adds or removes 5 headers on every route (request: 5, response: 0); more than 4 is service logic living in the gateway'],
};

describe('every rule: a spec that triggers it and a near miss that does not', () => {
  it('has a trigger and a near-miss spec and an expectation for each rule, and nothing else', () => {
    const ids = RULES.map((r) => r.id).sort();
    expect(Object.keys(EXPECTED).sort()).toEqual(ids);
    const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort();
    expect(files).toEqual(ids.flatMap((id) => [`${id}.ok.yaml`, `${id}.yaml`]).sort());
  });

  for (const rule of RULES) {
    it(`${rule.id} fires at the spec line it is about`, () => {
      const ds = lint(specFile(rule.id), `${rule.id}.yaml`);
      expect(of(ds, rule.id)).toEqual(EXPECTED[rule.id]);
      for (const d of ds.filter((x) => x.code === rule.id)) {
        expect(d.severity).toBe(rule.defaultSeverity);
        expect(d.hint).toBe(rule.fix);
      }
    });
    it(`${rule.id} stays quiet on the near miss`, () => {
      expect(of(lint(specFile(`${rule.id}.ok`)), rule.id)).toEqual([]);
    });
  }
});

/** Adds `lines` after the line that starts with `anchor` in a test spec. */
function edit(name: string, anchor: string, lines: string): string {
  const text = specFile(name);
  const at = text.indexOf(anchor);
  if (at < 0) throw new Error(`no "${anchor}" in ${name}`);
  const eol = text.indexOf('\n', at);
  return `${text.slice(0, eol + 1)}${lines}\n${text.slice(eol + 1)}`;
}

describe('rule details', () => {
  it('rate limit: weighted round robin multiplies by the sum of the weights over the largest', () => {
    const ds = lint(edit('rate-limit-local-multi-instance', '  healthCheck: {}', '  weights: [2, 1, 1]'));
    expect(of(ds, 'rate-limit-local-multi-instance')[0]).toContain('the effective limit is about 200/minute and 2000/hour');
  });

  it('rate limit: source hashing keeps a consumer on one gateway, but not a per-route counter', () => {
    const source = edit('rate-limit-local-multi-instance', '  healthCheck: {}', '  algorithm: source');
    expect(of(lint(source), 'rate-limit-local-multi-instance')).toEqual([]);
    expect(of(lint(source.replace('by: consumer', 'by: route')), 'rate-limit-local-multi-instance')).toHaveLength(1);
  });

  it('timeouts: a route read timeout longer than the one Kong uses for its service', () => {
    const text = `version: 1
name: t
gateway:
  instances: 2
  ports: { http: 8000 }
proxy:
  instances: 2
  ports: { http: 8080 }
services:
  - name: export
    instances: [{ address: export-1:3000 }, { address: export-2:3000 }]
routes:
  - name: export
    match: { path: /export, methods: [GET] }
    service: export
    timeouts: { read: 5m }
`;
    expect(of(lint(text), 'timeout-order')).toEqual([
      '16:17 gateway gives up after 60s (service "export" timeouts.read) but proxy waits up to 5m (route "export" timeouts.read) on route "export": the client gets a 504 while the backend is still working',
    ]);
  });

  it('xff: a tcp-mode load balancer that terminates TLS passes the client header to a layer that trusts it', () => {
    const text = specFile('tls-plaintext-before-tls').replace('  healthCheck: {}', '  mode: tcp\n  healthCheck: {}');
    expect(of(lint(text), 'xff-trusted-from-client')).toEqual([
      "9:3 the load balancer runs in mode tcp and cannot drop the client's X-Forwarded-For, which proxy trusts because it comes from the load balancer: clients choose their own IP",
    ]);
  });

  it('auth without rate limit: points at "rateLimit: false" when a route turns the gateway limit off', () => {
    const text = edit('auth-without-rate-limit.ok', '    service: app', '    rateLimit: false');
    expect(of(lint(text), 'auth-without-rate-limit')).toEqual([
      '19:5 route "app" requires auth but has no rate limit: credentials can be guessed, and one consumer can take the whole backend',
    ]);
  });

  it('health check: services behind Kong are flagged, services behind NGINX (passive checks only) are not', () => {
    const kong = specFile('auth-without-rate-limit.ok').replace('    healthCheck: {}\n', '');
    expect(of(lint(kong), 'health-check-missing')).toEqual(['12:5 service "app" has 2 instances but no healthCheck: Kong (gateway) never probes them']);
    expect(of(lint(specFile('ip-hash-affinity.ok')), 'health-check-missing')).toEqual([]);
  });

  it('shadowing: a host list that covers a later route with the same path and methods', () => {
    const text = specFile('route-overlap')
      .replace('match: { path: /orders, methods: [GET, POST] }', 'match: { path: /orders, hosts: [a.example.com, "*.example.com"] }')
      .replace('match: { path: /orders, methods: [POST, PUT] }', 'match: { path: /orders, hosts: [b.example.com, "*.example.com"] }');
    expect(of(lint(text), 'route-shadowed')).toEqual([
      '16:5 route "orders-write" can never match: route "orders" (prefix /orders) comes first in precedence and matches every request it would (prefix /orders)',
    ]);
  });

  it('shadowing: an exact regex path is compared by matching it', () => {
    const text = specFile('route-shadowed').replace('"^/api"', '"^/api/[a-z]+$"').replace('match: { path: /api/users }', 'match: { path: /api/users, pathType: exact }');
    expect(lint(text).map((d) => d.code)).toEqual([]);
    const later = text.replace('"^/api/[a-z]+$"', '"^/api/[a-z]+/x$"');
    expect(of(lint(later), 'route-shadowed')).toEqual([]);
  });
});

describe('configuration: lint.rules and inline suppression comments', () => {
  const sticky = specFile('sticky-sessions');

  it('re-levels a rule and turns one off', () => {
    const text = `${sticky}lint:\n  rules: { sticky-sessions: error }\n`;
    expect(lint(text).map((d) => `${d.severity} ${d.code}`)).toEqual(['error sticky-sessions']);
    expect(lint(`${sticky}lint:\n  rules: { sticky-sessions: off }\n`)).toEqual([]);
    expect(lint(sticky, 'spec.yaml', { rules: { 'sticky-sessions': 'warn' } })[0].severity).toBe('warning');
  });

  it('reports an unknown rule id in lint.rules with a suggestion', () => {
    const ds = lint(`${sticky}lint:\n  rules:\n    sticky-session: off\n`);
    expect(ds.map((d) => `${d.line}:${d.col} ${d.severity} ${d.code} ${d.message}`)).toEqual([
      '6:3 info sticky-sessions cookie SRV pins each client to one proxy instance',
      '19:5 warning lint-config unknown lint rule "sticky-session"; did you mean "sticky-sessions"?',
    ]);
  });

  it('disable-line on the reported line and disable-next-line above it suppress only the named rule', () => {
    const sameLine = sticky.replace('sticky: { cookie: SRV }', 'sticky: { cookie: SRV } # edgegen-lint-disable-line sticky-sessions -- legacy sessions');
    expect(lint(sameLine)).toEqual([]);
    const above = sticky.replace('  sticky: { cookie: SRV }', '  # edgegen-lint-disable-next-line ip-hash-affinity, sticky-sessions\n  sticky: { cookie: SRV }');
    expect(lint(above).map((d) => `${d.line}:${d.col} ${d.code} ${d.message}`)).toEqual([
      '6:3 lint-directive edgegen-lint-disable-next-line ip-hash-affinity: no ip-hash-affinity finding on line 7 to suppress',
    ]);
  });

  it('reports directives that name no rule, an unknown rule, or sit on the wrong line', () => {
    const text = sticky
      .replace('version: 1', 'version: 1 # edgegen-lint-disable-line')
      .replace('name: sticky', 'name: sticky # edgegen-lint-disable-line no-such-rule')
      .replace('  healthCheck: {}', '  healthCheck: {} # edgegen-lint-disable-line sticky-sessions');
    expect(lint(text).map((d) => `${d.line}:${d.col} ${d.code} ${d.message}`)).toEqual([
      '1:12 lint-directive edgegen-lint-disable-line names no rule; list the rule ids it disables',
      '2:14 lint-directive edgegen-lint-disable-line names unknown rule "no-such-rule"',
      '5:19 lint-directive edgegen-lint-disable-line sticky-sessions: no sticky-sessions finding on line 5 to suppress',
      '6:3 sticky-sessions cookie SRV pins each client to one proxy instance',
    ]);
  });

  it('reads directives from comments only, never from quoted values', () => {
    const text = 'a: "# edgegen-lint-disable-line sticky-sessions"\n# edgegen-lint-disable-next-line x, y -- why -- really\n';
    expect(readDirectives(text)).toEqual([{ line: 2, col: 1, kind: 'disable-next-line', target: 3, rules: ['x', 'y'], reason: 'why -- really' }]);
  });
});

/** Fixture findings reported to the lead with a proposed spec change (see the lint report); remove an entry once applied. */
const PENDING_FIXTURE_FINDINGS: Record<string, string[]> = {};

describe('fixtures', () => {
  for (const name of fixtureNames()) {
    it(`${name} has no errors or warnings${PENDING_FIXTURE_FINDINGS[name] ? ' beyond the ones reported' : ''}`, () => {
      const ds = lint(fixtureText(name), `fixtures/${name}.yaml`).filter((d) => d.severity !== 'info');
      expect(ds.map((d) => `${d.line}:${d.col} ${d.code}`)).toEqual(PENDING_FIXTURE_FINDINGS[name] ?? []);
    });
  }
});

describe('output formats', () => {
  const findings = () => lint(specFile('tls-plaintext-untrusted-hop') + 'lint:\n  rules: { tls-plaintext-untrusted-hop: warn }\n', 'specs/hops.yaml')
    .concat(lint(specFile('sticky-sessions'), 'specs/sticky.yaml'));

  it('text: one eslint-style line per finding with its fix, then a summary', () => {
    const lines = formatText(findings()).split('\n');
    expect(lines[0]).toBe('specs/hops.yaml:8:21 warning tls-plaintext-untrusted-hop loadBalancer reaches proxy instance 198.51.100.8 (a public address) over plain HTTP');
    expect(lines[1]).toMatch(/^ {2}fix: Reach that instance over a private address/);
    expect(lines.at(-1)).toBe('3 problems (0 errors, 2 warnings, 1 info)');
    expect(formatText([])).toBe('no problems');
  });

  it('json: the documented shape', () => {
    const report = JSON.parse(formatJson(findings()));
    expect(report.version).toBe(1);
    expect(report.summary).toEqual({ errors: 0, warnings: 2, infos: 1 });
    expect(report.diagnostics[2]).toEqual({ file: 'specs/sticky.yaml', line: 6, col: 3, severity: 'info', rule: 'sticky-sessions',
      message: 'cookie SRV pins each client to one proxy instance', path: 'loadBalancer.sticky', hint: RULES.find((r) => r.id === 'sticky-sessions')!.fix });
  });

  it('sarif: validates against the official SARIF 2.1.0 schema (and the validator rejects a broken log)', () => {
    const schema = JSON.parse(readFileSync(join(DIR, 'sarif-schema-2.1.0.json'), 'utf8'));
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    const validate = ajv.compile(schema);
    const invalidSpec = loadSpec('version: 1\nname: Bad Name\nservices: []\n', '/abs/path/bad spec.yaml').diagnostics;
    const log = JSON.parse(formatSarif([...findings(), ...invalidSpec], '1.2.3'));
    expect(validate(log), JSON.stringify(validate.errors)).toBe(true);
    const run = log.runs[0];
    expect(run.tool.driver.rules.map((r: { id: string }) => r.id)).toEqual(expect.arrayContaining(RULES.map((r) => r.id)));
    expect(run.results[0]).toMatchObject({ ruleId: 'tls-plaintext-untrusted-hop', level: 'warning',
      locations: [{ physicalLocation: { artifactLocation: { uri: 'specs/hops.yaml' }, region: { startLine: 8, startColumn: 21 } } }] });
    expect(run.results[2].level).toBe('note');
    expect(run.results.at(-1).locations[0].physicalLocation.artifactLocation.uri).toBe('file:///abs/path/bad%20spec.yaml');
    run.results[0].level = 'fatal';
    expect(validate(log)).toBe(false);
  });
});

describe('lintErrors (what build refuses to write on)', () => {
  it('keeps only error-level findings', () => {
    const r = loadSpec(specFile('tls-plaintext-untrusted-hop').replace('  healthCheck: {}\n', ''), 'spec.yaml');
    expect(lintModel(r.model!, r.parsed!).map((d) => d.code)).toContain('health-check-missing');
    expect(lintErrors(r.model!, r.parsed!).map((d) => `${d.severity} ${d.code}`)).toEqual(['error tls-plaintext-untrusted-hop', 'error tls-plaintext-untrusted-hop']);
  });
});

async function cli(args: string[]) {
  const out: string[] = [], err: string[] = [];
  let code = 0;
  const program = new Command().name('edgegen').version('9.9.9').exitOverride().configureOutput({ writeOut: (s) => out.push(s), writeErr: (s) => err.push(s) });
  registerLint(program, { out: (s) => out.push(s), err: (s) => err.push(s) }, (n) => { code = n; }, readSpec);
  try {
    await program.parseAsync(['node', 'edgegen', 'lint', ...args]);
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    code = 2;
  }
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('edgegen lint', () => {
  const spec = (name: string) => join(DIR, `${name}.yaml`);

  it('exits 1 on error-level findings', async () => {
    const r = await cli([spec('route-shadowed')]);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`${spec('route-shadowed')}:16:5 error route-shadowed route "users" can never match`);
    expect(r.out.split('\n').at(-1)).toBe('1 problem (1 error, 0 warnings, 0 infos)');
  });

  it('exits 0 on warnings, and 1 when they exceed --max-warnings', async () => {
    expect((await cli([spec('timeout-order')])).code).toBe(0);
    expect((await cli([spec('timeout-order'), '--max-warnings', '1'])).code).toBe(0);
    const over = await cli([spec('timeout-order'), '--max-warnings', '0']);
    expect(over.code).toBe(1);
    expect(over.err).toBe('1 warning: more than --max-warnings 0');
  });

  it('exits 0 on a clean spec and prints sarif and json on request', async () => {
    const sarif = await cli([spec('timeout-order.ok'), '--format', 'sarif']);
    expect(sarif.code).toBe(0);
    expect(JSON.parse(sarif.out).runs[0].tool.driver.version).toBe('9.9.9');
    expect(JSON.parse((await cli([spec('sticky-sessions'), '--format', 'json'])).out).summary).toEqual({ errors: 0, warnings: 0, infos: 1 });
  });

  it('reports an invalid spec in the chosen format and exits 1', async () => {
    const r = await cli([join(ROOT, 'test', 'invalid', '04-dangling-service.yaml'), '--format', 'json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).diagnostics[0].rule).toBe('reference');
  });

  it('rejects an unknown format and a bad --max-warnings as usage errors', async () => {
    expect((await cli([spec('sticky-sessions'), '--format', 'xml'])).code).toBe(2);
    expect((await cli([spec('sticky-sessions'), '--max-warnings', '-1'])).code).toBe(2);
  });
});

describe('docs/lint-rules.md', () => {
  it('holds the current rules table (UPDATE_LINT_DOCS=1 rewrites it)', () => {
    const file = join(ROOT, 'docs', 'lint-rules.md');
    const doc = readFileSync(file, 'utf8');
    const table = /<!-- rules:start -->\n([\s\S]*?)\n<!-- rules:end -->/;
    if (process.env.UPDATE_LINT_DOCS === '1') writeFileSync(file, doc.replace(table, `<!-- rules:start -->\n${rulesTable()}\n<!-- rules:end -->`));
    expect(readFileSync(file, 'utf8').match(table)?.[1]).toBe(rulesTable());
  });

  it('the README lists every rule with its rationale in the same table', () => {
    const readme = join(ROOT, 'README.md');
    const table = /<!-- rules:start -->\n([\s\S]*?)\n<!-- rules:end -->/;
    if (process.env.UPDATE_LINT_DOCS === '1') writeFileSync(readme, readFileSync(readme, 'utf8').replace(table, `<!-- rules:start -->\n${rulesTable()}\n<!-- rules:end -->`));
    expect(readFileSync(readme, 'utf8').match(table)?.[1]).toBe(rulesTable());
  });
});

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileSpec, type CompileResult } from '../../src/compile.js';
import { formatDiagnostic } from '../../src/diagnostics.js';
import { emitHaproxy } from '../../src/emit/haproxy/emit.js';
import { engineCheck } from '../../src/engines/check.js';
import { specPlan } from '../../src/model/plan.js';
import { parseHaproxyCfg } from '../../src/security/haproxy-cfg.js';
import { checkModels } from './engine-batch.js';

/**
 * Regressions: holes this suite found in the emitters, the schema and the engine check. Each test states the
 * behaviour edgegen must have; each was an `it.fails` until its fix landed (commit bde93b6), and SECURITY.md lists
 * them under "Findings". A new hole starts here as `it.fails` with a comment naming the file and the proposed fix.
 */

const build = (text: string): CompileResult => compileSpec(text, 'hole.yaml', { env: {}, lint: false });
const spec = (layers: string, routes = '  - { name: web, match: { path: /web }, service: svc }', services = '  - { name: svc, instances: [{ address: "svc-1:3000" }] }') =>
  `version: 1\nname: hole\n${layers}\nservices:\n${services}\nroutes:\n${routes}\n`;

/** The spec is refused with an error on one of the given lines (where the fix may put it), or it builds and the real engines accept it. */
async function refusedAtOrEnginesAccept(text: string, lines: number[]): Promise<void> {
  let r: CompileResult;
  try {
    r = build(text);
  } catch (e) {
    throw new Error(`the build crashed: ${(e as Error).message}`);
  }
  if (!r.ok) {
    const at = r.diagnostics.filter((d) => d.severity === 'error' && lines.includes(d.line));
    expect(at.length, r.diagnostics.map(formatDiagnostic).join('\n')).toBeGreaterThan(0);
    return;
  }
  const report = await checkModels([{ name: 'hole', model: r.model! }]);
  expect(report.failures.map((f) => `${f.engine}: ${f.detail}`)).toEqual([]);
}

describe('regressions found by the hardening suite', () => {
  // schema.ts: trustForwardedFrom is /^[0-9.]{7,15}(\/\d{1,2})?$/, so "999.999.999.9" passes and nginx -t fails
  // ("host not found in set_real_ip_from"); the message for a bad value is a raw regex. Fixed by: an IPv4/CIDR primitive.
  it('trustForwardedFrom holds only IPv4 addresses and CIDRs', async () => {
    await refusedAtOrEnginesAccept(spec('proxy: { ports: { http: 8080 }, trustForwardedFrom: ["999.999.999.9"] }'), [3]);
  });

  // haproxy/routing.ts writes every host of a route on one line; HAProxy stops at 64 words ("too many words").
  // Fixed by: cap match.hosts / header values in schema.ts, or split the ACL over several "acl" lines.
  it('a route with 60 hosts builds a config HAProxy accepts', async () => {
    const hosts = Array.from({ length: 60 }, (_, i) => `h${i}.example.com`).join(', ');
    await refusedAtOrEnginesAccept(spec('loadBalancer: { ports: { http: 80 } }', `  - { name: web, match: { path: /web, hosts: [${hosts}] }, service: svc }`), [7]);
  });

  // HAProxy times are 32-bit milliseconds; quote.ts now refuses longer ones at emit time (1:1). Fixed by: a `timeout`
  // primitive (at most 24 days) for every duration that reaches HAProxy or Kong timeouts, so the error has a place.
  it('a load-balancer timeout of 30 days is refused at the field', () => {
    const r = build(spec('loadBalancer: { ports: { http: 80 }, timeouts: { client: 30d } }'));
    expect(r.ok).toBe(false);
    expect(r.diagnostics.map((d) => `${d.line}:${d.col}`)).toContain('3:58'); // the "30d"
  });

  // HAProxy loads the key beside the certificate (ssl-load-extra-del-ext), so tls.key must be the certificate's
  // path with ".key"; references.ts does not check it and haproxy fails to start. Fixed by: a cross-field rule.
  it('a TLS key that is not beside the certificate is refused when HAProxy terminates TLS', () => {
    const r = build(spec('tls: { strategy: terminate, certificate: /etc/tls/edge.crt, key: /etc/keys/other.key }\nloadBalancer: { ports: { http: 80, https: 443 } }'));
    expect(r.ok).toBe(false);
    expect(r.diagnostics.filter((d) => d.line === 3 || d.line === 4).length).toBeGreaterThan(0);
  });

  // resolve.ts drops the next layer's http port under passthrough, but emit forwards plain HTTP to it when the
  // load balancer has an http port and redirectHttp is false: plan.ts throws "gateway has no http port" (a crash,
  // "internal error" in the CLI). Fixed by: references.ts refuses that combination (or the emitter redirects).
  it('passthrough with plain HTTP forwarded does not crash the build', async () => {
    await refusedAtOrEnginesAccept(spec('tls: { strategy: passthrough, certificate: /etc/tls/e.crt, key: /etc/tls/e.key, redirectHttp: false }\nloadBalancer: { ports: { http: 80, https: 443 } }\ngateway: { ports: { https: 8443 } }'), [3, 4, 5]);
  });

  // nginx needs one non-backup server per upstream ("no servers in upstream"). Fixed by: references.ts requires one.
  it('a service whose instances are all backups is refused or accepted by nginx', async () => {
    await refusedAtOrEnginesAccept(spec('proxy: { ports: { http: 8080 } }', undefined, '  - { name: svc, instances: [{ address: "svc-1:3000", backup: true }] }'), [5]);
  });

  // nginx reads upstream fail_timeout in whole seconds ("invalid parameter fail_timeout=1500ms"). Fix in
  // nginx/proxy.ts: fail_timeout=<ceil(ms/1000)>s.
  it('a service health-check interval of 1500ms builds a config nginx accepts', async () => {
    await refusedAtOrEnginesAccept(spec('proxy: { ports: { http: 8080 } }', undefined, '  - { name: svc, instances: [{ address: "svc-1:3000" }], healthCheck: { interval: 1500ms } }'), [5]);
  });

  // Open: nginx/gateway/network.ts (the nginx gateway's upstreams) still writes fail_timeout in milliseconds; the
  // proxy's was fixed. Fix: the same whole-second rounding as nginx/proxy.ts.
  it('a service health-check interval of 1500ms behind the nginx gateway builds a config nginx accepts', async () => {
    await refusedAtOrEnginesAccept(spec('gateway: { engine: nginx, ports: { http: 8000 } }', undefined, '  - { name: svc, instances: [{ address: "svc-1:3000" }], healthCheck: { interval: 1500ms } }'), [5]);
  });

  // Open: src/spec/validate.ts describes a missing literal key (version) as "must be one of: 1; got undefined
  // undefined". Fix: report invalid_value with no input as a missing key, as for other required keys.
  it('a spec without "version" gets a clear "missing key" error', () => {
    const r = build(spec('proxy: { ports: { http: 8080 } }').replace('version: 1\n', ''));
    const d = r.diagnostics.find((x) => x.path === 'version')!;
    expect(d.message).toMatch(/^required key is missing/);
    expect(d.message).not.toContain('undefined');
  });

  // nginx/proxy.ts: a server whose host route takes the same location as a host-less route gets a merged inline
  // copy of every host-less route, so N such hosts cost N x M locations: 1000 + 1000 routes (135 KB of spec) take
  // 6 s and 1.4 GB before text.ts's value cap refuses them, 1500 + 1500 take 21 s and 3.3 GB. Fixed by: keep the shared
  // include for those servers too and put only the clashing location inline (or cap routes x host groups).
  it('300 host routes sharing one path with 300 host-less routes build a config linear in the routes', () => {
    const routes = Array.from({ length: 300 }, (_, i) => `  - { name: h${i}, match: { path: /p0, hosts: [h${i}.example.com] }, service: svc }\n  - { name: r${i}, match: { path: /p${i} }, service: svc }`).join('\n');
    const r = build(spec('proxy: { ports: { http: 8080 } }', routes));
    expect(r.diagnostics.map(formatDiagnostic)).toEqual([]);
    const bytes = r.files.reduce((n, f) => n + f.content.length, 0);
    expect(bytes).toBeLessThan(2_000_000);
  });

  // haproxy/routing.ts, more than 64 routes: (1) "use_backend %[var(txn.route),map_str(maps/route-backends.map)]"
  // is resolved against the working directory, not the config's ("default-path config" does not reach it), so
  // haproxy -c fails to open the map; (2) mapLine refuses "\" in keys, so a regex such as "\d" fails the build at
  // 1:1 although HAProxy map files do not unescape. Fixed by: an absolute path or ACL-file per route; allow "\" in map_reg keys.
  it('66 path-only routes (one a regex with "\\d") route through HAProxy map files that haproxy -c accepts', async () => {
    const routes = [...Array.from({ length: 65 }, (_, i) => `  - { name: r${i}, match: { path: /p${i} }, service: svc }`),
      "  - { name: re, match: { path: '^/items/\\d+$', pathType: regex }, service: svc }"].join('\n');
    await refusedAtOrEnginesAccept(spec('loadBalancer: { ports: { http: 80 } }', routes), []);
  });

  // nginx/gateway/rate.ts writes limit_req burst=N-1, so a limit of 1 request gives burst=0, which nginx refuses
  // ("invalid burst value"). Fixed by: leave burst out when N is 1.
  it('a rate limit of 1 request per minute on the nginx gateway builds a config nginx accepts', async () => {
    await refusedAtOrEnginesAccept(spec('gateway: { engine: nginx, ports: { http: 8000 }, rateLimit: { minute: 1 } }'), [3]);
  });

  // check.ts copies test certificates to join(files, <spec path>) without checking that the result stays inside its
  // temporary directory. primitives.ts now refuses ".." in file paths, so no spec reaches this; the checker itself
  // should still contain paths (defence in depth for library callers that build models). Fixed by: resolve and assert.
  it('engineCheck never writes outside its temporary directory', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'edgegen-outside-'));
    try {
      const r = build(spec('tls: { strategy: terminate, certificate: /etc/tls/e.crt, key: /etc/tls/e.key }\nproxy: { ports: { http: 8080, https: 8443 } }'));
      const model = r.model!;
      model.tls = { ...model.tls!, certificate: `../../${basename(outside)}/planted.crt` };
      await engineCheck(model);
      expect(existsSync(join(outside, 'planted.crt'))).toBe(false);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  // haproxy/routing.ts quotes the replace-path <fmt> with quote(), not logFormat(): a "%" in a rewrite would reach
  // HAProxy's log-format parser (haproxy 2.6 -c crashed with SIGSEGV on "%41"). primitives.ts now refuses "%" in
  // paths, so no spec reaches it; the emitter should still double "%" (defence in depth).
  it('the replace-path format doubles "%"', () => {
    const r = build(spec('loadBalancer: { ports: { http: 80 } }', '  - { name: web, match: { path: /web }, service: svc, rewrite: /new }'));
    const model = r.model!;
    model.routes[0].rewrite = '/a%41b';
    const cfg = emitHaproxy(model, specPlan(model), { instance: 0 })[0].content;
    const words = parseHaproxyCfg(cfg).flatMap((s) => s.lines).find((l) => l.words[1]?.text === 'replace-path')!.words;
    expect(words[3].text).toBe('/a%%41b/\\1\\2');
  });
});

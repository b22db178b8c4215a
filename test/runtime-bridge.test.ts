import { execa } from 'execa';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { emitHaproxy } from '../src/emit/haproxy/emit.js';
import { emitKong } from '../src/emit/kong/emit.js';
import { emitNginxProxy } from '../src/emit/nginx/proxy.js';
import { findBinary } from '../src/engines/binaries.js';
import { forInstalledEngines } from '../src/engines/check.js';
import { bridgeAliases, bridgePlan, localPlan, specPlan } from '../src/model/plan.js';
import { RuntimeError } from '../src/runtime/driver.js';
import { processDriver } from '../src/runtime/process.js';
import { prepareFiles, up } from '../src/runtime/stack.js';
import { layoutStack, type Unit } from '../src/runtime/units.js';
import { BRIDGE_ALIASES, bridgeModel } from './helpers/bridge.js';
import { fixtureModel, REQUIRE_ENGINES, TEST_ENV } from './helpers/fixtures.js';
import { scratchRoot } from './helpers/stack.js';
import { tempDir } from './helpers/tmp.js';

// Nothing here starts a container or sends traffic: the plan and the configs are checked as text and by the engines'
// own syntax checks, whose host name lookups are answered from a private hosts file (see engineCheck below).

const serverLines = (text: string) => text.split('\n').map((l) => l.trim()).filter((l) => /^server (\S+ )?[^\s{]+:\d+/.test(l));

describe('bridge address plan', () => {
  const model = bridgeModel();

  it('layers keep the names the spec plan reaches them by; services their DNS names; IPs, localhost and taken names fall back to <service>-<n>', () => {
    const names = bridgeAliases(model);
    expect(names.all).toEqual(BRIDGE_ALIASES);
    const spec = specPlan(model);
    for (const layer of ['loadBalancer', 'gateway', 'proxy'] as const)
      for (let i = 0; i < model[layer]!.instances; i++) expect(names.layer(layer, i)).toBe(spec.reach(layer, i, 'http').host);
    expect(names.service('orders', 0)).toBe('orders-a.internal');
    expect(names.service('orders', 1)).toBe('orders-2'); // 10.0.0.7
    expect(names.service('users', 0)).toBe('users-1'); // proxy-1 is the first proxy's name
    expect(names.service('users', 1)).toBe('users-2'); // localhost
    expect(new Set(names.all.map((n) => n.toLowerCase())).size).toBe(names.all.length);
  });

  it('binds 0.0.0.0 on the spec ports and reaches the next hop by service name on the spec ports', () => {
    const plan = bridgePlan(model, { stateRoot: '/state' });
    expect(plan.mode).toBe('local');
    expect(plan.bind('loadBalancer', 0, 'http')).toEqual({ host: '0.0.0.0', port: 80 });
    expect(plan.bind('loadBalancer', 0, 'status')).toEqual({ host: '0.0.0.0', port: 8404 });
    expect(plan.bind('gateway', 1, 'http')).toEqual({ host: '0.0.0.0', port: 8000 });
    expect(plan.bind('gateway', 1, 'status')).toEqual({ host: '0.0.0.0', port: model.gateway!.listen.status });
    expect(plan.bind('proxy', 0, 'http')).toEqual({ host: '0.0.0.0', port: 8080 });
    expect(plan.reach('gateway', 1, 'http')).toEqual({ host: 'kong-2', port: 8000 });
    expect(plan.reach('proxy', 0, 'status')).toEqual({ host: 'proxy-1', port: model.proxy!.listen.status });
    expect(plan.service('orders', 0)).toEqual({ host: 'orders-a.internal', port: 3000 });
    expect(plan.service('orders', 1)).toEqual({ host: 'orders-2', port: 3000 });
    expect(plan.service('users', 1)).toEqual({ host: 'users-2', port: 4001 });
    expect(plan.stateDir('proxy', 1)).toBe('/state/proxy-2');
    expect(() => plan.service('nope', 0)).toThrow(/no bridge address planned/);
  });

  it('the configs name the next hops as `edgegen build` does (IP-addressed instances by their alias instead)', () => {
    const bridge = bridgePlan(model, { stateRoot: '/state' });
    const spec = specPlan(model);
    const hap = emitHaproxy(model, bridge, { instance: 0 })[0].content;
    expect(serverLines(hap)).toEqual(serverLines(emitHaproxy(model, spec, { instance: 0 })[0].content));
    expect(serverLines(hap)).toEqual(['server gateway-1 kong-1:8000 check', 'server gateway-2 kong-2:8000 check']);
    expect(hap).toMatch(/^\s+bind :80$/m);
    expect(hap).toMatch(/^\s+bind :8404$/m);
    expect(hap).not.toContain('127.0.0.1');

    const kong = emitKong(model, bridge, TEST_ENV).yaml;
    expect(kong).toContain('target: "proxy-1:8080"');
    expect(kong).toContain('target: "proxy-2:8080"');
    expect(kong).toBe(emitKong(model, spec, TEST_ENV).yaml);

    const conf = emitNginxProxy(model, bridge, { instance: 0 })[0].content;
    expect(serverLines(conf)).toEqual([
      expect.stringMatching(/^server orders-a\.internal:3000 /), expect.stringMatching(/^server orders-2:3000 /),
      expect.stringMatching(/^server users-1:4000 /), expect.stringMatching(/^server users-2:4001 /),
    ]);
    expect(serverLines(emitNginxProxy(model, spec, { instance: 0 })[0].content)).toEqual([
      expect.stringMatching(/^server orders-a\.internal:3000 /), expect.stringMatching(/^server 10\.0\.0\.7:3000 /),
      expect.stringMatching(/^server proxy-1:4000 /), expect.stringMatching(/^server localhost:4001 /),
    ]);
    expect(conf).toMatch(/listen 0\.0\.0\.0:8080[ ;]/);
    expect(conf).not.toMatch(/listen 127\./);
  });

  it('layout: each unit joins edgegen-<stack> by its alias with its listen ports published on the loopback ports host mode uses', () => {
    const stateDir = tempDir('edgegen-bridge-layout-');
    const host = layoutStack(model, { stateDir, basePort: 31000, env: TEST_ENV });
    const bridge = layoutStack(model, { stateDir, basePort: 31000, env: TEST_ENV, network: 'bridge' });
    expect(host.network).toBe('host');
    expect(bridge.network).toBe('bridge');
    expect(host.units.every((u) => u.bridge === undefined)).toBe(true);
    expect(bridge.units.map((u) => u.id)).toEqual(host.units.map((u) => u.id));
    const loopback = localPlan(model, { basePort: 31000, stateRoot: stateDir });
    for (const [k, u] of bridge.units.entries()) {
      const h = host.units[k];
      // edgegen checks health and reserves ports on loopback in both modes.
      expect(u.ports).toEqual(h.ports);
      expect(u.health).toEqual(h.health);
      expect(u.ports.every((p) => p.host === '127.0.0.1')).toBe(true);
      expect(u.bridge!.network).toBe('edgegen-bridge-wiring');
      expect(u.bridge!.publish.map((p) => p.host)).toEqual(u.ports);
    }
    const byId = (id: string): Unit => bridge.units.find((u) => u.id === id)!;
    expect(byId('gateway-2').bridge!.alias).toBe('kong-2');
    expect(byId('gateway-2').bridge!.publish.map((p) => p.port)).toEqual([8000, model.gateway!.listen.status]);
    expect(byId('gateway-2').bridge!.publish[0].host).toEqual(loopback.bind('gateway', 1, 'http'));
    expect(byId('loadBalancer-1').bridge!.publish.map((p) => p.port)).toEqual([80, 8404]);
    expect(byId('service-orders-2').bridge!.alias).toBe('orders-2');
    expect(byId('service-orders-2').bridge!.publish).toEqual([{ port: 3000, host: loopback.service('orders', 1) }]);
    // The echo backend listens on every interface of its own namespace on the spec's port; on host networking, on loopback.
    expect(byId('service-orders-2').argv.slice(-2)).toEqual(['0.0.0.0', '3000']);
    expect(host.units.find((u) => u.id === 'service-orders-2')!.argv.slice(-2)).toEqual(['127.0.0.1', String(loopback.service('orders', 1).port)]);
    expect(bridge.hostPlan.bind('loadBalancer', 0, 'http')).toEqual(loopback.bind('loadBalancer', 0, 'http'));
    const hap = bridge.units.find((u) => u.engine === 'haproxy')!.files[0].content;
    expect(hap).toContain('server gateway-1 kong-1:8000');
  });
});

const nginx = await findBinary('nginx');
const haproxy = await findBinary('haproxy');
const canUnshare = (await execa('unshare', ['-m', 'true'], { reject: false })).exitCode === 0;
const engineReason = !nginx || !haproxy ? 'nginx or haproxy is not installed' : !canUnshare ? 'unshare -m is not permitted here (needs root)' : '';
if (engineReason && !REQUIRE_ENGINES) console.warn(`bridge config engine checks skipped: ${engineReason}`);

/**
 * Run an engine's own check in a private mount namespace where /etc/hosts answers the given names with 127.0.0.1
 * and /etc/resolv.conf points at 127.0.0.1 only: nginx -t and haproxy -c resolve the service names without any
 * traffic leaving loopback (nothing connects to them; a name not in the file is a lookup on 127.0.0.1 that fails).
 */
async function engineCheck(dir: string, names: string[], argv: string[]) {
  const hosts = join(dir, 'hosts');
  const resolv = join(dir, 'resolv.conf');
  writeFileSync(hosts, `127.0.0.1 localhost\n${names.length ? `127.0.0.1 ${names.join(' ')}\n` : ''}`);
  writeFileSync(resolv, 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n');
  return execa('unshare', ['-m', 'sh', '-c', 'mount --bind "$1" /etc/hosts && mount --bind "$2" /etc/resolv.conf && shift 2 && exec "$@"', 'sh', hosts, resolv, ...argv],
    { reject: false, all: true });
}

describe('bridge configs pass the engines\' own checks', () => {
  (engineReason && !REQUIRE_ENGINES ? it.skip : it)('nginx -t (proxy and nginx gateway) and haproxy -c accept the bridge layout of demo-nginx-gateway; without the names they fail', async () => {
    expect(engineReason).toBe('');
    const model = await forInstalledEngines(fixtureModel('demo-nginx-gateway'));
    const stateDir = tempDir('edgegen-bridge-check-');
    const layout = layoutStack(model, { stateDir, basePort: 31000, env: TEST_ENV, network: 'bridge' });
    await prepareFiles(model, layout);
    const aliases = layout.units.map((u) => u.bridge!.alias);
    expect(aliases).toEqual(expect.arrayContaining(['catalog-1', 'orders-2', 'proxy-1', 'gateway-2']));
    const checks = layout.units.filter((u) => u.engine === 'nginx' || u.engine === 'haproxy').map((u) => ({
      id: u.id,
      argv: u.engine === 'nginx' ? [nginx!, '-t', ...u.argv.slice(1, 7)] : [haproxy!, '-c', '-f', u.argv[u.argv.indexOf('-f') + 1]],
    }));
    expect(checks.map((c) => c.id)).toEqual(['proxy-1', 'proxy-2', 'gateway-1', 'gateway-2', 'loadBalancer-1']);
    for (const c of checks) {
      const r = await engineCheck(stateDir, aliases, c.argv);
      expect(r.exitCode, `${c.id}: ${r.all}`).toBe(0);
    }
    // The same checks with the service names unknown: the configs really name them (and nothing is resolved elsewhere).
    const proxy = await engineCheck(stateDir, [], checks[0].argv);
    expect(proxy.exitCode).not.toBe(0);
    expect(proxy.all).toMatch(/host not found in upstream "catalog-1:3000"/);
    const lb = await engineCheck(stateDir, [], checks[4].argv);
    expect(lb.exitCode).not.toBe(0);
    expect(lb.all).toMatch(/gateway-1/);
    // The throw-away certificate names every alias, so inner TLS hops that verify names accept it.
    const san = (await execa('openssl', ['x509', '-in', join(stateDir, 'certs', 'edge.crt'), '-noout', '-ext', 'subjectAltName'])).stdout;
    for (const a of ['localhost', ...aliases]) expect(san).toContain(`DNS:${a}`);
  });
});

describe('network mode bridge needs the Docker runtime', () => {
  it('an HTTP-to-HTTPS redirect names the loopback port the entry is published on, not the port inside the container', () => {
    const demo = fixtureModel('demo-nginx-gateway');
    const stateDir = tempDir('edgegen-bridge-redirect-');
    const layout = layoutStack(demo, { stateDir, basePort: 31000, env: TEST_ENV, network: 'bridge' });
    const lb = layout.units.find((u) => u.id === 'loadBalancer-1')!;
    const published = localPlan(demo, { basePort: 31000, stateRoot: stateDir }).bind('loadBalancer', 0, 'https').port;
    expect(published).not.toBe(demo.loadBalancer!.listen.https);
    const cfg = lb.files.find((f) => f.path.endsWith('haproxy.cfg'))!.content;
    expect(cfg).toContain(`http-request redirect location 'https://%[req.hdr(host),field(1,:)]:${published}%[capture.req.uri]' code 301`);
    // Inside the container HAProxy still listens on the spec's own https port.
    expect(cfg).toContain(`bind :${demo.loadBalancer!.listen.https} ssl`);
    // The spec plan (edgegen build) keeps the spec's port.
    expect(emitHaproxy(demo, specPlan(demo), { instance: 0 })[0].content).not.toContain(`:${published}%`);
  });

  it('library: the process driver refuses network bridge and start: false before writing anything', async () => {
    const root = scratchRoot();
    const opts = { driver: processDriver(), root, specFile: 'x', env: TEST_ENV, bypass: ['gateway' as const] };
    await expect(up(fixtureModel('demo'), { ...opts, network: 'bridge' })).rejects.toThrow(RuntimeError);
    await expect(up(fixtureModel('demo'), { ...opts, network: 'bridge' })).rejects.toThrow('network mode bridge needs the Docker runtime: the process runtime runs every hop on loopback (use --runtime docker, or --network host)');
    await expect(up(fixtureModel('demo'), { ...opts, start: false })).rejects.toThrow('--no-start needs the Docker runtime: the process runtime cannot create a unit without running it');
    expect(existsSync(join(root, '.edgegen'))).toBe(false);
  });

  it('CLI: --network takes host or bridge; --runtime process refuses --network bridge and --no-start (exit 2)', async () => {
    const run = async (...args: string[]) => {
      const out: string[] = [];
      const code = await main(['node', 'edgegen', ...args], { out: (s) => out.push(s), err: (s) => out.push(s) });
      return { code, out: out.join('\n') };
    };
    const bad = await run('up', 'fixtures/demo.yaml', '--network', 'overlay');
    expect(bad).toEqual({ code: 2, out: 'edgegen: --network is host or bridge, got "overlay"' });
    const proc = await run('up', 'fixtures/demo.yaml', '--runtime', 'process', '--network', 'bridge');
    expect(proc.code).toBe(2);
    expect(proc.out).toBe('edgegen: --network bridge needs the Docker runtime (the process runtime runs local processes, every hop on loopback); use --runtime docker, or leave out --network bridge');
    const noStart = await run('up', 'fixtures/demo.yaml', '--runtime', 'process', '--no-start');
    expect(noStart.code).toBe(2);
    expect(noStart.out).toMatch(/^edgegen: --no-start needs the Docker runtime/);
    // verify takes the same option, with the same checks.
    expect(await run('verify', 'fixtures/demo.yaml', '--network', 'overlay')).toEqual({ code: 2, out: 'edgegen: --network is host or bridge, got "overlay"' });
    expect(await run('verify', 'fixtures/demo.yaml', '--runtime', 'process', '--network', 'bridge')).toEqual({ code: 2, out: proc.out });
    const help = await run('up', '--help');
    expect(help.out).toMatch(/--network <mode>\s+host \(default: every hop on loopback\) or bridge/);
    expect(help.out).toContain('--no-start');
  });
});

import Docker from 'dockerode';
import { execa } from 'execa';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { dockerAvailable, dockerDriver, labelled, STACK_LABEL } from '../src/runtime/docker.js';
import { RuntimeError, type Driver } from '../src/runtime/driver.js';
import { down, up } from '../src/runtime/stack.js';
import { readState } from '../src/runtime/state.js';
import { send } from '../src/smoke/http.js';
import { BRIDGE_ALIASES, bridgeModel, bridgeSpec } from './helpers/bridge.js';
import { fixtureModel, ROOT, TEST_ENV } from './helpers/fixtures.js';
import { scratchRoot } from './helpers/stack.js';

const IMAGE = 'edgegen-local:test';
const required = process.env.EDGEGEN_REQUIRE_DOCKER === '1';
const docker = await dockerAvailable();
if (!docker && !required) console.warn('Docker runtime tests skipped: no Docker engine answers (CI starts dockerd and sets EDGEGEN_REQUIRE_DOCKER=1)');
const images = { loadBalancer: IMAGE, gateway: IMAGE, proxy: IMAGE, service: IMAGE };

describe('Docker runtime', () => {
  it('a Docker engine answers (required in CI)', () => {
    if (required) expect(docker).toBe(true);
  });

  (docker || required ? describe : describe.skip)('with a locally built image', () => {
    beforeAll(async () => {
      await execa('bash', [`${ROOT}/scripts/build-local-image.sh`, IMAGE]);
    }, 120_000);

    afterAll(async () => {
      for (const stack of ['demo-nginx-gateway', 'bridge-wiring', 'bridge-cli', 'bridge-fail', 'bridge-taken', 'bridge-again']) {
        const left = await labelled(stack);
        expect(left.containers.length + left.networks.length + left.volumes.length, stack).toBe(0);
      }
    });

    it('boots demo-nginx-gateway in containers on host networking, answers through every layer, and down removes everything labelled', async () => {
      const driver = dockerDriver(images);
      const root = scratchRoot();
      // The image carries this machine's engines, so emit for their versions.
      const state = await up(fixtureModel('demo-nginx-gateway'), { driver, root, specFile: 'fixtures/demo-nginx-gateway.yaml', env: TEST_ENV, detectTargets: true });
      try {
        expect(state.runtime).toBe('docker');
        expect(state.network).toBe('host');
        expect(state.units.every((u) => u.containerId && u.image === IMAGE && u.bridge === undefined)).toBe(true);
        const lb = await new Docker().getContainer(state.units.find((u) => u.layer === 'loadBalancer')!.containerId!).inspect();
        expect(lb.HostConfig.NetworkMode).toBe('host');
        expect(lb.HostConfig.PortBindings ?? {}).toEqual({});
        const res = await send({ url: `${state.entry.https}/api/orders/x`, ca: state.caFile, headers: { host: 'localhost', apikey: TEST_ENV.DEMO_ALICE_KEY } });
        expect(res.status).toBe(200);
        expect(res.json?.service).toBe('orders');
        expect((res.json?.headers as Record<string, string>)['x-consumer-username']).toBe('alice');
        expect((await send({ url: `${state.entry.https}/api/orders/x`, ca: state.caFile, headers: { host: 'localhost' } })).status).toBe(401);
        expect((await labelled('demo-nginx-gateway')).containers.length).toBe(state.units.length);
      } finally {
        await down(state, driver);
      }
      const left = await labelled('demo-nginx-gateway');
      expect(left.containers).toEqual([]);
      expect(left.networks).toEqual([]);
      expect(left.volumes).toEqual([]);
    }, 120_000);

    it('an image that is not there and cannot be pulled is a clear error, and nothing is left running', async () => {
      const driver = dockerDriver({ ...images, proxy: 'edgegen-local:no-such-tag' });
      await expect(up(fixtureModel('demo'), { driver, root: scratchRoot(), specFile: 'x', env: TEST_ENV, bypass: ['gateway'], detectTargets: true }))
        .rejects.toThrow(/image edgegen-local:no-such-tag is not available locally and could not be pulled .*--image <layer>=<ref>/);
      expect((await labelled('demo')).containers).toEqual([]);
    }, 60_000);

    // Network mode bridge. Tests may send traffic only to loopback, and engines on a bridge network talk over private
    // addresses (and health-check each other as soon as they run), so these tests never start a container there: up
    // with start: false creates the network and the containers, docker inspect checks the wiring, down removes it all.
    describe('network mode bridge (created, never started)', () => {
      const api = new Docker();
      const bridgeOpts = (root: string) => ({ root, specFile: 'bridge-wiring.yaml', env: TEST_ENV, detectTargets: true, network: 'bridge' as const, start: false });

      it('creates edgegen-<stack> (labelled, driver bridge) and each unit\'s container on it with its service name, ports published on 127.0.0.1 only; down leaves nothing', async () => {
        const driver = dockerDriver(images);
        const state = await up(bridgeModel(), { driver, ...bridgeOpts(scratchRoot()) });
        try {
          expect(state).toMatchObject({ runtime: 'docker', network: 'bridge', networkName: 'edgegen-bridge-wiring', started: false });
          expect(readState(state.stateDir)).toMatchObject({ network: 'bridge', networkName: 'edgegen-bridge-wiring', started: false });
          const net = await api.getNetwork('edgegen-bridge-wiring').inspect();
          expect(net.Driver).toBe('bridge');
          expect(net.Labels).toEqual({ [STACK_LABEL]: 'bridge-wiring' });
          const seen = await labelled('bridge-wiring');
          expect(seen.networks.map((n) => n.Name)).toEqual(['edgegen-bridge-wiring']);
          expect(seen.containers.length).toBe(state.units.length);

          const aliases: string[] = [];
          for (const u of state.units) {
            const c = await api.getContainer(u.containerId!).inspect();
            expect(c.State.Status, u.id).toBe('created');
            expect(c.Config.Labels[STACK_LABEL]).toBe('bridge-wiring');
            expect(c.HostConfig.NetworkMode).toBe('edgegen-bridge-wiring');
            expect(Object.keys(c.NetworkSettings.Networks)).toEqual(['edgegen-bridge-wiring']);
            const onNet = c.NetworkSettings.Networks['edgegen-bridge-wiring'].Aliases ?? [];
            expect(onNet, u.id).toContain(u.bridge!.alias);
            aliases.push(u.bridge!.alias);
            const bindings = c.HostConfig.PortBindings as Record<string, { HostIp: string; HostPort: string }[]>;
            // Each listen port on the loopback port edgegen checks it on, and nowhere else.
            expect(bindings, u.id).toEqual(Object.fromEntries(u.ports.map((p, k) => [`${u.bridge!.publish[k].port}/tcp`, [{ HostIp: '127.0.0.1', HostPort: String(p.port) }]])));
            expect(Object.values(bindings).flat().map((b) => b.HostIp)).toEqual(u.ports.map(() => '127.0.0.1'));
            expect(Object.keys(c.Config.ExposedPorts ?? {}).sort()).toEqual(Object.keys(bindings).sort());
          }
          expect([...aliases].sort()).toEqual([...BRIDGE_ALIASES].sort());
          const byId = (id: string) => state.units.find((u) => u.id === id)!;
          expect(byId('gateway-1').bridge!.alias).toBe('kong-1');
          expect(Object.keys((await api.getContainer(byId('gateway-1').containerId!).inspect()).HostConfig.PortBindings)).toEqual(expect.arrayContaining(['8000/tcp']));
          expect((await api.getContainer(byId('service-orders-1').containerId!).inspect()).Config.Cmd.slice(-2)).toEqual(['0.0.0.0', '3000']);

          // The configs in the state dir reach the next hop by service name on the spec's ports, as `edgegen build` does.
          const read = (rel: string) => readFileSync(join(state.stateDir, rel), 'utf8');
          expect(read('loadBalancer-1/haproxy.cfg')).toMatch(/server gateway-1 kong-1:8000\b[^\n]*\n\s+server gateway-2 kong-2:8000\b/);
          expect(read('gateway-1/kong.yaml')).toContain('target: "proxy-1:8080"');
          expect(read('gateway-2/kong.yaml')).toContain('target: "proxy-2:8080"');
          const proxy = read('proxy-1/nginx.conf');
          for (const server of ['orders-a.internal:3000', 'orders-2:3000', 'users-1:4000', 'users-2:4001']) expect(proxy).toContain(`server ${server} `);
          expect(proxy).toMatch(/listen 0\.0\.0\.0:8080[ ;]/);
          expect(proxy).not.toContain('10.0.0.7');
        } finally {
          await down(state, driver);
        }
        const left = await labelled('bridge-wiring');
        expect(left.containers).toEqual([]);
        expect(left.networks).toEqual([]);
        expect(left.volumes).toEqual([]);
        expect(existsSync(join(state.stateDir, 'state.json'))).toBe(false);
      }, 60_000);

      it('CLI: up --network bridge --no-start records the network; status and down work from state.json and remove the network', async () => {
        const root = scratchRoot();
        const spec = join(root, 'bridge-cli.yaml');
        writeFileSync(spec, bridgeSpec('bridge-cli'));
        const cwd = process.cwd();
        process.chdir(root);
        const run = async (...args: string[]) => {
          const out: string[] = [];
          const code = await main(['node', 'edgegen', ...args], { out: (s) => out.push(s), err: (s) => out.push(s) });
          return { code, out: out.join('\n') };
        };
        try {
          const u = await run('up', spec, '--network', 'bridge', '--no-start', ...Object.entries(images).flatMap(([l, ref]) => ['--image', `${l}=${ref}`]));
          expect(u.code, u.out).toBe(0);
          expect(u.out).toContain('stack bridge-cli is created, not started (docker runtime, bridge network edgegen-bridge-cli); inspect it with docker inspect, remove it with edgegen down');
          expect(u.out).toMatch(/gateway-2\s+container [0-9a-f]{12}/);
          expect((await labelled('bridge-cli')).networks.length).toBe(1);
          const st = await run('status');
          expect(st.code).toBe(1);
          expect(st.out).toContain('stack bridge-cli (docker, bridge network edgegen-bridge-cli) created, not started');
          expect(st.out).toMatch(/loadBalancer-1\s+stopped\s+container [0-9a-f]{12}/);
          const d = await run('down');
          expect(d).toEqual({ code: 0, out: 'stack bridge-cli is down (9 containers removed, network edgegen-bridge-cli removed)' });
        } finally {
          process.chdir(cwd);
        }
        const left = await labelled('bridge-cli');
        expect(left.containers.length + left.networks.length + left.volumes.length).toBe(0);
      }, 60_000);

      it('a failed up removes the network and the containers it had already created', async () => {
        const real = dockerDriver(images);
        const made: string[] = [];
        // The real driver, with a failure injected once the network and the service containers exist.
        const failing: Driver = { ...real, async create(unit, logFile) {
          if (unit.layer === 'proxy') throw new RuntimeError(`cannot create ${unit.id} (injected)`);
          made.push(unit.id);
          return real.create!(unit, logFile);
        } };
        await expect(up(bridgeModel('bridge-fail'), { driver: failing, ...bridgeOpts(scratchRoot()) })).rejects.toThrow('cannot create proxy-1 (injected)');
        expect(made).toEqual(['service-orders-1', 'service-orders-2', 'service-users-1', 'service-users-2']);
        const left = await labelled('bridge-fail');
        expect(left.containers).toEqual([]);
        expect(left.networks).toEqual([]);
        await expect(api.getNetwork('edgegen-bridge-fail').inspect()).rejects.toThrow();
      }, 60_000);

      it('up again in host mode first clears what a created bridge stack left, its network included', async () => {
        const driver = dockerDriver(images);
        const root = scratchRoot();
        const first = await up(bridgeModel('bridge-again'), { driver, ...bridgeOpts(root) });
        expect((await labelled('bridge-again')).networks.length).toBe(1);
        const second = await up(bridgeModel('bridge-again'), { driver, ...bridgeOpts(root), network: 'host' });
        try {
          expect(second.network).toBe('host');
          const now = await labelled('bridge-again');
          expect(now.networks).toEqual([]);
          expect(now.containers.map((c) => c.Id).sort()).toEqual(second.units.map((u) => u.containerId).sort());
          expect(now.containers.some((c) => first.units.some((u) => u.containerId === c.Id))).toBe(false);
          for (const c of now.containers) expect((await api.getContainer(c.Id).inspect()).HostConfig.NetworkMode).toBe('host');
        } finally {
          await down(second, driver);
        }
      }, 60_000);

      it('a same-named network edgegen did not make is refused and left alone', async () => {
        await api.createNetwork({ Name: 'edgegen-bridge-taken', Driver: 'bridge', Labels: { owner: 'someone-else' } });
        try {
          await expect(up(bridgeModel('bridge-taken'), { driver: dockerDriver(images), ...bridgeOpts(scratchRoot()) }))
            .rejects.toThrow('a Docker network named edgegen-bridge-taken already exists and is not edgegen\'s bridge network for stack bridge-taken (label edgegen.stack=bridge-taken); remove or rename it, or use --network host');
          expect((await api.getNetwork('edgegen-bridge-taken').inspect()).Labels).toEqual({ owner: 'someone-else' });
          expect((await labelled('bridge-taken')).containers).toEqual([]);
        } finally {
          await api.getNetwork('edgegen-bridge-taken').remove();
        }
      }, 60_000);
    });
  });

  it('Docker not running: a clear error and nothing started', async () => {
    const driver = dockerDriver(images, new Docker({ socketPath: '/nonexistent/docker.sock' }));
    await expect(up(fixtureModel('demo'), { driver, root: scratchRoot(), specFile: 'x', env: TEST_ENV, bypass: ['gateway'] }))
      .rejects.toThrow('Docker is not running (no answer from the Docker engine); start dockerd or use --runtime process');
  });
});

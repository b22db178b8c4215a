import Docker from 'dockerode';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSpec } from '../src/compile.js';
import { dockerAvailable, dockerDriver, labelled } from '../src/runtime/docker.js';
import { sleep } from '../src/runtime/health.js';
import { down, up } from '../src/runtime/stack.js';
import type { StackState } from '../src/runtime/state.js';
import { send } from '../src/smoke/http.js';
import { ROOT } from './helpers/fixtures.js';
import { scratchRoot } from './helpers/stack.js';

const IMAGE = 'edgegen-local:test';
const required = process.env.EDGEGEN_REQUIRE_DOCKER === '1';
const docker = await dockerAvailable();
if (!docker && !required) console.warn('Docker graceful-stop tests skipped: no Docker engine answers (CI starts dockerd and sets EDGEGEN_REQUIRE_DOCKER=1)');
const images = { loadBalancer: IMAGE, gateway: IMAGE, proxy: IMAGE, service: IMAGE };

/** HAProxy -> one NGINX proxy -> one echo instance, on host networking (every hop on loopback). */
const SPEC = `version: 1
name: graceful-docker
loadBalancer:
  ports: { http: 80 }
  healthCheck: {}
proxy:
  ports: { http: 8080 }
services:
  - name: api
    instances: [{ address: api-1:3000 }]
routes:
  - name: api
    match: { path: /api }
    service: api
`;

(docker || required ? describe : describe.skip)('Docker runtime: containers stop gracefully', () => {
  const driver = dockerDriver(images);
  const model = loadSpec(SPEC, 'graceful-docker.yaml').model!;
  let state: StackState | undefined;

  beforeAll(async () => {
    await execa('bash', [`${ROOT}/scripts/build-local-image.sh`, IMAGE]);
  }, 120_000);
  afterAll(async () => {
    if (state) await down(state, driver);
    const left = await labelled('graceful-docker');
    expect(left.containers.length + left.networks.length).toBe(0);
  });

  it("each container's stop signal is its engine's graceful stop (nginx SIGQUIT, HAProxy SIGUSR1), and a request in flight is answered while they stop", async () => {
    state = await up(model, { driver, root: scratchRoot(), specFile: 'graceful-docker.yaml', env: {}, detectTargets: true });
    const d = new Docker();
    const signals = Object.fromEntries(await Promise.all(state.units.map(async (u) => [u.id, (await d.getContainer(u.containerId!).inspect()).Config.StopSignal])));
    expect(signals).toEqual({ 'service-api-1': 'SIGTERM', 'proxy-1': 'SIGQUIT', 'loadBalancer-1': 'SIGUSR1' });

    const echo = state.units.find((u) => u.id === 'service-api-1')!;
    const ctl = await send({ url: `http://${echo.ports[0].host}:${echo.ports[0].port}/__edgegen/slow?ms=1500`, headers: { 'x-edgegen-control': state.controlToken } });
    expect(ctl.status).toBe(200);
    const answer = send({ url: `${state.entry.http}/api/in-flight`, headers: { host: 'localhost' } });
    const inFlight = async () => ((await send({ url: `http://${echo.ports[0].host}:${echo.ports[0].port}/__edgegen/stats`, headers: { 'x-edgegen-control': state!.controlToken } })).json as
      { byPath?: Record<string, number> }).byPath?.['/api/in-flight'] === 1;
    // In flight: the backend has it (and answers in 1.5 s).
    for (let i = 0; i < 100 && !(await inFlight()); i++) await sleep(20);
    expect(await inFlight()).toBe(true);
    const lb = state.units.find((u) => u.id === 'loadBalancer-1')!;
    const proxy = state.units.find((u) => u.id === 'proxy-1')!;
    const stopped = Promise.all([driver.stop(lb), driver.stop(proxy)]);
    const res = await answer;
    await stopped;
    expect(res.error).toBeUndefined();
    expect(res.status).toBe(200);
    expect(await driver.alive(lb)).toBe(false);
  }, 90_000);
});

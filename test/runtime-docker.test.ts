import Docker from 'dockerode';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { dockerAvailable, dockerDriver, labelled } from '../src/runtime/docker.js';
import { down, up } from '../src/runtime/stack.js';
import { send } from '../src/smoke/http.js';
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
    afterAll(async () => {
      const left = await labelled('demo-nginx-gateway');
      expect(left.containers.length + left.networks.length + left.volumes.length).toBe(0);
    });

    it('boots demo-nginx-gateway in containers on host networking, answers through every layer, and down removes everything labelled', async () => {
      await execa('bash', [`${ROOT}/scripts/build-local-image.sh`, IMAGE]);
      const driver = dockerDriver(images);
      const root = scratchRoot();
      // The image carries this machine's engines, so emit for their versions.
      const state = await up(fixtureModel('demo-nginx-gateway'), { driver, root, specFile: 'fixtures/demo-nginx-gateway.yaml', env: TEST_ENV, detectTargets: true });
      try {
        expect(state.runtime).toBe('docker');
        expect(state.units.every((u) => u.containerId && u.image === IMAGE)).toBe(true);
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
  });

  it('Docker not running: a clear error and nothing started', async () => {
    const driver = dockerDriver(images, new Docker({ socketPath: '/nonexistent/docker.sock' }));
    await expect(up(fixtureModel('demo'), { driver, root: scratchRoot(), specFile: 'x', env: TEST_ENV, bypass: ['gateway'] }))
      .rejects.toThrow('Docker is not running (no answer from the Docker engine); start dockerd or use --runtime process');
  });
});

import { describe, expect, it } from 'vitest';
import { engineCheck } from '../src/engines/check.js';
import { findBinary } from '../src/engines/binaries.js';
import { fixtureModel, fixtureNames, REQUIRE_ENGINES, TEST_ENV } from './helpers/fixtures.js';

const nginx = await findBinary('nginx');
const haproxy = await findBinary('haproxy');

describe('the real engines accept every fixture (nginx -t, haproxy -c)', () => {
  it('engines are installed (required in CI)', () => {
    if (!REQUIRE_ENGINES && (!nginx || !haproxy)) {
      console.warn(`engine tests limited: nginx=${nginx ?? 'missing'} haproxy=${haproxy ?? 'missing'}; set EDGEGEN_REQUIRE_ENGINES=1 to make this fail`);
      return;
    }
    expect(nginx, 'nginx binary').toBeTruthy();
    expect(haproxy, 'haproxy binary').toBeTruthy();
  });

  for (const name of fixtureNames()) {
    it(name, async () => {
      const model = fixtureModel(name);
      const results = await engineCheck(model, { env: TEST_ENV });
      for (const r of results) {
        if (r.engine === 'kong') continue;
        if (r.status === 'not-run' && !REQUIRE_ENGINES) {
          console.warn(`${name}: ${r.engine} not run: ${r.detail}`);
          continue;
        }
        expect(r.status, `${name} ${r.engine}: ${r.detail}`).toBe('passed');
      }
      expect(results.filter((r) => r.engine !== 'kong').length).toBe((model.proxy ? 1 : 0) + (model.loadBalancer ? 1 : 0) + (model.gateway?.settings.engine === 'nginx' ? 1 : 0));
    });
  }
});

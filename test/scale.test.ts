import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateSpec } from '../scripts/gen-spec.js';
import { compileSpec, loadSpec } from '../src/compile.js';
import { MAP_THRESHOLD } from '../src/emit/haproxy/routing.js';
import { engineCheck } from '../src/engines/check.js';
import { findBinary } from '../src/engines/binaries.js';
import { processDriver } from '../src/runtime/process.js';
import { down, up } from '../src/runtime/stack.js';
import type { StackState } from '../src/runtime/state.js';
import { send } from '../src/smoke/http.js';
import { requestFor } from '../src/smoke/sample.js';
import { REQUIRE_ENGINES } from './helpers/fixtures.js';
import { processesMentioning, scratchRoot } from './helpers/stack.js';

const text = generateSpec({ routes: 10_000, services: 10, instances: 1, layers: ['lb'], local: true, hosts: false });
const haproxy = await findBinary('haproxy');

describe('10,000 routes: HAProxy routes through map files', () => {
  const loaded = loadSpec(text, 'bench-10000.yaml');

  it('compiles, and haproxy.cfg looks routes up in maps instead of one ACL per route', () => {
    expect(loaded.diagnostics).toEqual([]);
    const r = compileSpec(text, 'bench-10000.yaml', { lint: false });
    expect(r.ok).toBe(true);
    const cfg = r.files.find((f) => f.path === 'haproxy/haproxy.cfg')!.content;
    expect(cfg).toContain(`# 10000 routes (> ${MAP_THRESHOLD}): routes without host or header conditions are looked up in map files`);
    expect(cfg).toMatch(/var\(txn\.route_key\),map_beg\('\/usr\/local\/etc\/haproxy\/maps\/routes-prefix\.map'\)/);
    expect(cfg).toMatch(/var\(txn\.route_key\),map_str\('\/usr\/local\/etc\/haproxy\/maps\/routes-exact\.map'\)/);
    expect(cfg).toMatch(/var\(txn\.route_key\),map_reg\('\/usr\/local\/etc\/haproxy\/maps\/routes-regex\.map'\)/);
    expect(cfg).toContain("use_backend '%[var(txn.route),map_str(/usr/local/etc/haproxy/maps/route-backends.map)]'");
    expect(cfg.split('\n').filter((l) => l.includes('set-var(txn.route)')).length).toBeLessThan(10);
    const prefixMap = r.files.find((f) => f.path === 'haproxy/maps/routes-prefix.map')!.content.split('\n').filter((l) => l && !l.startsWith('#'));
    const prefixRoutes = loaded.model!.routes.filter((x) => x.pathType === 'prefix');
    expect(prefixMap.length).toBe(prefixRoutes.reduce((n, x) => n + (x.methods.length || 7), 0));
  });

  it('haproxy -c accepts it', async () => {
    if (!haproxy && !REQUIRE_ENGINES) return console.warn('haproxy -c not run: haproxy is not installed');
    const checks = await engineCheck(loaded.model!);
    expect(checks.find((c) => c.engine === 'haproxy')).toMatchObject({ status: 'passed' });
  });

  (haproxy || REQUIRE_ENGINES ? describe : describe.skip)('live on the process runtime', () => {
    const driver = processDriver();
    const root = scratchRoot();
    let state: StackState | undefined;
    afterAll(async () => {
      if (state) await down(state, driver);
      expect(processesMentioning(root)).toEqual([]);
    });

    it('routes a sample of requests to the services their routes name', async () => {
      state = await up(loaded.model!, { driver, root, specFile: 'bench-10000.yaml', env: {} });
      expect(existsSync(join(state.stateDir, 'loadBalancer-1', 'maps', 'routes-prefix.map'))).toBe(true);
      const model = loaded.model!;
      const sample = model.routes.filter((_, i) => i % 199 === 0);
      expect(sample.length).toBeGreaterThan(40);
      const wrong: string[] = [];
      for (const r of sample) {
        const shape = requestFor(r, 'sample')!;
        const res = await send({ method: shape.method, url: `${state.entry.http}${shape.path}`, headers: { host: shape.host } });
        if (res.status !== 200 || res.json?.service !== r.service.name) wrong.push(`${r.name} ${shape.path}: ${res.status} ${String(res.json?.service)} (want ${r.service.name})`);
      }
      expect(wrong).toEqual([]);
      const unrouted = await send({ url: `${state.entry.http}/no-such-route/x`, headers: { host: 'localhost' } });
      expect(unrouted.status).toBe(404);
      expect(readFileSync(join(state.stateDir, 'loadBalancer-1', 'haproxy.cfg'), 'utf8')).toContain(`${join(state.stateDir, 'loadBalancer-1', 'maps')}/route-backends.map`);
    }, 120_000);
  });
});

import { execa } from 'execa';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Env } from '../../src/emit/kong/secrets.js';
import { emitHaproxy } from '../../src/emit/haproxy/emit.js';
import { emitNginxGateway } from '../../src/emit/nginx/gateway.js';
import { emitNginxProxy } from '../../src/emit/nginx/proxy.js';
import { findBinary, makeTestCertificates } from '../../src/engines/binaries.js';
import { forInstalledEngines, writeLayer } from '../../src/engines/check.js';
import { localPlan } from '../../src/model/plan.js';
import type { Model } from '../../src/model/types.js';

/**
 * Many engine checks at once: the same loopback build as src/engines/check.ts (localPlan, the installed engine
 * versions, the same file layout), but one set of throw-away certificates for all models, binaries looked up once,
 * and a few checks in parallel.
 */

export interface BatchFailure { name: string; engine: 'nginx' | 'haproxy'; detail: string; config: string }
export interface BatchReport { checked: number; failures: BatchFailure[] }
export interface BatchItem { name: string; model: Model; env?: Env }

export const ENGINES = { nginx: await findBinary('nginx'), haproxy: await findBinary('haproxy') };
/** The installed engine versions, looked up once (forInstalledEngines spawns the binaries on every call). */
const INSTALLED = (await forInstalledEngines({ targets: {} } as Model)).targets;

async function pool<T>(items: T[], size: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, async () => {
    while (next < items.length) await run(items[next++]);
  }));
}

export async function checkModels(items: BatchItem[], concurrency = 4): Promise<BatchReport> {
  const dir = mkdtempSync(join(tmpdir(), 'edgegen-batch-'));
  const report: BatchReport = { checked: 0, failures: [] };
  try {
    const certs = items.some((i) => i.model.tls) ? await makeTestCertificates(dir) : undefined;
    const jobs: { name: string; engine: 'nginx' | 'haproxy'; args: string[]; config: string }[] = [];
    for (const [i, item] of items.entries()) {
      const model: Model = { ...item.model, targets: { ...item.model.targets, ...INSTALLED } };
      const base = join(dir, String(i));
      const files = (p: string) => {
        // Every certificate path of the spec maps to the shared test files (HAProxy reads edge.key beside edge.crt).
        if (certs && p === model.tls?.certificate) return certs.cert;
        if (certs && p === model.tls?.key) return certs.key;
        if (certs && p === model.tls?.ca) return certs.ca;
        return join(base, 'files', p);
      };
      const plan = localPlan(model, { basePort: 30000, stateRoot: join(base, 'state'), files });
      for (const st of model.proxy?.settings.static ?? []) mkdirSync(files(st.root), { recursive: true });
      const nginx = (layer: 'proxy' | 'gateway', layerFiles: { path: string; content: string }[]) => {
        if (!ENGINES.nginx) return;
        const state = plan.stateDir(layer, 0);
        mkdirSync(join(state, 'tmp'), { recursive: true });
        const conf = writeLayer(join(base, layer), layerFiles);
        jobs.push({ name: item.name, engine: 'nginx', args: [ENGINES.nginx, '-t', '-p', state, '-e', join(state, 'error.log'), '-c', conf], config: conf });
      };
      if (model.proxy) nginx('proxy', emitNginxProxy(model, plan, { instance: 0 }));
      if (model.gateway?.settings.engine === 'nginx') {
        nginx('gateway', emitNginxGateway(model, plan, { instance: 0, env: item.env ?? {} }).map((f) => ({ path: f.path.replace(/^nginx-gateway\//, ''), content: f.content })));
      }
      if (model.loadBalancer && ENGINES.haproxy) {
        const cfg = writeLayer(plan.stateDir('loadBalancer', 0), emitHaproxy(model, plan, { instance: 0 }));
        jobs.push({ name: item.name, engine: 'haproxy', args: [ENGINES.haproxy, '-c', '-f', cfg], config: cfg });
      }
    }
    await pool(jobs, concurrency, async (j) => {
      const r = await execa(j.args[0], j.args.slice(1), { reject: false, all: true });
      report.checked++;
      if (r.exitCode !== 0) {
        report.failures.push({ name: j.name, engine: j.engine, detail: `${r.signal ?? `exit ${r.exitCode}`}: ${(r.all ?? '').trim()}`, config: readFileSync(j.config, 'utf8') });
      }
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return report;
}

import { execa, type ResultPromise } from 'execa';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { loadSpec } from '../../src/compile.js';
import { emitNginxGateway } from '../../src/emit/nginx/gateway.js';
import type { Env } from '../../src/emit/kong/secrets.js';
import { makeTestCertificates } from '../../src/engines/binaries.js';
import { localPlan, plannedPorts, type AddressPlan } from '../../src/model/plan.js';
import type { Model } from '../../src/model/types.js';

export function modelOf(text: string, file: string, nginxVersion?: string): Model {
  const r = loadSpec(text, file, nginxVersion ? { nginx: nginxVersion } : {});
  if (!r.model) throw new Error(`${file} is invalid: ${JSON.stringify(r.diagnostics)}`);
  return r.model;
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const s = createServer();
    s.once('error', () => done(false));
    s.listen(port, '127.0.0.1', () => s.close(() => done(true)));
  });
}

/** A loopback plan whose ports are all free right now (random high base, a few tries). */
export async function freeLocalPlan(model: Model, dir: string): Promise<AddressPlan> {
  for (let i = 0; i < 20; i++) {
    const basePort = 20000 + Math.floor(Math.random() * 40000);
    const plan = localPlan(model, { basePort, stateRoot: join(dir, 'state'), files: (p) => join(dir, 'files', p) });
    const ports = plannedPorts(model, plan).map((e) => e.port);
    if ((await Promise.all(ports.map(portFree))).every(Boolean)) return plan;
  }
  throw new Error('no free loopback ports found');
}

/** Emit the gateway layer for a plan into dir/out (with throw-away certificates when the spec has TLS); returns nginx.conf's path. */
export async function writeGateway(model: Model, plan: AddressPlan, dir: string, env: Env): Promise<string> {
  if (model.tls) {
    const certDir = join(dir, 'certs');
    mkdirSync(certDir, { recursive: true });
    const made = await makeTestCertificates(certDir);
    const files: [string, string][] = [[model.tls.certificate, made.cert], [model.tls.key, made.key]];
    if (model.tls.ca) files.push([model.tls.ca, made.ca]);
    for (const [specPath, from] of files) {
      mkdirSync(dirname(plan.file(specPath)), { recursive: true });
      writeFileSync(plan.file(specPath), readFileSync(from));
    }
  }
  mkdirSync(join(plan.stateDir('gateway', 0), 'tmp'), { recursive: true });
  for (const f of emitNginxGateway(model, plan, { instance: 0, env })) {
    mkdirSync(dirname(join(dir, 'out', f.path)), { recursive: true });
    writeFileSync(join(dir, 'out', f.path), f.content, { mode: f.mode });
  }
  return join(dir, 'out', 'nginx-gateway', 'nginx.conf');
}

/** `nginx -t` on an emitted config, with its state directory as prefix. */
export async function nginxTest(bin: string, conf: string, state: string) {
  return execa(bin, ['-t', '-q', '-p', state, '-e', join(state, 'error.log'), '-c', conf], { reject: false, all: true });
}

/** Run nginx in the foreground as our child; stop() sends QUIT and waits for the master to exit. */
export async function startNginx(bin: string, conf: string, state: string, readyPort: number) {
  const child: ResultPromise = execa(bin, ['-p', state, '-e', join(state, 'error.log'), '-c', conf, '-g', 'daemon off;'], { reject: false, all: true });
  const deadline = Date.now() + 10_000;
  while (await portFree(readyPort)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      const r = await child;
      throw new Error(`nginx did not start: ${r.all ?? ''} ${readFileSync(join(state, 'error.log'), 'utf8')}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    pid: child.pid,
    async stop() {
      child.kill('SIGQUIT');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await child;
      clearTimeout(t);
    },
  };
}

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, createServer, request, type Server } from 'node:http';
import { connect, createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compileSpec, loadSpec, type OutputFile } from '../../src/compile.js';
import { findBinary } from '../../src/engines/binaries.js';
import { forInstalledEngines } from '../../src/engines/check.js';
import { NJS_MODULE } from '../../src/emit/nginx/gateway.js';
import { localPlan, type AddressPlan } from '../../src/model/plan.js';
import { chooseRoute } from '../../src/model/routing.js';
import type { LayerKind, Model } from '../../src/model/types.js';
import { LARGE_ROUTES, type SpecLayer } from './routing-gen.js';

/**
 * Live routing on the real engines for the routing differential and mechanism tests. One set of echo backends (in this
 * process, one loopback port per service s<i>, each answering with its index) serves every route set; per route set
 * each engine gets a spec with only its own layer in front of the services, compiled with a loopback address plan, and
 * runs in the foreground (nginx -g 'daemon off;', haproxy -db) until it is stopped at the end of the set.
 */

export type EngineId = 'nginx-proxy' | 'nginx-gateway' | 'haproxy';
export const LIVE_ENGINES: EngineId[] = ['nginx-proxy', 'nginx-gateway', 'haproxy'];
export const KONG = 'kong';

const ENGINE: Record<EngineId, { layer: LayerKind; spec: SpecLayer; bin: 'nginx' | 'haproxy'; prefix: string }> = {
  'nginx-proxy': { layer: 'proxy', spec: 'proxy', bin: 'nginx', prefix: 'nginx/' },
  'nginx-gateway': { layer: 'gateway', spec: 'gateway-nginx', bin: 'nginx', prefix: 'nginx-gateway/' },
  haproxy: { layer: 'loadBalancer', spec: 'loadBalancer', bin: 'haproxy', prefix: 'haproxy/' },
};

/** What answered a request: a route name, "none" (404 no route matched), or anything else as text (never a route name). */
export type Answer = string;
export const NO_ROUTE = 'none';

export interface RouteRequest { method: string; host: string; path: string; headers: Record<string, string> }

export type KongRoute = (kongYamlText: string, req: { method: string; host?: string; path: string; headers?: Record<string, string> }, flavor?: string) => string | undefined;

export interface Availability { engine: EngineId | typeof KONG; ok: boolean; reason?: string }

const NO_ROUTE_BODIES = ['no route matched', 'no Route matched with those values'];

/** The spec texts of one route set, per layer. */
export type SpecTexts = (layer: SpecLayer) => string;

export interface SetResult {
  /** Per engine that ran: the answer to each request. */
  answers: Partial<Record<EngineId | typeof KONG, Answer[]>>;
  /** The model's choice for each request (route name or "none"). */
  model: Answer[];
  /** The path each echo backend saw, per engine and request (for failure reports). */
  seen: Partial<Record<EngineId, (string | undefined)[]>>;
  /** Engines that did not start, with their own last log lines and the spec. */
  errors: Partial<Record<EngineId, string>>;
}

export class RoutingLab {
  private readonly root = mkdtempSync(join(tmpdir(), 'edgegen-routing-'));
  private readonly children = new Set<Proc>();
  private launcher?: Launcher;
  private echoes: Server[] = [];
  private echoPorts: number[] = [];
  // Above the process runtime's ports (20000-59999) and Linux's ephemeral range (32768-60999), so tests running
  // beside this one (stacks, clients) never take a port between its check and an engine's bind.
  private nextPort = 61000 + Math.floor(Math.random() * 4000);
  private sets = 0;
  private readonly spareDirs: string[] = [];
  /** If this process exits before close(): kill each engine we started with its workers (its own process group). */
  private readonly onExit = () => { for (const c of this.children) killGroup(c.pid, 'SIGKILL'); };
  bins: Partial<Record<'nginx' | 'haproxy', string>> = {};
  availability: Availability[] = [];
  kongRoute?: KongRoute;
  private targets: { nginx?: string; haproxy?: string } = {};

  /** Find the engines, start the echo backends, load the Kong router model if it exists. */
  async open(kongRouterPath: string): Promise<this> {
    process.once('exit', this.onExit);
    this.launcher = new Launcher();
    this.bins.nginx = await findBinary('nginx');
    this.bins.haproxy = await findBinary('haproxy');
    for (const id of LIVE_ENGINES) {
      const bin = this.bins[ENGINE[id].bin];
      if (!bin) this.availability.push({ engine: id, ok: false, reason: `${ENGINE[id].bin} is not installed (bash scripts/setup.sh installs it)` });
      else if (id === 'nginx-gateway' && !existsSync(NJS_MODULE)) this.availability.push({ engine: id, ok: false, reason: `the njs module ${NJS_MODULE} is missing (apt-get install libnginx-mod-http-js)` });
      else this.availability.push({ engine: id, ok: true });
    }
    if (!existsSync(kongRouterPath)) this.availability.push({ engine: KONG, ok: false, reason: `${kongRouterPath} does not exist yet (Kong's router model for kong.yaml)` });
    else {
      try {
        const mod = await import(pathToFileURL(kongRouterPath).href) as { kongRoute?: KongRoute };
        if (typeof mod.kongRoute !== 'function') this.availability.push({ engine: KONG, ok: false, reason: `${kongRouterPath} exports no kongRoute function` });
        else { this.kongRoute = mod.kongRoute; this.availability.push({ engine: KONG, ok: true }); }
      } catch (e) {
        this.availability.push({ engine: KONG, ok: false, reason: `${kongRouterPath} does not load: ${(e as Error).message}` });
      }
    }
    // Emit for the installed versions (as --engine-check does), from any model: only targets are read.
    const probe = compileSpec('version: 1\nname: probe\nproxy: { ports: { http: 80 } }\nservices: [{ name: s, instances: [{ address: "127.0.0.1:1" }] }]\nroutes: [{ name: r, match: { path: / }, service: s }]\n', 'probe.yaml', { lint: false });
    const installed = (await forInstalledEngines(probe.model!)).targets;
    if (installed.nginx) this.targets.nginx = installed.nginx;
    if (installed.haproxy) this.targets.haproxy = installed.haproxy;
    for (let i = 0; i < LARGE_ROUTES.max; i++) {
      const server = createServer((req, res) => {
        req.resume();
        req.on('end', () => {
          const body = JSON.stringify({ echo: i, path: req.url });
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
          res.end(body);
        });
      });
      server.keepAliveTimeout = 60_000;
      await new Promise<void>((done, fail) => { server.once('error', fail); server.listen(0, '127.0.0.1', () => done()); });
      this.echoes.push(server);
      this.echoPorts.push((server.address() as { port: number }).port);
    }
    return this;
  }

  live(): EngineId[] {
    return LIVE_ENGINES.filter((id) => this.availability.find((a) => a.engine === id)?.ok);
  }

  /** Stop every engine still running, close the echo backends, remove the scratch directory. */
  async close(): Promise<void> {
    await Promise.all([...this.children].map((c) => stopProc(c)));
    await this.launcher?.close();
    await Promise.all(this.echoes.map((s) => new Promise<void>((done) => { s.closeAllConnections(); s.close(() => done()); })));
    this.echoes = [];
    process.removeListener('exit', this.onExit);
    rmSync(this.root, { recursive: true, force: true });
  }

  /** Compile a spec for a layer on loopback: the layer's ports from `basePort`, service i on echo backend i. */
  compile(text: string, basePort: number, stateRoot: string): { files: OutputFile[]; model: Model; plan: AddressPlan } {
    let plan: AddressPlan | undefined;
    const r = compileSpec(text, 'routing-diff.yaml', {
      lint: false, env: {}, targets: this.targets,
      plan: (m) => {
        const local = localPlan(m, { basePort, stateRoot });
        plan = { ...local, service: (name) => ({ host: '127.0.0.1', port: this.echoPorts[Number(name.slice(1))] }) };
        return plan;
      },
    });
    if (!r.ok || !r.model || !plan) throw new Error(`edgegen refused a generated spec:\n${r.diagnostics.map((d) => d.message).join('\n')}\n--- spec ---\n${text}`);
    return { files: r.files, model: r.model, plan };
  }

  /** Boot each live engine on its spec (in parallel), send every request to each, stop them; evaluate Kong on kong.yaml. */
  async run(specs: SpecTexts, requests: RouteRequest[]): Promise<SetResult> {
    // Directories are reused by later sets (configs overwritten once their engines have stopped), never removed per set.
    const dir = this.spareDirs.pop() ?? join(this.root, `slot-${++this.sets}`);
    const result: SetResult = { answers: {}, model: [], seen: {}, errors: {} };
    const running: Proc[] = [];
    try {
      const model = loadSpec(specs('proxy'), 'routing-diff.yaml').model;
      if (!model) throw new Error(`generated spec is invalid:\n${specs('proxy')}`);
      result.model = requests.map((q) => chooseRoute(model.routes, q)?.name ?? NO_ROUTE);
      // Each route has its own service, so the echo backend that answers (service s<i>) names the route.
      const routeOf = new Map(model.routes.map((r) => [r.service.name, r.name]));
      if (routeOf.size !== model.routes.length) throw new Error('every route needs its own service here');
      await Promise.all(this.live().map(async (id) => {
        // Connection errors (no answer at all, twice) mean the engine was not there to ask (a busy machine, a port
        // another test took meanwhile): the set is sent again to a fresh boot, at most twice; answers are never retried.
        for (let attempt = 0; ; attempt++) {
          let booted: { child: Proc; port: number };
          try {
            booted = await this.boot(id, specs(ENGINE[id].spec), join(dir, id));
            running.push(booted.child);
          } catch (e) {
            // An engine refusing an emitted config is a finding too: every request of the set counts against it.
            result.errors[id] = (e as Error).message;
            result.answers[id] = requests.map(() => `${id} did not start`);
            return;
          }
          const got = await sendAll(booted.port, requests);
          if (attempt < 2 && got.some((g) => g.answer.startsWith('error: '))) {
            running.splice(running.indexOf(booted.child), 1);
            await stopProc(booted.child);
            continue;
          }
          result.answers[id] = got.map((g) => routeOf.get(g.answer) ?? g.answer);
          result.seen[id] = got.map((g) => g.path);
          return;
        }
      }));
      if (this.kongRoute) {
        const kong = compileSpec(specs('gateway-kong'), 'routing-diff.yaml', { lint: false, env: {} });
        const yaml = kong.files.find((f) => f.path === 'kong/kong.yaml')?.content;
        if (!kong.ok || !yaml) throw new Error(`edgegen refused the Kong spec: ${kong.diagnostics.map((d) => d.message).join('; ')}`);
        const flavor = /^KONG_ROUTER_FLAVOR=(.*)$/m.exec(kong.files.find((f) => f.path === 'kong/kong.env')?.content ?? '')?.[1]?.replace(/^"|"$/g, '');
        result.answers[KONG] = requests.map((q) => this.kongRoute!(yaml, q, flavor) ?? NO_ROUTE);
      }
    } finally {
      await Promise.all(running.map((p) => stopProc(p)));
      this.spareDirs.push(dir);
    }
    return result;
  }

  /** Compile, write and start one engine; resolves once its entry port accepts connections. Retries on a taken port. */
  private async boot(id: EngineId, text: string, dir: string): Promise<{ model: Model; port: number; child: Proc }> {
    const e = ENGINE[id];
    let last = '';
    for (let attempt = 0; attempt < 3; attempt++) {
      const basePort = await this.freeBlock(3);
      const { files, model, plan } = this.compile(text, basePort, join(dir, 'state'));
      const state = plan.stateDir(e.layer, 0);
      mkdirSync(join(state, 'tmp'), { recursive: true });
      mkdirSync(join(state, 'logs'), { recursive: true });
      writeFileSync(join(state, 'error.log'), '');
      // Every file of the layer in its state directory, as the process runtime lays it out (HAProxy's map files are read from there).
      for (const f of files) {
        const to = join(state, f.path.slice(e.prefix.length));
        mkdirSync(dirname(to), { recursive: true });
        writeFileSync(to, f.content, { mode: f.mode });
      }
      const main = join(state, files[0].path.slice(e.prefix.length));
      const argv = e.bin === 'nginx' ? ['-p', state, '-e', join(state, 'error.log'), '-c', main, '-g', 'daemon off;'] : ['-db', '-f', main];
      const output = join(state, 'output.log');
      const child = await this.launcher!.start(this.bins[e.bin]!, argv, output);
      if (child.running) this.children.add(child);
      void child.exited.then(() => this.children.delete(child));
      const port = plan.bind(e.layer, 0, 'http').port;
      if (await listening(child, port)) return { model, port, child };
      const slow = child.running;
      await stopProc(child);
      last = [output, join(state, 'error.log')].map((f) => (existsSync(f) ? readFileSync(f, 'utf8').slice(-2000) : '')).join('');
      if (slow) last = `still not accepting on port ${port} after 20 s\n${last}`;
      // A port taken meanwhile or a start slowed down by a busy machine is tried again; an engine refusing its config is not.
      if (!slow && !/address already in use/i.test(last)) break;
    }
    throw new Error(`${id} did not start:\n${last}\n--- spec ---\n${text}`);
  }

  /** `n` consecutive loopback ports free right now, taken from a moving window so a stopped engine's ports rest. */
  private async freeBlock(n: number): Promise<number> {
    for (let tries = 0; tries < 200; tries++) {
      if (this.nextPort + n > 65500) this.nextPort = 61000;
      const base = this.nextPort;
      this.nextPort += n;
      const free = await Promise.all(Array.from({ length: n }, (_, k) => portFree(base + k)));
      if (free.every(Boolean)) return base;
    }
    throw new Error('no free loopback ports');
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const s = createTcpServer();
    s.once('error', () => done(false));
    s.listen(port, '127.0.0.1', () => s.close(() => done(true)));
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((done) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); done(true); });
    s.once('error', () => done(false));
  });
}

/** Wait until the engine accepts on its entry port (it binds every listener at once); false if it exits or 20 s pass. */
async function listening(child: Proc, port: number): Promise<boolean> {
  const deadline = Date.now() + 20_000;
  let wait = 5;
  while (!(await canConnect(port))) {
    if (!child.running || Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, wait));
    wait = Math.min(wait * 2, 40);
  }
  return true;
}

/** Signal the process group of an engine we started (it leads its own session: its pid is the group's id). */
function killGroup(pid: number, signal: NodeJS.Signals) {
  if (!(pid > 1)) return;
  try { process.kill(-pid, signal); } catch { try { process.kill(pid, signal); } catch { /* gone */ } }
}

/** Stop an engine we started: TERM (nginx stops its workers first), KILL to its group after 5 s; resolves once it has exited. */
async function stopProc(p: Proc): Promise<void> {
  if (!p.running) return;
  try { process.kill(p.pid, 'SIGTERM'); } catch { /* exiting */ }
  const timer = setTimeout(() => killGroup(p.pid, 'SIGKILL'), 5000);
  await p.exited;
  clearTimeout(timer);
}

/** An engine started by the launcher. */
interface Proc { pid: number; running: boolean; exited: Promise<number> }

const quoteSh = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Starts engines from a small shell instead of this process: forking a large node process costs ~10 ms of CPU and
 * blocks its event loop (which also serves the echo backends) until the child has exec'd. Each engine runs in its
 * own session (setsid: master and workers in one group); the shell reports its pid and, when it ends, its exit. On
 * end of input (close(), or this process dying) the shell signals every engine still running.
 */
class Launcher {
  private readonly sh: ChildProcess;
  private readonly pending = new Map<number, { pid: (pid: number) => void; exit: (code: number) => void }>();
  private tags = 0;
  private buffer = '';

  constructor() {
    const script = [
      'while IFS= read -r line; do',
      '  eval "set -- $line"; tag=$1; log=$2; shift 2',
      '  ( setsid "$@" </dev/null >"$log" 2>&1 & p=$!; trap \'kill -TERM $p 2>/dev/null\' TERM; echo "pid $tag $p"; wait $p; echo "exit $tag $?" ) &',
      'done',
      'for j in $(jobs -p); do kill -TERM "$j" 2>/dev/null; done',
      'wait',
    ].join('\n');
    // stderr ignored: bash's job notices ("Killed"); each engine's own output goes to its log file.
    this.sh = spawn('bash', ['-c', script], { stdio: ['pipe', 'pipe', 'ignore'] });
    // Should the shell itself end, nothing it started reports any more: count them as exited.
    this.sh.once('exit', () => { for (const w of this.pending.values()) { w.pid(-1); w.exit(-1); } this.pending.clear(); });
    this.sh.stdout!.on('data', (b: Buffer) => {
      this.buffer += b.toString();
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const [what, tag, n] = this.buffer.slice(0, nl).split(' ');
        this.buffer = this.buffer.slice(nl + 1);
        const w = this.pending.get(Number(tag));
        if (what === 'pid') w?.pid(Number(n));
        else if (what === 'exit') { this.pending.delete(Number(tag)); w?.exit(Number(n)); }
      }
    });
  }

  start(bin: string, argv: string[], log: string): Promise<Proc> {
    if (this.sh.exitCode !== null || this.sh.signalCode !== null) return Promise.reject(new Error('the engine launcher (bash) has exited'));
    const tag = ++this.tags;
    return new Promise((resolve) => {
      let onExit!: (code: number) => void;
      const exited = new Promise<number>((done) => { onExit = done; });
      this.pending.set(tag, {
        pid: (pid) => {
          const p: Proc = { pid, running: pid > 0, exited };
          void exited.then(() => { p.running = false; });
          resolve(p);
        },
        exit: onExit,
      });
      this.sh.stdin!.write(`${[String(tag), log, bin, ...argv].map(quoteSh).join(' ')}\n`);
    });
  }

  async close(): Promise<void> {
    if (this.sh.exitCode !== null) return;
    const ended = new Promise<void>((done) => this.sh.once('exit', () => done()));
    this.sh.stdin!.end();
    await ended;
  }
}

/** Send every request on keep-alive connections to one engine; classify each answer. */
async function sendAll(port: number, requests: RouteRequest[]): Promise<{ answer: Answer; path?: string }[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  try {
    // A connection error (not an answer) is tried once more on a fresh connection: routing is what is observed here.
    return await Promise.all(requests.map(async (q) => {
      const first = await send(agent, port, q);
      return first.answer.startsWith('error: ') ? send(agent, port, q) : first;
    }));
  } finally {
    agent.destroy();
  }
}

function send(agent: Agent, port: number, q: RouteRequest): Promise<{ answer: Answer; path?: string }> {
  return new Promise((done) => {
    const headers: Record<string, string> = { host: q.host, ...q.headers };
    if (q.method === 'POST') headers['content-length'] = '0';
    const req = request({ host: '127.0.0.1', port, method: q.method, path: q.path, headers, agent, timeout: 15_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const status = res.statusCode ?? 0;
        if (status === 200) {
          try {
            const j = JSON.parse(body) as { echo?: number; path?: string };
            if (typeof j.echo === 'number') return done({ answer: `s${j.echo}`, path: j.path });
          } catch { /* not the echo */ }
        }
        if (status === 404 && NO_ROUTE_BODIES.some((b) => body.includes(b))) return done({ answer: NO_ROUTE });
        const where = res.headers.location ? ` Location: ${res.headers.location}` : '';
        done({ answer: `HTTP ${status}${where} ${body.slice(0, 80).replace(/\s+/g, ' ')}`.trim() });
      });
      res.on('error', (e) => done({ answer: `error: ${e.message}` }));
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 15 s')));
    req.on('error', (e) => done({ answer: `error: ${e.message}` }));
    req.end();
  });
}

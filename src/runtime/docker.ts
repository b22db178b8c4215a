import Docker from 'dockerode';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RuntimeError, tail, type Driver, type UnitHandle } from './driver.js';
import { DEFAULT_IMAGES, type ImageLayer } from './images.js';
import { readState, type UnitState } from './state.js';
import { stopSignal, type Unit, type UnitBridge } from './units.js';
import { projectRoot as rootDir } from '../paths.js';

export type ImageOverrides = Partial<Record<ImageLayer, string>>;

export const STACK_LABEL = 'edgegen.stack';
/** Seconds a container gets to stop gracefully before Docker kills it. */
const STOP_GRACE_S = 10;
const projectRoot = rootDir();

export async function dockerAvailable(docker = new Docker()): Promise<boolean> {
  try {
    await docker.ping();
    return true;
  } catch {
    return false;
  }
}

/** Split Docker's multiplexed log stream (8-byte frame headers) into text. */
function demux(buf: Buffer): string {
  let out = '';
  let i = 0;
  while (i + 8 <= buf.length && (buf[i] === 1 || buf[i] === 2) && buf[i + 1] === 0) {
    const size = buf.readUInt32BE(i + 4);
    out += buf.subarray(i + 8, i + 8 + size).toString('utf8');
    i += 8 + size;
  }
  return i === 0 ? buf.toString('utf8') : out;
}

function imageLayer(u: Pick<Unit, 'layer'>): ImageLayer {
  return u.layer === 'service' ? 'service' : u.layer;
}

/** The official image for a unit's engine (an nginx-engine gateway runs the nginx image). */
function defaultImage(u: Pick<Unit, 'engine'>): string {
  return { nginx: DEFAULT_IMAGES.proxy, haproxy: DEFAULT_IMAGES.loadBalancer, kong: DEFAULT_IMAGES.gateway, echo: DEFAULT_IMAGES.service }[u.engine];
}

/** What the stack recorded about a unit it already ran (a restart after `up`, e.g. by the failover checks). */
function recorded(stateDir: string, id: string): UnitState | undefined {
  try {
    return readState(stateDir)?.units.find((u) => u.id === id);
  } catch {
    return undefined;
  }
}

/**
 * Containers labelled with the stack name; the state dir and edgegen's own dist/ (for the echo backend) are
 * bind-mounted at their host paths so configs need no rewriting. A unit laid out for network mode host runs on the
 * host network (every hop on loopback); one laid out for bridge (unit.bridge) joins the stack's user-defined bridge
 * network with its service name as DNS alias, its listen ports published on 127.0.0.1 only.
 */
export function dockerDriver(overrides: ImageOverrides = {}, docker = new Docker()): Driver {
  const imageFor = (u: Pick<Unit, 'layer' | 'engine'>, before?: UnitState) => overrides[imageLayer(u)] ?? before?.image ?? defaultImage(u);
  const create = async (unit: Unit, logFile: string): Promise<{ container: Docker.Container } & UnitHandle> => {
    const stateDir = logFile.replace(/\/logs\/[^/]+$/, '');
    const stack = stateDir.split('/').pop()!;
    const before = unit.bridge ? undefined : recorded(stateDir, unit.id);
    const bridge: UnitBridge | undefined = unit.bridge ?? before?.bridge;
    const image = imageFor(unit, before);
    const name = `edgegen-${stack}-${unit.id}`;
    const old = docker.getContainer(name);
    await old.remove({ force: true }).catch(() => {});
    const tcp = (port: number) => `${port}/tcp`;
    const container = await docker.createContainer({
      name,
      Image: image,
      Cmd: unit.argv,
      Entrypoint: unit.engine === 'kong' ? undefined : [],
      Env: Object.entries(unit.env).map(([k, v]) => `${k}=${v}`),
      // Root inside the container so the engines can read the 0600 keys edgegen wrote.
      User: '0',
      Labels: { [STACK_LABEL]: stack, 'edgegen.unit': unit.id },
      // What `docker stop` (and edgegen down) sends first: the engine's graceful stop (nginx SIGQUIT, HAProxy SIGUSR1).
      StopSignal: stopSignal(unit.engine),
      StopTimeout: STOP_GRACE_S,
      ...(bridge ? {
        ExposedPorts: Object.fromEntries(bridge.publish.map((p) => [tcp(p.port), {}])),
        NetworkingConfig: { EndpointsConfig: { [bridge.network]: { Aliases: [bridge.alias] } } },
      } : {}),
      HostConfig: {
        NetworkMode: bridge ? bridge.network : 'host',
        // Published on loopback only: nothing edgegen publishes is reachable from other machines.
        ...(bridge ? { PortBindings: Object.fromEntries(bridge.publish.map((p) => [tcp(p.port), [{ HostIp: '127.0.0.1', HostPort: String(p.host.port) }]])) } : {}),
        Binds: [`${stateDir}:${stateDir}`, `${projectRoot}/dist:${projectRoot}/dist:ro`],
        AutoRemove: false,
      },
    });
    return { container, containerId: container.id, image };
  };
  return {
    kind: 'docker',
    async preflight(units: Unit[]) {
      if (!(await dockerAvailable(docker))) throw new RuntimeError('Docker is not running (no answer from the Docker engine); start dockerd or use --runtime process');
      for (const ref of new Set(units.map((u) => imageFor(u)))) {
        try {
          await docker.getImage(ref).inspect();
        } catch {
          try {
            await new Promise<void>((resolve, reject) => docker.pull(ref, (err: Error | null, stream: NodeJS.ReadableStream) => {
              if (err) return reject(err);
              docker.modem.followProgress(stream, (e: Error | null) => (e ? reject(e) : resolve()));
            }));
          } catch (e) {
            throw new RuntimeError(`image ${ref} is not available locally and could not be pulled (${(e as Error).message.split('\n')[0]}); build or load it, or choose another with --image <layer>=<ref>`);
          }
        }
      }
    },
    async create(unit: Unit, logFile: string) {
      const { containerId, image } = await create(unit, logFile);
      return { containerId, image };
    },
    async start(unit: Unit, logFile: string) {
      const { container, containerId, image } = await create(unit, logFile);
      try {
        await container.start();
      } catch (e) {
        // Not recorded in the stack yet: remove it here, or it would keep its name (and its network) busy.
        await container.remove({ force: true, v: true }).catch(() => {});
        throw new RuntimeError(`${unit.id}: Docker could not start its container (${(e as Error).message.split('\n')[0]})`);
      }
      return { containerId, image };
    },
    async alive(u: UnitState) {
      if (!u.containerId) return false;
      try {
        return Boolean((await docker.getContainer(u.containerId).inspect()).State.Running);
      } catch {
        return false;
      }
    },
    async stop(u: UnitState) {
      if (!u.containerId) return;
      const c = docker.getContainer(u.containerId);
      await c.stop({ t: STOP_GRACE_S }).catch(() => {});
      await c.remove({ force: true, v: true }).catch(() => {});
    },
    async logs(u: UnitState, lines = 50) {
      let text = '';
      if (u.containerId) {
        try {
          text = demux((await docker.getContainer(u.containerId).logs({ stdout: true, stderr: true, tail: lines, follow: false })) as unknown as Buffer);
        } catch { /* container gone */ }
      }
      const e = u.argv.indexOf('-e');
      if (u.engine === 'nginx' && e > 0 && existsSync(u.argv[e + 1])) text += readFileSync(u.argv[e + 1], 'utf8');
      return tail(text, lines);
    },
    network: {
      async create(name: string, stack: string) {
        const existing = await docker.getNetwork(name).inspect().catch(() => undefined) as Docker.NetworkInspectInfo | undefined;
        if (existing) {
          // A network a previous run of this stack left behind is reused; its old containers are replaced by name.
          if (existing.Labels?.[STACK_LABEL] === stack && existing.Driver === 'bridge') return;
          throw new RuntimeError(`a Docker network named ${name} already exists and is not edgegen's bridge network for stack ${stack} (label ${STACK_LABEL}=${stack}); remove or rename it, or use --network host`);
        }
        try {
          await docker.createNetwork({ Name: name, Driver: 'bridge', CheckDuplicate: true, Labels: { [STACK_LABEL]: stack } });
        } catch (e) {
          throw new RuntimeError(`could not create the Docker bridge network ${name} (${(e as Error).message.split('\n')[0]}); use --network host`);
        }
      },
      async remove(name: string, stack: string) {
        const net = docker.getNetwork(name);
        const info = await net.inspect().catch(() => undefined) as Docker.NetworkInspectInfo | undefined;
        if (!info || info.Labels?.[STACK_LABEL] !== stack) return;
        try {
          await net.remove();
        } catch (e) {
          throw new RuntimeError(`could not remove the Docker network ${name} (${(e as Error).message.split('\n')[0]}); remove it with docker network rm ${name}`);
        }
      },
    },
  };
}

/** Everything labelled with a stack's name (containers, networks, volumes): what `down` must leave behind empty. */
export async function labelled(stack: string, docker = new Docker()) {
  const filters = JSON.stringify({ label: [`${STACK_LABEL}=${stack}`] });
  const [containers, networks, volumes] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
    docker.listVolumes({ filters }),
  ]);
  return { containers, networks, volumes: volumes.Volumes ?? [] };
}

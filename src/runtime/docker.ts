import Docker from 'dockerode';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RuntimeError, tail, type Driver } from './driver.js';
import { DEFAULT_IMAGES, type ImageLayer } from './images.js';
import type { UnitState } from './state.js';
import type { Unit } from './units.js';

export type ImageOverrides = Partial<Record<ImageLayer, string>>;

export const STACK_LABEL = 'edgegen.stack';
const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

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

/**
 * Containers on the host network (every hop on loopback), labelled with the stack name; the state dir and edgegen's
 * own dist/ (for the echo backend) are bind-mounted at their host paths so configs need no rewriting.
 */
export function dockerDriver(overrides: ImageOverrides = {}, docker = new Docker()): Driver {
  const imageFor = (u: Pick<Unit, 'layer' | 'engine'>) => overrides[imageLayer(u)] ?? defaultImage(u);
  return {
    kind: 'docker',
    async preflight(units: Unit[]) {
      if (!(await dockerAvailable(docker))) throw new RuntimeError('Docker is not running (no answer from the Docker engine); start dockerd or use --runtime process');
      for (const ref of new Set(units.map(imageFor))) {
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
    async start(unit: Unit, logFile: string) {
      const stateDir = logFile.replace(/\/logs\/[^/]+$/, '');
      const image = imageFor(unit);
      const name = `edgegen-${stateDir.split('/').pop()}-${unit.id}`;
      const old = docker.getContainer(name);
      await old.remove({ force: true }).catch(() => {});
      const container = await docker.createContainer({
        name,
        Image: image,
        Cmd: unit.argv,
        Entrypoint: unit.engine === 'kong' ? undefined : [],
        Env: Object.entries(unit.env).map(([k, v]) => `${k}=${v}`),
        // Root inside the container so the engines can read the 0600 keys edgegen wrote; ports are unprivileged loopback ports.
        User: '0',
        Labels: { [STACK_LABEL]: stateDir.split('/').pop()!, 'edgegen.unit': unit.id },
        HostConfig: {
          NetworkMode: 'host',
          Binds: [`${stateDir}:${stateDir}`, `${projectRoot}/dist:${projectRoot}/dist:ro`],
          AutoRemove: false,
        },
      });
      await container.start();
      return { containerId: container.id, image };
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
      await c.stop({ t: 5 }).catch(() => {});
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

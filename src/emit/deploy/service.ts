import { probeCommand, type DeployUnit, type MountedFile, type Probe } from './units.js';

/** Compose files interpolate $: every generated string is escaped ($$) except values left for interpolation. */
export const literal = (s: string) => s.replace(/\$/g, '$$$$');

/** The file-backed configs and secrets of a Compose file or stack file, keyed by object name. */
export function objects(units: DeployUnit[], secret: boolean, swarm: boolean): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const u of units)
    for (const f of u.files)
      if (f.secret === secret) {
        const file = f.external ? f.file : `./${f.file}`;
        out[f.object] = swarm ? { file, name: f.object } : { file };
      }
  return out;
}

function mounts(files: MountedFile[], secret: boolean) {
  return files.filter((f) => f.secret === secret).map((f) => ({ source: f.object, target: f.target, mode: secret ? 0o400 : 0o444 }));
}

/** The keys a unit has in both Compose and Swarm stack files. */
export function commonService(u: DeployUnit, probe: Probe): Record<string, unknown> {
  const env = Object.fromEntries(Object.entries(u.env).map(([k, v]) => [k, u.interpolate?.includes(k) ? v : literal(v)]));
  const h = u.health;
  return {
    image: u.image,
    ...(u.command ? { command: u.command.map(literal) } : {}),
    ...(u.root ? { user: '0' } : {}),
    ...(Object.keys(env).length ? { environment: env } : {}),
    ...(u.files.some((f) => !f.secret) ? { configs: mounts(u.files, false) } : {}),
    ...(u.files.some((f) => f.secret) ? { secrets: mounts(u.files, true) } : {}),
    ...(u.binds?.length || u.stateDirs.length ? { volumes: [
      ...(u.binds ?? []).map((b) => ({ type: 'bind', source: b, target: b, read_only: true })),
      // The engine's cache and temp files: a tmpfs (the service-level tmpfs key is not read by docker stack deploy).
      ...u.stateDirs.map((d) => ({ type: 'tmpfs', target: d })),
    ] } : {}),
    healthcheck: { test: probeCommand(u, probe).map(literal), interval: `${h.intervalS}s`, timeout: `${h.timeoutS}s`, retries: h.retries, start_period: '30s' },
    stop_signal: u.stopSignal,
    stop_grace_period: '10s',
  };
}

/** The ports a unit listens on, in a stable order. */
export function listenPorts(u: DeployUnit): number[] {
  return (['http', 'https'] as const).map((k) => u.ports[k]).filter((p): p is number => p !== undefined);
}

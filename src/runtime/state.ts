import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LayerKind } from '../model/types.js';
import type { Engine, Unit, UnitBridge } from './units.js';

export type RuntimeKind = 'process' | 'docker';

/** host: every hop on loopback (host networking for Docker); bridge: a user-defined Docker bridge network with service names. */
export type NetworkMode = 'host' | 'bridge';
export const NETWORK_MODES: readonly NetworkMode[] = ['host', 'bridge'];

export interface UnitState {
  id: string;
  layer: LayerKind | 'service';
  engine: Engine;
  instance: number;
  service?: string;
  pid?: number;
  containerId?: string;
  logFile: string;
  health: Unit['health'];
  ports: Unit['ports'];
  /** What the runtime needs to start this unit again (failover checks restart instances). */
  argv: string[];
  env: Record<string, string>;
  image?: string;
  /** Network mode bridge: the unit's service name and published ports (also what a restart needs). */
  bridge?: UnitBridge;
}

export interface StackState {
  name: string;
  spec: string;
  runtime: RuntimeKind;
  /** Absent in state written before network modes existed: host. */
  network?: NetworkMode;
  /** The Docker network `up` created (network mode bridge); `down` removes it. */
  networkName?: string;
  /** false when `up` only created the units (--no-start). */
  started?: boolean;
  stateDir: string;
  basePort: number;
  controlToken: string;
  bypassed: LayerKind[];
  entry: { http?: string; https?: string };
  caFile?: string;
  units: UnitState[];
  startedAt: string;
}

export function stateDirFor(root: string, name: string): string {
  return join(root, '.edgegen', name);
}

export function readState(dir: string): StackState | undefined {
  const f = join(dir, 'state.json');
  if (!existsSync(f)) return undefined;
  return JSON.parse(readFileSync(f, 'utf8')) as StackState;
}

export function writeState(state: StackState): void {
  mkdirSync(state.stateDir, { recursive: true });
  const f = join(state.stateDir, 'state.json');
  writeFileSync(`${f}.tmp`, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
  renameSync(`${f}.tmp`, f);
}

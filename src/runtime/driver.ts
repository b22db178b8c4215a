import type { RuntimeKind, UnitState } from './state.js';
import type { Unit } from './units.js';

export type UnitHandle = Pick<UnitState, 'pid' | 'containerId' | 'image'>;

/** What a runtime (local processes or Docker containers) does for one unit. */
export interface Driver {
  kind: RuntimeKind;
  /** Throws a RuntimeError naming the choices when an engine cannot run here. */
  preflight(units: Unit[]): Promise<void>;
  /** Create a unit without running it (Docker: the container, ready to inspect). Absent where that cannot be (processes). */
  create?(unit: Unit, logFile: string): Promise<UnitHandle>;
  /** Create and run a unit. */
  start(unit: Unit, logFile: string): Promise<UnitHandle>;
  alive(u: UnitState): Promise<boolean>;
  stop(u: UnitState): Promise<void>;
  logs(u: UnitState, lines?: number): Promise<string>;
  /** A stack's own network (Docker: a user-defined bridge network labelled with the stack). Absent where there is none. */
  network?: {
    /** Create it, or reuse the one a previous run of the same stack left; refuses a same-named network edgegen did not make. */
    create(name: string, stack: string): Promise<void>;
    /** Remove it if it exists and belongs to the stack. */
    remove(name: string, stack: string): Promise<void>;
  };
}

/** A failure to start or run the stack; the message is for the user. */
export class RuntimeError extends Error {}

export function tail(text: string, lines = 20): string {
  const all = text.trimEnd().split('\n');
  return all.slice(-lines).join('\n');
}

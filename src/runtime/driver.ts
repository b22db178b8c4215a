import type { RuntimeKind, UnitState } from './state.js';
import type { Unit } from './units.js';

/** What a runtime (local processes or Docker containers) does for one unit. */
export interface Driver {
  kind: RuntimeKind;
  /** Throws a RuntimeError naming the choices when an engine cannot run here. */
  preflight(units: Unit[]): Promise<void>;
  start(unit: Unit, logFile: string): Promise<Pick<UnitState, 'pid' | 'containerId' | 'image'>>;
  alive(u: UnitState): Promise<boolean>;
  stop(u: UnitState): Promise<void>;
  logs(u: UnitState, lines?: number): Promise<string>;
}

/** A failure to start or run the stack; the message is for the user. */
export class RuntimeError extends Error {}

export function tail(text: string, lines = 20): string {
  const all = text.trimEnd().split('\n');
  return all.slice(-lines).join('\n');
}

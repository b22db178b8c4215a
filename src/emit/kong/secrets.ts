import type { Secret } from '../../spec/primitives.js';

/** Thrown when an environment reference cannot be resolved; names the variable, never a value. */
export class MissingSecretError extends Error {
  constructor(readonly variable: string, readonly where: string) {
    super(`environment variable ${variable} is not set (needed for ${where})`);
  }
}

export type Env = Readonly<Record<string, string | undefined>>;

/** Resolve a secret where the engine needs the literal value in its file. */
export function resolveSecret(secret: Secret, env: Env, where: string): { value: string; fromEnv: boolean } {
  if (typeof secret === 'string') return { value: secret, fromEnv: false };
  const value = env[secret.env];
  if (value === undefined || value === '') throw new MissingSecretError(secret.env, where);
  if (!/^[\x21-\x7E]{1,512}$/.test(value)) throw new MissingSecretError(secret.env, `${where}: the value must be printable ASCII without spaces`);
  return { value, fromEnv: true };
}

/** A Kong vault reference for fields Kong resolves itself (kong-facts §5: env vault uppercases and maps "-" to "_"). */
export function vaultReference(secret: Secret): string {
  return typeof secret === 'string' ? secret : `{vault://env/${secret.env.toLowerCase()}}`;
}

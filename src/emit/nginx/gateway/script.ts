import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AuthPolicy, Model } from '../../../model/types.js';
import { resolveSecret, type Env } from '../../kong/secrets.js';
import { EmitError, UNSAFE_CHARS } from '../../text.js';
import { projectRoot as rootDir } from '../../../paths.js';

const TEMPLATE = join(rootDir(), 'templates', 'nginx-gateway', 'edgegen-gateway.js');

/** SHA-512 round constants (first 64 bits of the cube roots of the first 80 primes), as 160 32-bit hex words. */
function sha512Constants(): string {
  const primes: number[] = [];
  for (let i = 2; primes.length < 80; i++) if (primes.every((p) => i % p)) primes.push(i);
  const cbrt = (x: bigint) => {
    let lo = 0n, hi = 1n;
    while (hi ** 3n <= x) hi *= 2n;
    while (hi - lo > 1n) { const mid = (lo + hi) / 2n; if (mid ** 3n <= x) lo = mid; else hi = mid; }
    return lo;
  };
  return primes.map((p) => (cbrt(BigInt(p) << 192n) & ((1n << 64n) - 1n)).toString(16).padStart(16, '0')).join('');
}

/** What the script needs to know about an auth policy (no secrets). */
export type ScriptPolicy = { type: 'key'; names: string[]; query: boolean } | { type: 'jwt'; header: string; claim: string; claims: string[] };

export function scriptPolicy(a: AuthPolicy): ScriptPolicy {
  // Kong's key-auth looks names up lower-cased (the Kong emitter writes key_names lower-case).
  return a.type === 'key'
    ? { type: 'key', names: a.keyNames.map((k) => k.toLowerCase()), query: a.inQuery }
    : { type: 'jwt', header: a.header, claim: a.keyClaim, claims: a.claims };
}

/** JSON that is also a safe JavaScript expression (no line separators reach the file). */
function json(value: unknown): string {
  const text = JSON.stringify(value);
  if (UNSAFE_CHARS.test(text)) throw new EmitError('a gateway policy contains a control or line-break character');
  return text;
}

/** The njs module: the static template with the policies of this spec. */
export function gatewayScript(header: string, policies: Record<string, ScriptPolicy>): string {
  const src = readFileSync(TEMPLATE, 'utf8').replace('__POLICIES__', () => json(policies)).replace('__K512__', sha512Constants);
  return `// ${header}\n${src}`;
}

/**
 * The credentials module (written 0600): API keys as SHA-256 digests (looked up exactly, so case matters as in Kong),
 * JWT secrets by their key-claim value. A key shared by two credentials is an error, as Kong refuses it too.
 */
export function credentialsModule(header: string, model: Model, env: Env): string {
  const keys: Record<string, string> = {};
  const jwt: Record<string, { alg: string; secret: string; consumer: string }> = {};
  const consumers: Record<string, { customId?: string }> = {};
  for (const c of model.consumers) {
    consumers[c.name] = c.customId ? { customId: c.customId } : {};
    c.keys.forEach((k, i) => {
      const { value } = resolveSecret(k, env, `API key ${i + 1} of consumer "${c.name}"`);
      const digest = createHash('sha256').update(value).digest('hex');
      if (keys[digest] !== undefined) throw new EmitError(`consumer "${c.name}" has an API key that another credential already uses`);
      keys[digest] = c.name;
    });
    for (const j of c.jwt) {
      const { value } = resolveSecret(j.secret, env, `JWT secret "${j.key}" of consumer "${c.name}"`);
      if (jwt[`k:${j.key}`]) throw new EmitError(`JWT key "${j.key}" is used by two credentials`);
      jwt[`k:${j.key}`] = { alg: j.algorithm, secret: value, consumer: c.name };
    }
  }
  return `// ${header}\nexport default ${json({ keys, jwt, consumers })};\n`;
}

// Generated entity ids of the Kong validator (src/kong/schema/ids.ts): UUIDv5 with the
// per-entity namespace cached, checked against a one-shot node:crypto implementation.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { entityUuid, uuidV5 } from '../src/kong/schema/ids.js';

/** RFC 4122 UUIDv5 with node:crypto, as ids.ts had it before the namespace cache. */
function reference(namespace: string, name: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const h = createHash('sha1').update(Buffer.concat([ns, Buffer.from(name, 'utf8')])).digest().subarray(0, 16);
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

const ENTITIES = 'fd02801f-0957-4a15-a55a-c8d9606f30b5';

describe('UUIDv5 for generated entity ids', () => {
  it('matches the Python uuid5 example', () => {
    expect(uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'python.org')).toBe('886313e1-3b8a-5372-9b90-0c9aee199e5d');
  });

  it('matches node:crypto for ASCII, UTF-8, long names and lone surrogates', () => {
    const names = ['', 'a', 'svc-1', 'plugins:*:key-auth::0855b320-0dd2-547d-891d-601e9b38647f:', 'é', '日本語', '😀', '\uD800', 'x\uDC00y', 'z'.repeat(130)];
    for (const name of names) {
      expect(uuidV5(ENTITIES, name)).toBe(reference(ENTITIES, name));
      for (const entity of ['services', 'routes', 'plugins', 'targets']) {
        expect(entityUuid(entity, name)).toBe(reference(reference(ENTITIES, entity), name));
      }
    }
  });
});

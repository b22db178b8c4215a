import { z } from 'zod';
import { spec } from './schema.js';

/** JSON Schema of the spec, generated from the zod schema (what the user writes, with defaults). */
export function jsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(spec, { io: 'input', target: 'draft-2020-12', unrepresentable: 'any' }) as Record<string, unknown>;
  return { ...schema, $id: 'https://edgegen.dev/schemas/edgegen.schema.json', title: 'edgegen topology spec' };
}

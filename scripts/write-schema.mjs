// Regenerates schemas/edgegen.schema.json from the zod schema (run after `npm run build`).
import { writeFileSync } from 'node:fs';
import { jsonSchema } from '../dist/spec/json-schema.js';

writeFileSync(new URL('../schemas/edgegen.schema.json', import.meta.url), JSON.stringify(jsonSchema(), null, 2) + '\n');
console.log('wrote schemas/edgegen.schema.json');

// Writes docs/schema/*.json from the zod schemas (src/report/json-schema.ts), after `tsc` built
// dist/. `npm run schema`; test/unit/report-json-schema.test.ts fails while the copies are stale.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { buildJsonSchemas, SCHEMA_DIR } = await import(path.join(root, 'dist/src/report/json-schema.js'));
const dir = path.join(root, SCHEMA_DIR);
await mkdir(dir, { recursive: true });
for (const [file, text] of Object.entries(buildJsonSchemas())) {
  await writeFile(path.join(dir, file), text);
  console.log(path.join(SCHEMA_DIR, file));
}

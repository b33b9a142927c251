// Writes openapi.yaml from the route schemas (which come from schemas/). `npm run openapi`.
// test/openapi.test.ts fails when the committed file and this output differ.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadConfig } from '../src/config.js';
import { buildService } from '../workers/index.js';

export async function generateOpenApi(): Promise<string> {
  const app = await buildService(loadConfig({ ROLE: 'api', LOG_LEVEL: 'silent' }));
  await app.ready();
  try {
    return app.swagger({ yaml: true });
  } finally {
    await app.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const out = resolve(import.meta.dirname, '..', 'openapi.yaml');
  writeFileSync(out, await generateOpenApi());
  console.log(`wrote ${out}`);
}

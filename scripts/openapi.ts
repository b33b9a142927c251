// Writes openapi.yaml from the route schemas (which come from schemas/). `npm run openapi`.
// test/openapi.test.ts fails when the committed file and this output differ.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadConfig } from '../src/config.js';
import { buildService } from '../workers/index.js';

/** The document as @fastify/swagger builds it: YAML for the file, the object for checks on it. */
export async function generateOpenApi(): Promise<string>;
export async function generateOpenApi(format: 'object'): Promise<ReturnType<OpenApiApp['swagger']>>;
export async function generateOpenApi(format: 'yaml' | 'object' = 'yaml') {
  const app = await buildService(loadConfig({ ROLE: 'api', LOG_LEVEL: 'silent' }));
  await app.ready();
  try {
    return format === 'yaml' ? app.swagger({ yaml: true }) : app.swagger();
  } finally {
    await app.close();
  }
}

type OpenApiApp = Awaited<ReturnType<typeof buildService>>;

if (import.meta.url === `file://${process.argv[1]}`) {
  const out = resolve(import.meta.dirname, '..', 'openapi.yaml');
  writeFileSync(out, await generateOpenApi());
  console.log(`wrote ${out}`);
}

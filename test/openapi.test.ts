import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import t from 'tap';
import { generateOpenApi } from '../scripts/openapi.js';

t.test('openapi.yaml is what the schemas generate (run `npm run openapi` after changing them)', async (t) => {
  const committed = readFileSync(resolve(import.meta.dirname, '..', 'openapi.yaml'), 'utf8');
  t.equal(committed, await generateOpenApi());
});

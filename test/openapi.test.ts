import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import t from 'tap';
import { generateOpenApi } from '../scripts/openapi.js';

t.test('openapi.yaml is what the schemas generate (run `npm run openapi` after changing them)', async (t) => {
  const committed = readFileSync(resolve(import.meta.dirname, '..', 'openapi.yaml'), 'utf8');
  t.equal(committed, await generateOpenApi());
});

// Client generators name their methods after operationIds: each operation needs one, unique, camelCase.
t.test('every operation has its own camelCase operationId', async (t) => {
  const doc = (await generateOpenApi('object')) as {
    paths: Record<string, Record<string, { operationId?: string }>>;
  };
  const seen = new Map<string, string>();
  for (const [path, operations] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(operations)) {
      const where = `${method.toUpperCase()} ${path}`;
      const id = op.operationId;
      if (!id) {
        t.fail(`${where} has no operationId`);
        continue;
      }
      t.match(id, /^[a-z][a-zA-Z0-9]*$/, `${where}: ${id} is camelCase`);
      t.notOk(seen.has(id), `${where}: ${id} is not also ${seen.get(id)}`);
      seen.set(id, where);
    }
  }
  t.ok(seen.size >= 30, 'the paths were read');
});

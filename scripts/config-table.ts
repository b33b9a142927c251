// Prints the README's configuration table from the env schema in src/config.ts (`npm run config-table`).
// test/config.test.ts checks that the README lists every variable with its default.
import { EnvSchema } from '../src/config.js';

export function configTable(): string {
  const rows = Object.entries(EnvSchema.properties).map(([name, schema]) => {
    const s = schema as { default?: unknown; description?: string };
    const def = s.default === '' ? '(empty)' : `\`${String(s.default)}\``;
    return `| \`${name}\` | ${def} | ${s.description ?? ''} |`;
  });
  return ['| variable | default | meaning |', '| --- | --- | --- |', ...rows].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(configTable());

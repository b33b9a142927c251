// The project's layers, checked in `npm test` (`npm run lint:deps`). From the bottom up:
//   schemas/                     API and job types (TypeBox)
//   src/*.ts (config, logger, errors, keys, redis, metrics, …), src/net/   the base every module may use
//   src/similarity/              how alike two hashes, vPDQ lists or feature sets are
//   src/memory/, src/services/, src/archive/   what is kept in Redis (or an archive store) and the rules on it
//   src/pipeline/                the check's stages; it sees the memory only through its interface
//   src/routes/, src/plugins/, src/views/, src/cli/, src/app.ts, src/server.ts   HTTP, pages, the command line
//   workers/                     BullMQ entries and the process entries, above all of src/
// A module may import from its own layer and the ones below it, never from one above, and no import
// goes round in a cycle.
const BASE = '^src/[^/]+[.]ts$';
const UPPER = '^src/(routes|plugins|views|cli|app[.]ts|server[.]ts)';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle makes load order matter and layers meaningless.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'src-not-to-workers',
      severity: 'error',
      comment: 'workers/ holds the entries that assemble src/; src/ never reaches up to them.',
      from: { path: '^src/' },
      to: { path: '^workers/' },
    },
    {
      name: 'schemas-stand-alone',
      severity: 'error',
      from: { path: '^schemas/' },
      to: { path: '^(src|workers)/' },
    },
    {
      name: 'base-below-everything',
      severity: 'error',
      comment:
        'config, logger, errors, keys, redis and the network guard are used by all, and use none of the layers.',
      from: { path: [BASE, '^src/net/'], pathNot: '^src/(app|server)[.]ts$' },
      to: { path: '^src/[^/]+/', pathNot: '^src/net/' },
    },
    {
      name: 'similarity-below-memory-and-pipeline',
      severity: 'error',
      from: { path: '^src/similarity/' },
      to: { path: '^src/(memory|services|archive|pipeline|routes|plugins|views|cli)/' },
    },
    {
      name: 'stores-below-pipeline',
      severity: 'error',
      comment: 'What is kept (memory, services, archives) never depends on the stages that use it.',
      from: { path: '^src/(memory|services|archive)/' },
      to: { path: ['^src/pipeline/', UPPER] },
    },
    {
      name: 'memory-apart-from-services',
      severity: 'error',
      comment:
        'The memory is self-contained: services may use it, it uses no service but who may publish (api-keys).',
      from: { path: '^src/memory/' },
      to: { path: '^src/services/', pathNot: '^src/services/api-keys[.]ts$' },
    },
    {
      name: 'pipeline-sees-memory-interface-only',
      severity: 'error',
      comment: 'The pipeline depends on the memory’s interface (types), never on its stores.',
      from: { path: '^src/pipeline/' },
      to: { path: '^src/memory/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'pipeline-below-http',
      severity: 'error',
      from: { path: '^src/pipeline/' },
      to: { path: UPPER },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};

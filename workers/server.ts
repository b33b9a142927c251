// The API process: `npm start` (ROLE=all: the API and every queue's worker in one process) and `npm run
// api` (ROLE=api). It sits here, above src/, because with ROLE=all it starts the workers of workers/,
// which src/ never imports. A worker-only process is workers/main.ts.
import { loadConfig } from '../src/config.js';
import { serve } from '../src/server.js';
import { buildService } from './index.js';

const config = loadConfig();
const server = await buildService(config);
await serve(server, config);

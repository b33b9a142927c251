import sharp from 'sharp';
import t from 'tap';
// Every module of src/ that calls sharp, imported before anything is started.
import '../src/pipeline/analyze/decode.js';
import '../src/pipeline/probe.js';
import '../src/pipeline/video/analyze.js';
import '../src/services/thumbnails.js';
import { configureSharp } from '../src/sharp-settings.js';
import { buildTestServer } from './helpers/app.js';

t.test('importing the modules that use sharp does not configure it', async (t) => {
  t.ok(sharp.cache().items.max > 0, "libvips' operation cache still has its default size");
});

t.test('the API configures sharp when it is built: no operation cache, one thread per image', async (t) => {
  await buildTestServer(t, { ROLE: 'api' });
  t.equal(sharp.cache().items.max, 0);
  t.equal(sharp.concurrency(), 1);
});

t.test('configureSharp can run again (API and workers in one process)', async (t) => {
  configureSharp();
  configureSharp();
  t.equal(sharp.cache().items.max, 0);
  t.equal(sharp.concurrency(), 1);
});

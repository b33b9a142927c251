// The banks service as the routes use it (app.banks, built by src/plugins/banks.ts): the access rules
// hold for every method, and a video entry is one call that also indexes its frames.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { HttpErrors } from '../../src/errors.js';
import { formatVpdqLine, REFERENCE_THRESHOLDS } from '../../src/similarity/vpdq.js';
import type { Principal } from '../../src/services/api-keys.js';
import { buildTestServer } from '../helpers/app.js';

const admin = (org: string): Principal => ({ keyId: `key_${org}`, org, scopes: ['admin'], name: org });
const A = admin('newsroom-a');
const B = admin('newsroom-b');
const OPERATOR = admin('default');
const meta = { label: 'a known video' };
const frames = Array.from({ length: 8 }, (_, i) =>
  formatVpdqLine({ frame: i * 30, quality: 100, pdq: randomBytes(32).toString('hex'), timestamp: i }),
);

t.test(
  'another organization’s bank is missing to B, a shared one read-only, whatever the method',
  async (t) => {
    const { app } = await buildTestServer(t);
    const own = await app.banks.create(A, { name: 'A only', kind: 'archive' });
    await t.rejects(app.banks.get(own.id, B), HttpErrors.not_found);
    await t.rejects(app.banks.writable(own.id, B), HttpErrors.not_found);
    await t.rejects(app.banks.remove(own.id, B), HttpErrors.not_found);
    await t.rejects(app.banks.entry(own.id, 'e1', B), HttpErrors.not_found);
    t.same(await app.banks.list(B), [], 'B lists nothing of A');

    await t.rejects(
      app.banks.create(A, { name: 'planted', kind: 'debunked', shared: true }),
      HttpErrors.forbidden,
      'an organization admin does not publish shared banks',
    );
    const shared = await app.banks.create(OPERATOR, { name: 'debunks', kind: 'debunked', shared: true });
    t.match(await app.banks.get(shared.id, B), { owned: false, publisher: 'default', shared: true });
    await t.rejects(app.banks.writable(shared.id, B), HttpErrors.forbidden);
    await t.rejects(app.banks.remove(shared.id, B), HttpErrors.forbidden);
    t.match(await app.banks.get(own.id, A), { owned: true, publisher: 'newsroom-a' });
  },
);

t.test('a video entry is one call: its record, and its frames in the video index', async (t) => {
  const { app } = await buildTestServer(t);
  const bank = await app.banks.writable((await app.banks.create(A, { name: 'v', kind: 'archive' })).id, A);
  const file = Buffer.from(`${frames.join('\n')}\nnot a vpdq line\n`);
  const added = await app.banks.addVideo(bank, file, meta);
  t.match(added, { entry_id: 'e1', frames: 8, comparable_frames: 8, rejected_lines: [9] });
  const hits = await app.memory.videos.query({ vpdq: frames, contentVpdq: [] }, REFERENCE_THRESHOLDS);
  t.match(hits, [{ id: `b:${bank.id}:e1`, method: 'vpdq' }], 'found by its frames');
  t.match(await app.banks.get(bank.id, A), { entries: 1 });
  await t.rejects(app.banks.addVideo(bank, Buffer.from('nothing here\n'), meta), HttpErrors.invalid_request);
});

t.test('an entry needs an image_url, a pdq or a phash', async (t) => {
  const { app } = await buildTestServer(t);
  const bank = await app.banks.writable((await app.banks.create(A, { name: 'h', kind: 'archive' })).id, A);
  await t.rejects(app.banks.addEntry(bank, meta), HttpErrors.invalid_request);
  const pdq = randomBytes(32).toString('hex').toUpperCase();
  t.match(await app.banks.addEntry(bank, { ...meta, pdq }), {
    id: 'e1',
    bank_id: bank.id,
    pdq: pdq.toLowerCase(),
    sha256: null,
  });
});

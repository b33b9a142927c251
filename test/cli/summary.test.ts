// The summary formatter (a pure function of the check JSON) on a real report: a mirrored copy of a photo
// that firstseen saw before and that a "debunked" bank holds, so matches, bank labels and the earliest
// sighting all show; then the edge cases on copies of it, and `analyze` on a file that is no image.
import { resolve } from 'node:path';
import { Readable } from 'node:stream';
import sharp from 'sharp';
import t from 'tap';
import type { Check } from '../../schemas/check.js';
import type { Report } from '../../schemas/report.js';
import { run } from '../../src/cli/run.js';
import { formatCheck, formatReport, when } from '../../src/cli/summary.js';
import { AUTH, buildTestServer, createBank, get, submit, waitForCheck } from '../helpers/app.js';
import { fixture } from '../helpers/images.js';
import { FIXTURES, startMediaServer } from '../helpers/media-server.js';

const PHOTO = fixture('exif-samples/jpg/gps/DSCN0010.jpg');

t.test('when(): times as written, the zone said (or that there is none)', async (t) => {
  t.equal(when('2008-10-22T16:28:39'), '2008-10-22 16:28:39 (no time zone)');
  t.equal(when('2024-05-03T10:00:00.000Z'), '2024-05-03 10:00:00 UTC');
  t.equal(when('2019-05-01T12:00:00.123+02:00'), '2019-05-01 12:00:00 UTC+02:00');
  t.equal(when('2008-11-01'), '2008-11-01');
  t.equal(when('yesterday\x1b[2J'), 'yesterday\uFFFD[2J', 'not ISO: shown as is, made harmless');
});

t.test('a real report: matches, the bank, the earliest sighting, signals', async (t) => {
  const { app } = await buildTestServer(t);
  const mirrored = await sharp(PHOTO).flop().jpeg().toBuffer();
  const media = await startMediaServer(t, {
    '/photo.jpg': (_q, r) => r.writeHead(200, { 'content-type': 'image/jpeg' }).end(PHOTO),
    '/mirror.jpg': (_q, r) => r.writeHead(200, { 'content-type': 'image/jpeg' }).end(mirrored),
  });
  const run = async (url: string) =>
    (await waitForCheck(app, (await submit(app, { url })).json().id)) as Check;
  await run(`${media.base}/photo.jpg`);
  const bank = await createBank(app, { name: 'Debunked', kind: 'debunked' });
  const entry = await app.inject({
    method: 'POST',
    url: `/v1/banks/${bank}/entries/upload?${new URLSearchParams({
      label: 'Nikon sample, 2008',
      verdict: 'old photo, 2008',
      first_published: '2008-11-01T00:00:00Z',
      source_url: 'https://archive.example/nikon',
    }).toString()}`,
    headers: { ...AUTH, 'content-type': 'image/jpeg' },
    payload: PHOTO,
  });
  t.equal(entry.statusCode, 201);
  const check = await run(`${media.base}/mirror.jpg`);
  t.equal(check.status, 'done');
  t.same((await get(app, `/v1/checks/${check.id}`)).json(), check, 'the JSON the CLI gets');

  const text = formatCheck(check);
  t.match(text, new RegExp(`^Check ${check.id}: done in \\d+\\.\\d s\\n\\nMedia 1: `));
  t.notMatch(text, /^Links?/m, 'a single image link needs no link list');
  t.match(text, `Media 1: ${media.base}/mirror.jpg\n`);
  t.match(text, /\n {2}file {7}jpeg, 640 × 480, \d+ KB\n {2}sha256 {5}[0-9a-f]{64}\n/);
  t.match(
    text,
    /signals {4}HIGH {4}This image was seen 1\d years before this check \(at https:\/\/archive\.example\/nikon\)\./,
  );
  t.match(text, /HIGH {4}Matches "Nikon sample, 2008" in the bank "Debunked" of default: old photo, 2008\./);
  t.match(text, /info {4}No camera metadata/);
  t.match(
    text,
    /earliest {3}2008-11-01 00:00:00 UTC: first published, per a bank \(medium evidence\)\n {13}Per bank "Debunked" entry "Nikon sample, 2008", the image was first published\.\n {13}rests on: The bank’s claim, with its source\.\n {13}https:\/\/archive\.example\/nikon\n/,
  );
  t.match(
    text,
    /PDQ distance \d+\/256, mirrored: bank "Debunked" \(debunked\), "Nikon sample, 2008": old photo, 2008, first published 2008-11-01 00:00:00 UTC\n {15}https:\/\/archive\.example\/nikon/,
  );
  t.match(
    text,
    new RegExp(
      `PDQ distance \\d+/256, mirrored: first seen \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC\\n {15}${media.base}/photo\\.jpg`,
    ),
  );
  t.match(
    text,
    /\n {2}best copy {2}another of 2 copies known: The copy first seen on .* \(640x480, camera EXIF \(NIKON COOLPIX P6000\), JPEG quality 75\) is closer to the original than this one \(640x480, no camera EXIF, JPEG quality 80\): with the camera metadata this one lacks and seen earlier\.\n/,
  );
  t.match(text, /metadata {3}stripped: /);
  t.match(text, /C2PA {7}none\n$/);
  t.notOk(text.includes('\x1b'), 'no colour unless asked');

  t.match(formatCheck(check, { color: true }), '\x1b[1;31mHIGH  \x1b[0m  This image was seen');
  t.match(formatCheck(check, { maxMatches: 1 }), /and 1 more \(--json shows them all\)/);

  // Strings from files, platforms and banks cannot drive the terminal.
  const hostile = structuredClone(check);
  const bankMatch = hostile.report!.media[0]!.provenance!.matches.find((m) => m.bank)!;
  bankMatch.bank = { ...bankMatch.bank!, label: 'evil\x1b]0;pwned\x07\x1b[2J\u202Etxt.exe\r\nline' };
  const safe = formatCheck(hostile);
  const unsafe = [...safe].filter((c) => {
    const n = c.codePointAt(0) as number;
    return (n < 0x20 && c !== '\n') || n === 0x7f || n === 0x202e;
  });
  t.same(unsafe, [], 'no control character or bidi override');
  t.match(safe, 'evil\uFFFD]0;pwned\uFFFD\uFFFD[2J\uFFFDtxt.exe\uFFFD line');
});

t.test('links, posts, failed and unfinished checks', async (t) => {
  const report: Report = {
    schema_version: '2',
    check_id: 'chk_x',
    started_at: '2026-01-01T00:00:00.000Z',
    completed_at: '2026-01-01T00:00:02.500Z',
    targets: [
      {
        index: 0,
        url: 'https://x.com/a/status/1',
        kind: 'error',
        error: { code: 'post_deleted', message: 'Deleted' },
      },
      { index: 1, url: 'https://x.com/b/status/2', kind: 'post', post_index: 0 },
    ],
    posts: [
      {
        platform: 'x',
        id: '2',
        url: 'https://x.com/b/status/2',
        author: { handle: 'b' },
        posted_at: '2024-05-03T10:00:00.000Z',
        media: [],
        trail: [],
        metadata_note: '',
      },
    ],
    media: [],
  };
  const base = {
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:03.000Z',
    targets: [],
    attempts: 1,
    links: { self: '/v1/checks/chk_x', report: '/v1/checks/chk_x/report' },
  };
  const done = formatCheck({ ...base, id: 'chk_x', status: 'done', report });
  t.equal(
    done,
    [
      'Check chk_x: done in 2.5 s',
      '',
      'Links (2)',
      '  1. https://x.com/a/status/1: post_deleted: Deleted',
      '  2. https://x.com/b/status/2: X post by @b, posted 2024-05-03 10:00:00 UTC (https://x.com/b/status/2)',
      '',
      'No media file was found behind the links.',
      '',
    ].join('\n'),
  );
  t.equal(formatReport(report).split('\n')[0], 'Links (2)');
  t.equal(
    formatCheck({
      ...base,
      id: 'chk_y',
      status: 'failed',
      error: { code: 'check_failed', message: 'Redis went away' },
    }),
    'Check chk_y: failed\n  failed: check_failed: Redis went away\n',
  );
  t.equal(
    formatCheck({ ...base, id: 'chk_z', status: 'running' }),
    'Check chk_z: running\n  No report yet.\n',
  );
});

t.test(
  'analyze in-process (the modules are loaded here anyway): not media exits 1, a directory 2',
  async (t) => {
    const out = { stdout: '', stderr: '' };
    const io = {
      stdout: { write: (s: string) => (out.stdout += s) },
      stderr: { write: (s: string) => (out.stderr += s) },
      stdin: Readable.from([]),
      settings: { serviceUrl: null, apiKey: null, color: false },
    };
    t.equal(await run(['analyze', resolve(FIXTURES, 'LICENSES.md')], io), 1);
    t.match(out.stdout, /error {6}not_media: The bytes are not a recognised binary format/);
    t.match(out.stderr, /LICENSES\.md could not be analyzed: not_media/);
    t.equal(await run(['analyze', FIXTURES], io), 2);
    t.match(out.stderr, /is not a file/);
  },
);

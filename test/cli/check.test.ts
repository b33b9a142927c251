// `firstseen check` as a user runs it: the CLI as a child process against a real service (listening on a
// port, with its workers and Redis) and a local image host.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Readable } from 'node:stream';
import t from 'tap';
import { firstseen } from '../helpers/cli.js';
import { run } from '../../src/cli/run.js';
import { buildTestServer, TEST_KEY } from '../helpers/app.js';
import { FIXTURES, startMediaServer } from '../helpers/media-server.js';

/** Runs `firstseen …` with only the environment given (plus PATH), and `input` on stdin. */

t.test('check: a URL, a file, text on stdin, --json; a bad key; a missing key', async (t) => {
  const { app } = await buildTestServer(t);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  const media = await startMediaServer(t);
  const env = { FIRSTSEEN_URL: `http://127.0.0.1:${port}`, FIRSTSEEN_API_KEY: TEST_KEY };
  const gps = 'exif-samples/jpg/gps/DSCN0010.jpg';

  // Independent runs, so they run side by side.
  const [byUrl, upload, text, badKey, noKey] = await Promise.all([
    firstseen(['check', `${media.base}/${gps}`], env),
    firstseen(['check', resolve(FIXTURES, 'c2pa/CA.jpg'), '--json'], env),
    firstseen(['check', '-'], env, {
      input: `Seen today: ${media.base}/exif-samples/jpg/Canon_40D.jpg\nand ${media.base}/c2pa/CA.jpg (no, it is old)`,
    }),
    firstseen(['check', `${media.base}/${gps}`], { ...env, FIRSTSEEN_API_KEY: 'fsk_not_a_key_at_all_00' }),
    firstseen(['check', `${media.base}/${gps}`], { FIRSTSEEN_URL: env.FIRSTSEEN_URL }),
  ]);

  t.equal(byUrl.code, 0, `URL: exit 0 (${byUrl.stderr})`);
  t.match(byUrl.stdout, /^Check chk_[\w-]+: done in /);
  t.match(byUrl.stdout, `Media 1: ${media.base}/${gps}`);
  t.match(byUrl.stdout, /file {7}jpeg, 640 × 480, 158 KB/);
  t.match(byUrl.stdout, /signals {4}HIGH {4}The EXIF capture date is \d+ years before this check\./);
  t.match(byUrl.stdout, /info {4}GPS position in the metadata: 43\.46745, 11\.88513\./);
  t.match(
    byUrl.stdout,
    /earliest {3}2008-10-22 16:28:39 \(no time zone\): EXIF capture time \(weak evidence\)/,
  );
  t.match(byUrl.stdout, /camera: NIKON COOLPIX P6000/);
  t.match(byUrl.stdout, /C2PA {7}none/);
  t.notOk(byUrl.stdout.includes('\x1b'), 'no colour in a pipe');
  t.match(byUrl.stderr, /chk_[\w-]+ (queued|running|done) · \d/, 'progress on stderr, plain lines');
  t.notOk(
    byUrl.stderr.includes('\r') || byUrl.stderr.includes('\x1b'),
    'no spinner when stderr is not a terminal',
  );

  t.equal(upload.code, 0, `file upload: exit 0 (${upload.stderr})`);
  const check = JSON.parse(upload.stdout);
  t.match(check, {
    status: 'done',
    targets: [{ input: 'upload:CA.jpg', url: /^upload:[0-9a-f]{64}$/ }],
    report: {
      schema_version: '2',
      media: [
        {
          status: 'ok',
          mime: 'image/jpeg',
          declared_mime: null,
          content_credentials: { present: true, validation: { status: 'valid' } },
        },
      ],
    },
  });
  t.match(
    check.report.media[0].provenance.signals.map((s: { code: string }) => s.code),
    ['metadata_stripped', 'c2pa_valid'],
  );

  t.equal(text.code, 0, `text on stdin: exit 0 (${text.stderr})`);
  t.match(
    text.stdout,
    /Links \(2\)\n {2}1\. http:.*Canon_40D\.jpg: a media file\n {2}2\. http:.*CA\.jpg: a media file/,
  );
  t.match(text.stdout, /Media 1 of 2: .*Canon_40D\.jpg[\s\S]*camera: Canon EOS 40D/);
  t.match(text.stdout, /Media 2 of 2: .*CA\.jpg[\s\S]*C2PA {7}valid/);

  t.equal(badKey.code, 1, 'a key the service refuses: exit 1 (the service answered an error)');
  t.match(
    badKey.stderr,
    /^firstseen: unauthorized \(HTTP 401\): Unknown or revoked API key; check FIRSTSEEN_API_KEY/m,
  );
  t.equal(badKey.stdout, '');

  t.equal(noKey.code, 2, 'no key at all: exit 2 (usage), nothing sent');
  t.match(noKey.stderr, /no API key: set FIRSTSEEN_API_KEY or pass --key/);
});

t.test(
  'check in-process: an image on stdin is uploaded; a check id is waited for; a text file',
  async (t) => {
    const { app } = await buildTestServer(t);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as { port: number };
    const settings = { serviceUrl: `http://127.0.0.1:${port}`, apiKey: TEST_KEY, color: false };
    const bytes = await readFile(resolve(FIXTURES, 'c2pa/mars.webp'));
    const io = (stdin: Buffer) => {
      const out = { stdout: '', stderr: '' };
      return {
        out,
        io: {
          stdout: { write: (s: string) => (out.stdout += s) },
          stderr: { write: (s: string) => (out.stderr += s) },
          stdin: Readable.from([stdin]),
          settings,
        },
      };
    };
    const first = io(bytes);
    t.equal(await run(['check', '-', '--json', '-q'], first.io), 0, first.out.stderr);
    t.equal(first.out.stderr, '', '--quiet: nothing on stderr');
    const check = JSON.parse(first.out.stdout);
    t.match(check.report.media[0], { status: 'ok', format: 'webp', bytes: bytes.length });
    t.match(check.targets[0].input, /^upload:[0-9a-f]{12}$/, 'no file name: the service names it');

    const again = io(Buffer.alloc(0));
    t.equal(await run(['check', check.id], again.io), 0, again.out.stderr);
    t.match(again.out.stdout, `Check ${check.id}: done`);
    t.match(again.out.stdout, /file {7}webp, /);
    t.notMatch(again.out.stderr, /submitting/, 'nothing submitted');

    // A text file is checked for the links in it, not uploaded.
    const dir = t.testdir({ 'links.txt': 'Forwarded to us: http://127.0.0.1:9/photo.jpg (is it old?)\n' });
    const links = io(Buffer.alloc(0));
    t.equal(await run(['check', resolve(dir, 'links.txt'), '--json', '-q'], links.io), 0, links.out.stderr);
    t.match(JSON.parse(links.out.stdout), {
      status: 'done',
      targets: [{ input: 'http://127.0.0.1:9/photo.jpg' }],
    });
  },
);

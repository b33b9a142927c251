// `firstseen analyze`: the analysis in the CLI's own process, with no service, no Redis and no network.
// The child runs with REDIS_URL pointing at a closed port and with every way of opening a connection
// (sockets, DNS, fetch) replaced by a function that throws: it must succeed all the same.
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import t from 'tap';
import { firstseen } from '../helpers/cli.js';
import { FIXTURES } from '../helpers/media-server.js';

// Loaded after tsx, before the CLI: any connection attempt throws (and the CLI would exit 1 with it).
const NO_NETWORK = `data:text/javascript,${encodeURIComponent(
  [
    'import net from "node:net"; import dns from "node:dns"; import tls from "node:tls";',
    'const no = () => { process.stderr.write("NETWORK ATTEMPT\\n"); throw new Error("network use is forbidden"); };',
    'net.Socket.prototype.connect = no; net.connect = no; net.createConnection = no; tls.connect = no;',
    'dns.lookup = no; dns.promises.lookup = no; dns.resolve = no; globalThis.fetch = no;',
  ].join('\n'),
)}`;

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

t.test('analyze: GPS and capture date; C2PA valid as JSON; no Redis, no network', async (t) => {
  const env = { REDIS_URL: `redis://127.0.0.1:${await closedPort()}` };
  const gps = resolve(FIXTURES, 'exif-samples/jpg/gps/DSCN0010.jpg');
  const ca = resolve(FIXTURES, 'c2pa/CA.jpg');
  const [text, json] = await Promise.all([
    firstseen(['analyze', gps], env, { preload: [NO_NETWORK] }),
    // Double compression is off by default (its cost); turned on here to show the signal.
    firstseen(
      ['analyze', ca, '--json'],
      { ...env, JPEG_DOUBLE_COMPRESSION: 'true' },
      { preload: [NO_NETWORK] },
    ),
  ]);

  t.equal(text.code, 0, `exit 0 (${text.stderr})`);
  t.equal(text.stderr, '', 'no connection was even attempted');
  t.match(text.stdout, `Media 1: file://${gps}`);
  t.match(text.stdout, /file {7}jpeg, 640 × 480, 158 KB/);
  t.match(text.stdout, /signals {4}HIGH {4}The EXIF capture date is \d+ years before this check\./);
  t.match(text.stdout, /info {4}GPS position in the metadata: 43\.46745, 11\.88513\./);
  t.match(
    text.stdout,
    /earliest {3}2008-10-22 16:28:39 \(no time zone\): EXIF capture time \(weak evidence\)/,
  );
  t.match(text.stdout, /rests on: Camera clock, no time zone/);
  t.match(text.stdout, /matches {4}none/);
  t.match(text.stdout, /GPS: 43\.467448, 11\.885127\n\s+https:\/\/www\.openstreetmap\.org\//);
  t.match(text.stdout, /software: Nikon Transfer 1\.1 W/);
  t.match(text.stdout, /matching against earlier sightings and banks needs the service/);

  t.equal(json.code, 0, `exit 0 (${json.stderr})`);
  t.equal(json.stderr, '', 'no connection was even attempted');
  const report = JSON.parse(json.stdout);
  t.match(report, {
    schema_version: '2',
    check_id: 'local',
    targets: [{ index: 0, kind: 'media', url: `file://${ca}` }],
    posts: [],
    media: [
      {
        status: 'ok',
        source_url: `file://${ca}`,
        sha256: /^[0-9a-f]{64}$/,
        mime: 'image/jpeg',
        format: 'jpeg',
        width: 1024,
        height: 683,
        hashes: { pdq: { hash: /^[0-9a-f]{64}$/ }, phash: /^[0-9a-f]{16}$/ },
        content_credentials: { present: true, validation: { status: 'valid' } },
        provenance: { matches: [], earliest: { kind: 'c2pa_signed' } },
      },
    ],
  });
  // CA.jpg (c2pa-rs test image) holds the standard libjpeg tables at quality 75 and no camera EXIF
  // (recompressed), and the detector reads an earlier quantization in its coefficients (double_compressed).
  t.same(
    report.media[0].provenance.signals.map((s: { code: string }) => s.code),
    ['metadata_stripped', 'c2pa_valid', 'recompressed', 'double_compressed'],
  );
});

t.test('analyze: a video, with ffmpeg as a child process and still no Redis or network', async (t) => {
  const env = { REDIS_URL: `redis://127.0.0.1:${await closedPort()}` };
  const clip = resolve(FIXTURES, 'video/doorknob-hd-no-bar.mp4');
  const [text, json] = await Promise.all([
    firstseen(['analyze', clip], env, { preload: [NO_NETWORK] }),
    firstseen(['analyze', clip, '--json'], env, { preload: [NO_NETWORK] }),
  ]);
  t.equal(text.code, 0, `exit 0 (${text.stderr})`);
  t.equal(text.stderr, '', 'no connection was even attempted');
  t.match(text.stdout, /file {7}mp4, 1280 × 720, 468 KB/);
  t.match(text.stdout, /video {6}4\.3 s, h264 \+ aac, 30 fps\n/);
  t.match(text.stdout, /encoder: Lavf56\.40\.101/);
  t.match(text.stdout, /frames hashed: \d+ \(1fps\+scene>0\.4\), \d+ keyframes/);

  t.equal(json.code, 0, `exit 0 (${json.stderr})`);
  const item = JSON.parse(json.stdout).media[0];
  t.match(item, {
    status: 'ok',
    mime: 'video/mp4',
    video: { metadata: { video_codec: 'h264', metadata_status: 'stripped' }, decoder: { ffmpeg: /\S/ } },
  });
  t.ok(item.video.frames_hashed >= 4, `${item.video.frames_hashed} frames: one per second of 4.3 s at least`);
  t.equal(item.video.vpdq.length, item.video.frames_hashed, 'one vPDQ line per hashed frame');
  for (const line of item.video.vpdq)
    t.match(line, /^\d+,\d{1,3},[0-9a-f]{64},\d+\.\d{3}$/, 'the reference line format');
});

// The report page, section by section, from real reports: the server checks a camera photo, a
// Mastodon post carrying a resized copy of it (a match, and a bank entry), a Photoshop file with an
// XMP history, valid and broken Content Credentials, and a dead link. Then every string of those
// reports is replaced by a hostile one and the page must still hold no markup of the stranger's.
import { parseDocument } from 'htmlparser2';
import sharp from 'sharp';
import t from 'tap';
import type { Check } from '../../schemas/check.js';
import { renderCheckPage } from '../../src/views/check-page.js';
import { ASKED_NOTICE } from '../../src/views/forensic-views.js';
import { AUTH, buildTestServer, createBank, submit, waitForCheck } from '../helpers/app.js';
import { fixture } from '../helpers/images.js';
import { startMediaServer } from '../helpers/media-server.js';

const PHOTO = fixture('exif-samples/jpg/gps/DSCN0010.jpg');
const STATUS_ID = '112233445566778899';
const HOSTILE = `javascript:alert(1)//"'><script>alert(1)</script><img src=x onerror=alert(1)>`;

type Node = {
  type: string;
  name?: string;
  attribs?: Record<string, string>;
  data?: string;
  children?: Node[];
};

function walk(node: Node, visit: (n: Node) => void) {
  visit(node);
  for (const c of node.children ?? []) walk(c, visit);
}

/** Element names, attributes and text of a page, as a browser's parser sees them. */
function parse(page: string) {
  const tags: Node[] = [];
  let text = '';
  walk(parseDocument(page), (n) => {
    if (n.type === 'tag' || n.type === 'script' || n.type === 'style') tags.push(n);
    if (n.type === 'text') text += n.data;
  });
  return { tags, text };
}

function section(page: string, heading: string): string {
  const start = page.indexOf(`<h3>${heading}`);
  if (start < 0) throw new Error(`no section ${heading}`);
  const end = page.indexOf('<h3>', start + 4);
  return page.slice(start, end < 0 ? undefined : end);
}

/** Every string of a value replaced by `s`. */
function poison(value: unknown, s: string): unknown {
  if (typeof value === 'string') return s;
  if (Array.isArray(value)) return value.map((v) => poison(v, s));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, poison(v, s)]));
  }
  return value;
}

t.test('the report page from real reports', async (t) => {
  const { app } = await buildTestServer(t, { RECYCLED_MARGIN_HOURS: '0' });
  const copy = await sharp(PHOTO).resize(320).jpeg({ quality: 40 }).toBuffer();
  const status = JSON.parse(fixture('platforms/mastodon/status-media.json').toString());
  const media = await startMediaServer(t, {
    [`/api/v1/statuses/${STATUS_ID}`]: (_q, r) => {
      const s = {
        ...status,
        url: `${media.base}/@beispiel/${STATUS_ID}`,
        media_attachments: [{ ...status.media_attachments[0], url: `${media.base}/copy.jpg` }],
      };
      r.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(s));
    },
    '/copy.jpg': (_q, r) => r.writeHead(200, { 'content-type': 'image/jpeg' }).end(copy),
  });
  const bank = await createBank(app, { name: 'Debunked photos', kind: 'debunked' });
  await app.inject({
    method: 'POST',
    url: `/v1/banks/${bank}/entries/upload?label=${encodeURIComponent('Tuscany, 2008')}&verdict=${encodeURIComponent('old photo, not the flood')}`,
    headers: { ...AUTH, 'content-type': 'image/jpeg' },
    payload: PHOTO,
  });
  const run = async (url: string): Promise<Check> =>
    waitForCheck(app, (await submit(app, { url })).json().id as string) as Promise<Check>;

  const gps = await run(`${media.base}/exif-samples/jpg/gps/DSCN0010.jpg`);
  // The rest at once (the copy in the post matches the photo, which was checked first).
  const [post, iptc, c2pa, c2paBad, missing] = (await Promise.all(
    [
      `${media.base}/@beispiel/${STATUS_ID}`,
      `${media.base}/exifr/iptc-staff-photographer-example.jpg`,
      `${media.base}/c2pa/CA.jpg`,
      `${media.base}/c2pa/XCA.jpg`,
      `${media.base}/missing.jpg`,
    ].map(run),
  )) as [Check, Check, Check, Check, Check];
  const reports: Record<string, Check> = { gps, post, iptc, c2pa, c2paBad, missing };
  for (const [name, check] of Object.entries(reports)) t.equal(check.status, 'done', `${name} is done`);

  t.test('signals, worst first, by word as well as by colour', async (t) => {
    const page = renderCheckPage(gps);
    const signals = section(page, 'Signals');
    t.match(
      signals,
      /<li class="signal high" data-code="capture_predates_post"><span class="badge high">High<span class="vh"> severity<\/span><\/span><span>The EXIF capture date is \d+ years before this check\.<\/span>/,
    );
    t.ok(signals.indexOf('capture_predates_post') < signals.indexOf('gps_present'), 'high before info');
    t.match(
      section(renderCheckPage(iptc), 'Signals'),
      /signal medium" data-code="edited_with_software".*Medium/,
    );
  });

  t.test('the earliest sighting with what it rests on, and the timeline', async (t) => {
    const page = renderCheckPage(gps);
    const earliest = section(page, 'Earliest sighting');
    t.match(
      earliest,
      '<time datetime="2008-10-22T16:28:39">22 Oct 2008, 16:28:39</time> <span class="zone">no time zone</span>',
    );
    t.match(earliest, /Rests on: <span class="badge weak">Weak.*Camera clock/);
    const timeline = section(page, 'Timeline');
    t.match(
      timeline,
      '<th scope="col">When</th><th scope="col">What</th><th scope="col">Evidence</th><th scope="col">Source</th>',
    );
    t.match(timeline, /data-kind="exif_capture"[\s\S]*data-kind="checked"/, 'oldest first');
    t.match(
      section(renderCheckPage(post), 'Earliest sighting'),
      /3 Apr 2024, 14:22:10<\/time> <span class="zone">UTC/,
    );
  });

  t.test('the post: author, time, text, link, alt text', async (t) => {
    const page = section(renderCheckPage(post), 'Post');
    t.match(
      page,
      /Beispiel Reporterin<\/a><\/bdi> <span class="muted">@<bdi>beispiel@127\.0\.0\.1:\d+<\/bdi>/,
    );
    t.match(page, 'on Mastodon, <time datetime="2024-04-03T14:22:10.000Z">');
    t.match(
      page,
      '<p class="text" dir="auto" lang="de">Brücke bei Nacht, heute 21 Uhr.\nZweites Bild: gleiche Stelle &amp; andere Richtung.',
    );
    t.match(
      page,
      new RegExp(
        `href="${media.base}/@beispiel/${STATUS_ID}" rel="noopener noreferrer nofollow">Open the post`,
      ),
    );
    t.match(
      page,
      'Alt text written by the author: <q dir="auto">Die Brücke bei Nacht, Wasser bis zur Kante</q>',
    );
    t.match(page, /Mastodon strips EXIF/);
  });

  t.test('matches side by side: a copy seen before and a bank entry', async (t) => {
    const item = post.report!.media[0]!;
    const seen = item.provenance!.matches.find((m) => m.source === 'seen')!;
    const kept = new Set([item.sha256!, seen.sha256!]);
    const matches = section(renderCheckPage(post, { thumbnails: kept }), 'Matches');
    t.match(matches, /<h3>Matches \(2\)/);
    t.match(
      matches,
      /data-kind="near_duplicate" data-source="seen"[\s\S]*Same picture: PDQ distance \d+ of 256 bits[\s\S]*same orientation/,
    );
    t.match(matches, `<img src="/v1/media/${item.sha256}/thumbnail" alt="The checked image">`);
    t.match(matches, `<img src="/v1/media/${seen.sha256}/thumbnail" alt="The matching image seen before">`);
    t.match(matches, `${media.base}/exif-samples/jpg/gps/DSCN0010.jpg`, 'where it was first seen');
    t.match(
      matches,
      /data-source="bank"[\s\S]*class="bank-card"[\s\S]*Tuscany, 2008[\s\S]*Debunked photos \(debunked\)[\s\S]*old photo, not the flood/,
    );
    const none = section(renderCheckPage(post), 'Matches');
    t.notMatch(none, '<img', 'no thumbnail kept: no image requested');
    t.match(none, 'No thumbnail kept');
  });

  t.test(
    'reverse image search: one link per engine on the public URL, opened without a referrer',
    async (t) => {
      const item = gps.report!.media[0]!;
      const searches = section(renderCheckPage(gps), 'Search the web for this image');
      const encoded = encodeURIComponent(item.source_url);
      for (const [name, href] of <Array<[string, string]>>[
        ['Google Lens', `https://lens.google.com/uploadbyurl?url=${encoded}`],
        ['Bing Visual Search', `https://www.bing.com/images/searchbyimage?cbir=sbi&amp;imgurl=${encoded}`],
        ['Yandex Images', `https://yandex.com/images/search?rpt=imageview&amp;url=${encoded}`],
        ['TinEye', `https://tineye.com/search?url=${encoded}`],
      ])
        t.match(searches, `href="${href}" rel="noopener noreferrer nofollow">${name}</a>`, name);
      t.match(searches, /graph\.baidu\.com[^"]*image=[^"]+"[^>]*>Baidu</);
      t.throws(() => section(renderCheckPage(missing), 'Search the web'), 'a file never fetched: no links');
    },
  );

  t.test('metadata: camera, times, GPS with a map link, software, XMP history', async (t) => {
    const meta = section(renderCheckPage(gps), 'Metadata');
    t.match(meta, '<th scope="row">Camera</th><td>NIKON COOLPIX P6000</td>');
    t.match(meta, /<th scope="row">Taken<\/th><td><time datetime="2008-10-22T16:28:39">/);
    t.match(meta, /<th scope="row">GPS position<\/th><td>43\.467448, 11\.885127/);
    t.match(
      meta,
      'href="https://www.openstreetmap.org/?mlat=43.467448&amp;mlon=11.885127#map=16/43.467448/11.885127"',
    );
    t.match(meta, '<th scope="row">Software</th><td>Nikon Transfer 1.1 W</td>');
    const history = section(renderCheckPage(iptc), 'Metadata');
    t.match(history, '<caption>XMP edit history (11 steps, oldest first)</caption>');
    t.match(
      history,
      /<td>saved<\/td><td>Adobe Photoshop CS4 Windows<\/td><td><time datetime="2010-02-24T00:23:50-06:00">24 Feb 2010, 00:23:50<\/time> <span class="zone">UTC-06:00/,
    );
    t.match(history, '<td>from image/tiff to application/vnd.adobe.photoshop</td>');
    t.match(section(renderCheckPage(post), 'Metadata'), /Stripped<\/span> Read to the end/);
  });

  t.test('Content Credentials: status, signer, claim generator, actions', async (t) => {
    const valid = section(renderCheckPage(c2pa), 'Content Credentials');
    t.match(valid, '<span class="badge ok">Valid</span> The signature and the content hash verify.');
    t.match(
      valid,
      '<th scope="row">Signer (as the certificate states)</th><td>C2PA Signer, C2PA Test Signing Cert</td>',
    );
    t.match(valid, '<th scope="row">Claim generator</th><td>make_test_images/0.33.1 c2pa-rs/0.33.1</td>');
    t.match(valid, /<th scope="row">Trust<\/th><td>unknown: No C2PA trust list/);
    t.match(
      valid,
      /<caption>Actions declared<\/caption>[\s\S]*<code>c2pa\.opened<\/code>[\s\S]*<code>c2pa\.color_adjustments<\/code>/,
    );
    const broken = section(renderCheckPage(c2paBad), 'Content Credentials');
    t.match(
      broken,
      '<span class="badge high">Invalid</span> The pixels (or other signed bytes) changed after signing.',
    );
    t.match(broken, '<code>assertion.dataHash.mismatch</code>');
    t.match(
      section(renderCheckPage(gps), 'Content Credentials'),
      'No Content Credentials (C2PA) in this jpeg file.',
    );
  });

  t.test('how the file was made: the JPEG structure, and the recompressed copy', async (t) => {
    const made = section(renderCheckPage(post), 'How the file was made');
    t.match(
      made,
      /<p>Standard libjpeg \(IJG\) tables at quality 40, 4:2:0 chroma, baseline, optimized Huffman tables, no EXIF: consistent with a re-encode by a platform, an app or an editor built on libjpeg\.<\/p>/,
    );
    t.match(made, '<dt>Compression</dt><dd>40 (standard libjpeg tables; estimated as ImageMagick does)</dd>');
    t.match(made, /any software can write any of these|Any software can write any of these/);
    t.match(
      section(renderCheckPage(post), 'Signals'),
      /data-code="recompressed">.*standard libjpeg tables at quality 40 and no camera metadata/,
    );
    const camera = section(renderCheckPage(gps), 'How the file was made');
    t.match(
      camera,
      /quality 84.*camera EXIF \(NIKON NIKON COOLPIX P6000\)|quality 84.*camera EXIF \(NIKON COOLPIX P6000\)/,
    );
    t.match(
      camera,
      '<dt>Compression</dt><dd>75 (standard libjpeg tables, libjpeg quality 84; estimated as ImageMagick does)</dd>',
    );
    t.notMatch(section(renderCheckPage(gps), 'Signals'), 'recompressed', 'camera EXIF: no signal');
  });

  t.test('a file that could not be fetched says why', async (t) => {
    const page = renderCheckPage(missing);
    t.match(page, /Could not analyze this file: <code>http_error<\/code> — HTTP 404/);
    t.match(page, 'No thumbnail kept');
  });

  t.test('queued, running and failed checks', async (t) => {
    const { report: _r, ...base } = gps;
    const queued = renderCheckPage({ ...base, status: 'queued' });
    t.match(queued, '<meta http-equiv="refresh" content="2">');
    t.match(queued, /role="status">Queued: waiting for a worker/);
    t.match(renderCheckPage({ ...base, status: 'running', attempts: 2 }), /Running: .* \(attempt 2\)/);
    const failed = renderCheckPage({
      ...base,
      status: 'failed',
      error: { code: 'check_failed', message: 'Redis went away' },
    });
    t.notMatch(failed, 'http-equiv="refresh"', 'a failed check does not reload');
    t.match(failed, '<code>check_failed</code>: Redis went away');
    t.notMatch(renderCheckPage(gps), 'http-equiv="refresh"');
    const asked = renderCheckPage(gps, { viewsAsked: new Set([0]) });
    t.match(asked, '<meta http-equiv="refresh" content="2">', 'views asked for: the report reloads');
    t.match(asked, ASKED_NOTICE, 'and says they are being made');
  });

  t.test('hostile strings everywhere render as text, never as markup or links', async (t) => {
    for (const [name, check] of Object.entries(reports)) {
      const evil = { ...(poison(check, HOSTILE) as Check), status: 'done' as const };
      const shas = new Set([HOSTILE]);
      const page = renderCheckPage(evil, { thumbnails: shas });
      const { tags, text } = parse(page);
      t.equal(tags.filter((n) => n.name === 'script').length, 0, `${name}: no script element`);
      t.equal(
        tags.filter((n) => n.name === 'img').length,
        0,
        `${name}: no image, not even a thumbnail of a bad sha256`,
      );
      const attrs = tags.flatMap((n) => Object.entries(n.attribs ?? {}));
      t.same(
        attrs.filter(([k]) => k.startsWith('on')),
        [],
        `${name}: no event handler attribute`,
      );
      const links = attrs.filter(([k]) => k === 'href' || k === 'src').map(([, v]) => v);
      t.same(
        links.filter((v) => !/^(https?:\/\/|\/|#)/.test(v)),
        [],
        `${name}: every link is http(s) or our own`,
      );
      t.ok(text.includes('<script>alert(1)</script>'), `${name}: the hostile string is shown as text`);
    }
  });
});

// Unit cases for the metadata reader: time zones, GPS signs, hostile strings, malformed and truncated
// files, each container walker, and the status a fact-checker reads first. Synthetic files are built here
// (a tiny TIFF/EXIF writer and JPEG/PNG/WebP/GIF wrappers) so each case shows exactly what it feeds in.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { crc32, deflateSync } from 'node:zlib';
import t from 'tap';
import { Value } from 'typebox/value';
import { Metadata } from '../../../schemas/metadata.js';
import { extractMetadata, readMetadata } from '../../../src/pipeline/analyze/metadata.js';
import { cpuMs } from '../../helpers/cpu.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));
const fixture = (path: string) => readFileSync(FIXTURES + path);

// --- A minimal little-endian TIFF writer: [tag, type, value] entries for IFD0, ExifIFD and GPS. ---
const [BYTE, ASCII, SHORT, LONG, RATIONAL] = [1, 2, 3, 4, 5];
type Entry = [tag: number, type: number, value: string | number[]];

function encode(type: number, value: string | number[]): [Buffer, number] {
  if (type === ASCII)
    return [Buffer.from(`${value as string}\0`, 'utf8'), Buffer.byteLength(`${value as string}\0`)];
  const values = value as number[];
  const size = { [BYTE]: 1, [SHORT]: 2, [LONG]: 4, [RATIONAL]: 8 }[type]!;
  const b = Buffer.alloc(size * values.length);
  values.forEach((v, i) => {
    if (type === BYTE) b.writeUInt8(v, i);
    else if (type === SHORT) b.writeUInt16LE(v, i * 2);
    else if (type === LONG) b.writeUInt32LE(v, i * 4);
    else {
      b.writeUInt32LE(Math.round(v * 1e6), i * 8);
      b.writeUInt32LE(1e6, i * 8 + 4);
    }
  });
  return [b, values.length];
}

function ifd(entries: Entry[], at: number): Buffer {
  const sorted = [...entries].sort((a, b) => a[0] - b[0]);
  const head = Buffer.alloc(2 + sorted.length * 12 + 4);
  const data: Buffer[] = [];
  let dataAt = at + head.length;
  head.writeUInt16LE(sorted.length, 0);
  sorted.forEach(([tag, type, value], i) => {
    const [bytes, count] = encode(type, value);
    const e = 2 + i * 12;
    head.writeUInt16LE(tag, e);
    head.writeUInt16LE(type, e + 2);
    head.writeUInt32LE(count, e + 4);
    if (bytes.length <= 4) bytes.copy(head, e + 8);
    else {
      head.writeUInt32LE(dataAt, e + 8);
      const padded = Buffer.concat([bytes, Buffer.alloc(bytes.length % 2)]);
      data.push(padded);
      dataAt += padded.length;
    }
  });
  return Buffer.concat([head, ...data]);
}

function tiff(ifd0: Entry[], exif: Entry[] = [], gps: Entry[] = []): Buffer {
  const pointers = (exifAt: number, gpsAt: number): Entry[] => [
    ...(exif.length > 0 ? [[0x8769, LONG, [exifAt]] as Entry] : []),
    ...(gps.length > 0 ? [[0x8825, LONG, [gpsAt]] as Entry] : []),
  ];
  const size0 = ifd([...ifd0, ...pointers(0, 0)], 8).length;
  const exifAt = 8 + size0;
  const exifBytes = exif.length > 0 ? ifd(exif, exifAt) : Buffer.alloc(0);
  const gpsAt = exifAt + exifBytes.length;
  const header = Buffer.from([0x49, 0x49, 0x2a, 0, 8, 0, 0, 0]);
  const gpsBytes = gps.length > 0 ? ifd(gps, gpsAt) : Buffer.alloc(0);
  return Buffer.concat([header, ifd([...ifd0, ...pointers(exifAt, gpsAt)], 8), exifBytes, gpsBytes]);
}

// --- Containers ---
const segment = (marker: number, payload: Buffer) =>
  Buffer.concat([
    Buffer.from([0xff, marker, (payload.length + 2) >> 8, (payload.length + 2) & 255]),
    payload,
  ]);
const jpeg = (...segments: Buffer[]) =>
  Buffer.concat([Buffer.from([0xff, 0xd8]), ...segments, Buffer.from([0xff, 0xda, 0, 2, 0xff, 0xd9])]);
const exifSegment = (body: Buffer) => segment(0xe1, Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), body]));
const xmpSegment = (xml: string) =>
  segment(0xe1, Buffer.concat([Buffer.from('http://ns.adobe.com/xap/1.0/\0', 'latin1'), Buffer.from(xml)]));

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}
const png = (...chunks: Buffer[]) =>
  Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0])),
    ...chunks,
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
const itxt = (keyword: string, text: string, compress = false) =>
  pngChunk(
    'iTXt',
    Buffer.concat([
      Buffer.from(`${keyword}\0${compress ? '\x01' : '\x00'}\0\0\0`, 'latin1'),
      compress ? deflateSync(Buffer.from(text)) : Buffer.from(text),
    ]),
  );

const xmpPacket = (body: string) =>
  `<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">` +
  `<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">${body}</rdf:RDF></x:xmpmeta><?xpacket end="w"?>`;
const NS =
  'xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/" ' +
  'xmlns:stEvt="http://ns.adobe.com/xap/1.0/sType/ResourceEvent#" xmlns:dc="http://purl.org/dc/elements/1.1/"';

t.test('times: the offset and sub-seconds are combined only when the file states them', async (t) => {
  const file = jpeg(
    exifSegment(
      tiff(
        [[0x0132, ASCII, '2019:05:01 18:00:00']],
        [
          [0x9003, ASCII, '2019:05:01 12:00:00'],
          [0x9011, ASCII, '+02:00'],
          [0x9291, ASCII, '123'],
          [0x9004, ASCII, '2019:05:01 12:00:00'],
          [0x9292, ASCII, '087'],
          // OffsetTime belongs to ModifyDate (IFD0 DateTime) only.
          [0x9010, ASCII, '+05:30'],
        ],
      ),
    ),
  );
  const { times } = await extractMetadata(file, 'jpeg');
  t.same(times.date_time_original, {
    raw: '2019:05:01 12:00:00',
    iso: '2019-05-01T12:00:00.123+02:00',
    time_zone: '+02:00',
    note: null,
  });
  t.same(times.create_date, {
    raw: '2019:05:01 12:00:00',
    iso: '2019-05-01T12:00:00.087',
    time_zone: null,
    note: 'no time zone',
  });
  t.equal(times.modify_date?.iso, '2019-05-01T18:00:00+05:30');
  t.equal(times.gps, null);

  const odd = await extractMetadata(
    jpeg(
      exifSegment(
        tiff(
          [],
          [
            [0x9003, ASCII, '0000:00:00 00:00:00'],
            [0x9004, ASCII, '2020:01:01 00:00:00'],
            [0x9012, ASCII, '+25:00'],
          ],
        ),
      ),
    ),
    'jpeg',
  );
  t.same(odd.times.date_time_original, {
    raw: '0000:00:00 00:00:00',
    iso: null,
    time_zone: null,
    note: 'not a valid date',
  });
  t.equal(odd.times.create_date?.time_zone, null, 'an impossible offset is not used');
  t.match(odd.times.create_date?.note, /unreadable offset "\+25:00"/);
});

t.test('GPS: hemisphere refs sign the coordinates, altitude ref 1 is below sea level', async (t) => {
  const gps: Entry[] = [
    [0x0001, ASCII, 'S'],
    [0x0002, RATIONAL, [33, 52, 7.68]],
    [0x0003, ASCII, 'W'],
    [0x0004, RATIONAL, [70, 39, 3.5]],
    [0x0005, BYTE, [1]],
    [0x0006, RATIONAL, [12.5]],
    [0x0010, ASCII, 'M'],
    [0x0011, RATIONAL, [270.25]],
    [0x001d, ASCII, '2021:03:04'],
    [0x0007, RATIONAL, [23, 59, 1.5]],
  ];
  const m = await extractMetadata(jpeg(exifSegment(tiff([[0x010f, ASCII, 'Test']], [], gps))), 'jpeg');
  const lat = -(33 + 52 / 60 + 7.68 / 3600);
  const lon = -(70 + 39 / 60 + 3.5 / 3600);
  t.ok(
    Math.abs(m.gps!.latitude - lat) < 1e-9 && Math.abs(m.gps!.longitude - lon) < 1e-9,
    'south and west are negative',
  );
  t.equal(m.gps!.altitude_m, -12.5);
  t.equal(m.gps!.image_direction, 270.25);
  t.equal(m.gps!.image_direction_ref, 'magnetic');
  t.equal(
    m.gps!.map_url,
    `https://www.openstreetmap.org/?mlat=-33.868800&mlon=-70.650972#map=16/-33.868800/-70.650972`,
  );
  t.same(m.times.gps, {
    raw: '2021:03:04 23:59:01.5',
    iso: '2021-03-04T23:59:01.5Z',
    time_zone: '+00:00',
    note: null,
  });
  t.equal(m.camera_exif, true, 'a GPS position counts as camera EXIF');

  const noRef = await extractMetadata(jpeg(exifSegment(tiff([], [], gps.slice(1)))), 'jpeg');
  t.equal(noRef.gps, null, 'no N/S reference, no position: never guess the hemisphere');
  t.match(noRef.warnings, [/GPS position incomplete/]);

  const zero: Entry[] = [
    [1, ASCII, 'N'],
    [2, RATIONAL, [0, 0, 0]],
    [3, ASCII, 'E'],
    [4, RATIONAL, [0, 0, 0]],
  ];
  const nullIsland = await extractMetadata(jpeg(exifSegment(tiff([], [], zero))), 'jpeg');
  t.equal(nullIsland.gps?.latitude, 0);
  t.match(nullIsland.warnings, [/0, 0: usually a camera without a fix/]);
});

t.test('hostile strings are cleaned and capped; hostile XMP is bounded', async (t) => {
  const evil = `\u0000Evil\u202eCorp\u0007\r\n${'A'.repeat(10_000)}`;
  const m = await extractMetadata(
    jpeg(
      exifSegment(
        tiff([
          [0x010f, ASCII, evil],
          [0x013b, ASCII, '\u2066x\u2069\ufeff'],
        ]),
      ),
    ),
    'jpeg',
  );
  t.notMatch(
    m.camera.make,
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/,
    'no control or bidi characters',
  );
  t.equal(m.camera.make!.length, 2000, 'capped at 2,000 characters');
  t.ok(m.camera.make!.startsWith('Evil Corp') && m.camera.make!.endsWith('…'));
  t.equal(m.artist, 'x');

  const steps = Array.from(
    { length: 1000 },
    (_, i) =>
      `<rdf:li stEvt:action="saved" stEvt:softwareAgent="Tool ${i}" stEvt:when="2020-01-01T00:00:00Z"/>`,
  ).join('');
  const keywords = Array.from({ length: 5000 }, (_, i) => `<rdf:li>k${i}</rdf:li>`).join('');
  const big = xmpPacket(
    `<rdf:Description rdf:about="" ${NS}><xmpMM:History><rdf:Seq>${steps}</rdf:Seq></xmpMM:History>` +
      `<dc:subject><rdf:Bag>${keywords}</rdf:Bag></dc:subject></rdf:Description>`,
  );
  const bounded = await extractMetadata(png(itxt('XML:com.adobe.xmp', big, true)), 'png');
  t.equal(bounded.xmp?.history.length, 200, 'history capped at 200 steps');
  t.equal(bounded.xmp?.history_total, 1000, 'but the true count is reported');
  t.equal(bounded.xmp?.history[999 % 200]?.software_agent, 'Tool 199');
  t.equal(bounded.iptc?.keywords.length, 200, 'keywords capped at 200');

  // No DTD is processed: an entity is left as written, never expanded ("billion laughs", external entities).
  const laughs = xmpPacket(`<rdf:Description rdf:about="" ${NS} xmp:CreatorTool="&lol9;"/>`).replace(
    '<x:xmpmeta',
    '<!DOCTYPE x [<!ENTITY lol "lol"><!ENTITY lol9 "&lol;&lol;&lol;">]><x:xmpmeta',
  );
  t.equal((await extractMetadata(png(itxt('XML:com.adobe.xmp', laughs)), 'png')).xmp?.creator_tool, '&lol9;');

  const deep = xmpPacket(
    `<rdf:Description rdf:about="" ${NS}>${'<a:b xmlns:a="urn:a">'.repeat(20_000)}</rdf:Description>`,
  );
  const nested = await extractMetadata(png(itxt('XML:com.adobe.xmp', deep)), 'png');
  t.match(nested.warnings, [/XMP partly unreadable: nested too deeply/]);

  // Photoshop's DocumentAncestors bloat (hundreds of thousands of ids) must not hide the history after it.
  const ancestors = Array.from({ length: 200_000 }, (_, i) => `<rdf:li>xmp.did:${i}</rdf:li>`).join('');
  const bloated = xmpPacket(
    `<rdf:Description rdf:about="" ${NS} xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/">` +
      `<photoshop:DocumentAncestors><rdf:Bag>${ancestors}</rdf:Bag></photoshop:DocumentAncestors>` +
      `<xmpMM:History><rdf:Seq><rdf:li stEvt:action="created"/></rdf:Seq></xmpMM:History></rdf:Description>`,
  );
  const { value: afterBloat, ms: bloatMs } = await cpuMs(() =>
    extractMetadata(png(itxt('XML:com.adobe.xmp', bloated, true)), 'png'),
  );
  t.match(afterBloat, { xmp: { history_total: 1, history: [{ action: 'created' }] }, warnings: [] });
  t.ok(bloatMs < 1000, `skipped: ${bloatMs.toFixed(0)} ms of CPU`);

  const proto = xmpPacket(`<rdf:Description rdf:about=""><__proto__>x</__proto__></rdf:Description>`);
  t.ok(Value.Check(Metadata, await extractMetadata(png(itxt('XML:com.adobe.xmp', proto)), 'png')));
});

t.test('an EXIF entry claiming millions of values is defused, not allocated', async (t) => {
  // FNumber (RATIONAL) "count 50,000,000" in a 100-byte block: exifr would allocate the array first.
  const bomb = tiff([[0x010f, ASCII, 'Bomb']], [[0x829d, RATIONAL, [2.8]]]);
  const countAt = bomb.indexOf(Buffer.from([0x9d, 0x82, RATIONAL, 0])) + 4;
  bomb.writeUInt32LE(50_000_000, countAt);
  // Allocating 50 million rationals costs seconds of CPU and gigabytes; refusing them costs nothing.
  const { value: m, ms } = await cpuMs(() => extractMetadata(jpeg(exifSegment(bomb)), 'jpeg'));
  t.ok(ms < 500, `defused: ${ms.toFixed(0)} ms of CPU`);
  t.equal(m.camera.make, 'Bomb', 'the rest of the block is still read');
  t.match(m.status_reason, /^Camera EXIF present \(Make\)\./, 'the defused FNumber does not count');
  t.match(m.warnings, [/ExifIFD tag 0x829d claims 50000000 values beyond the block/]);
  t.match(m.status_reason, /Part of the file could not be read/);
});

t.test('malformed bytes are unreadable with a reason, never stripped, never thrown', async (t) => {
  const noise = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 251));
  for (const format of ['jpeg', 'png', 'webp', 'tiff', 'heic', 'avif', 'gif']) {
    const m = await extractMetadata(noise, format);
    t.equal(m.metadata_status, 'unreadable', `noise as ${format}`);
    t.match(m.status_reason, /^Could not be read: not a/);
  }
  t.equal((await extractMetadata(Buffer.alloc(0), 'jpeg')).metadata_status, 'unreadable', 'empty file');
  const bmp = await extractMetadata(Buffer.from('BM'), 'bmp');
  t.match(bmp, { metadata_status: 'unreadable', status_reason: /metadata of "bmp" files is not read/ });

  // exifr's own HEIF reader never returns on a zero-length box before `meta`; ours must.
  const heic = fixture('exifr/heic-iphone7.heic');
  const ftypEnd = heic.readUInt32BE(0);
  const zeroBox = Buffer.from([0, 0, 0, 0, 0x66, 0x72, 0x65, 0x65]);
  const hang = Buffer.concat([heic.subarray(0, ftypEnd), zeroBox, heic.subarray(ftypEnd)]);
  t.match(await extractMetadata(hang, 'heic'), {
    metadata_status: 'unreadable',
    status_reason: /no readable meta box/,
  });
});

t.test('truncated files are never called stripped', async (t) => {
  const png = await extractMetadata(fixture('c2pa/sample1.png').subarray(0, 200_000), 'png');
  t.equal(png.metadata_status, 'unreadable', 'PNG cut before its eXIf chunk (which follows the image data)');
  t.match(png.status_reason, /PNG truncated inside its "IDAT" chunk/);
  const jpg = await extractMetadata(fixture('exif-samples/jpg/gps/DSCN0010.jpg').subarray(0, 3000), 'jpeg');
  t.match(jpg.status_reason, /JPEG truncated inside a segment/);
  const heic = await extractMetadata(fixture('exifr/heic-iphone7.heic').subarray(0, 100_000), 'heic');
  t.equal(heic.camera.model, 'iPhone 7', 'HEIF cut in its image data: the meta box is whole');
  t.match(heic.warnings, [/HEIF file truncated inside its "mdat" box/]);

  for (const [path, format] of [
    ['c2pa/test_xmp.webp', 'webp'],
    ['exifr/png/png_with_exif_and_gps.png', 'png'],
    ['exifr/iptc-staff-photographer-example.jpg', 'jpeg'],
    ['exifr/tif-with-iptc-icc-xmp.tif', 'tiff'],
    ['exifr/avif/Irvine_CA.avif', 'avif'],
  ]) {
    const whole = fixture(path!);
    const statuses = new Set<string>();
    for (let i = 1; i < 40; i++)
      statuses.add(
        (await extractMetadata(whole.subarray(0, Math.floor((whole.length * i) / 40)), format!))
          .metadata_status,
      );
    t.notOk(statuses.has('stripped'), `${path} cut at 39 places: ${[...statuses].join(', ')}`);
  }
});

t.test('WebP: EXIF, XMP history and ICC from the RIFF chunks exifr does not read', async (t) => {
  const m = await extractMetadata(fixture('c2pa/test_xmp.webp'), 'webp');
  t.equal(m.xmp?.history_total, 2);
  t.match(m.xmp?.history[1], {
    action: 'saved',
    software_agent: 'Adobe Photoshop 24.0 (Macintosh)',
    changed: '/',
  });
  t.equal(m.software, 'Adobe Photoshop 24.0 (Macintosh)', 'from the EXIF chunk');
  t.match(m.iptc, { read_from: 'xmp', by_line: 'MDF', keywords: ['C2PA', 'Authenticity'] });
  const mars = await extractMetadata(fixture('c2pa/mars.webp'), 'webp');
  t.equal(mars.metadata_status, 'stripped');
  t.ok(mars.found.icc && mars.icc_profile !== null, `ICC profile: ${mars.icc_profile}`);
  t.match(mars.status_reason, /What remains: a colour profile\./);
});

t.test('PNG: eXIf after the image data, compressed XMP, ImageMagick raw profiles', async (t) => {
  const sample = await extractMetadata(fixture('c2pa/sample1.png'), 'png');
  t.match(sample.camera, {
    make: 'Canon',
    model: 'Canon EOS REBEL T3',
    lens_model: 'EF-S18-55mm f/3.5-5.6 IS II',
  });
  t.equal(sample.times.modify_date?.time_zone, '-07:00');
  const gps = await extractMetadata(fixture('exifr/png/png_with_exif_and_gps.png'), 'png');
  t.ok(Math.abs(gps.gps!.latitude - 50.2996027777778) < 1e-6);

  const body = tiff([
    [0x010f, ASCII, 'Magick'],
    [0x0110, ASCII, 'Raw'],
  ]);
  const hex = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), body])
    .toString('hex')
    .replace(/(.{72})/g, '$1\n');
  const profile = `\nexif\n${String(body.length + 6).padStart(8)}\n${hex}\n`;
  const ztxt = pngChunk(
    'zTXt',
    Buffer.concat([Buffer.from('Raw profile type exif\0\0', 'latin1'), deflateSync(profile)]),
  );
  t.match((await extractMetadata(png(ztxt), 'png')).camera, { make: 'Magick', model: 'Raw' });

  const xmp = xmpPacket(
    `<rdf:Description rdf:about="" ${NS}><xmp:CreatorTool>Zipped</xmp:CreatorTool></rdf:Description>`,
  );
  t.equal(
    (await extractMetadata(png(itxt('XML:com.adobe.xmp', xmp, true)), 'png')).xmp?.creator_tool,
    'Zipped',
  );
  t.equal((await extractMetadata(png(), 'png')).metadata_status, 'stripped', 'a bare PNG read to the end');
});

t.test('GIF: XMP in its application extension; no EXIF is possible', async (t) => {
  const xmp = xmpPacket(`<rdf:Description rdf:about="" ${NS} xmp:CreatorTool="GIF Maker"/>`);
  const trailer = Buffer.from([1, ...Array.from({ length: 256 }, (_, i) => 255 - i), 0]);
  const gif = (ext: Buffer[]) =>
    Buffer.concat([
      Buffer.from('GIF89a', 'latin1'),
      Buffer.from([1, 0, 1, 0, 0, 0, 0]),
      ...ext,
      Buffer.from([0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x4c, 0x01, 0, 0x3b]),
    ]);
  const app = Buffer.concat([
    Buffer.from([0x21, 0xff, 11]),
    Buffer.from('XMP DataXMP', 'latin1'),
    Buffer.from(xmp),
    trailer,
  ]);
  t.equal((await extractMetadata(gif([app]), 'gif')).xmp?.creator_tool, 'GIF Maker');
  const bare = await extractMetadata(gif([]), 'gif');
  t.match(bare, { metadata_status: 'stripped', status_reason: /this format cannot hold EXIF/ });
});

t.test('HEIF and AVIF: Exif and XMP items', async (t) => {
  const iphone = await extractMetadata(fixture('exif-samples/heic/mobile/iphone_13_pro_max.HEIC'), 'heic');
  t.match(iphone, { orientation: 6, camera: { make: 'Apple', model: 'iPhone 13 Pro Max' } });
  t.equal(iphone.times.date_time_original?.iso, '2022-02-16T12:55:41.762+01:00');
  t.equal((await extractMetadata(fixture('exifr/avif/Irvine_CA.avif'), 'avif')).camera.model, 'iPhone 3GS');
  const xmpOnly = await extractMetadata(fixture('c2pa/sample1.heic'), 'heic');
  t.match(xmpOnly, {
    metadata_status: 'stripped',
    found: { xmp: true },
    status_reason: /XMP packet without provenance/,
  });
});

t.test('an IPTC-only archive photo is present (with its caption), not stripped', async (t) => {
  const m = await extractMetadata(fixture('exifr/issue-exifr-47.jpeg'), 'jpeg');
  t.match(m, { metadata_status: 'present', camera_exif: false, found: { exif: false, iptc: true } });
  t.match(m.status_reason, /No camera EXIF, but descriptive metadata present \(IPTC editorial fields\)/);
  t.match(m.iptc, { read_from: 'iptc_iim', copyright_notice: /^Budapest Picture Archive/ });
  t.match(m.iptc?.keywords[0], /kerület/, 'Latin-1 IIM text is decoded as such');
});

t.test('edit history, document ids and IPTC from a Photoshop file', async (t) => {
  const m = await extractMetadata(fixture('exifr/iptc-staff-photographer-example.jpg'), 'jpeg');
  t.equal(m.xmp?.history.length, 11);
  t.match(m.xmp?.history[4], {
    action: 'converted',
    parameters: 'from image/tiff to application/vnd.adobe.photoshop',
  });
  t.match(m.xmp?.derived_from, { instance_id: 'xmp.iid:7814DC2B238FDF119A76B605C7D1F39B' });
  t.equal(m.xmp?.creator_tool, 'Adobe Photoshop CS5 Windows');
  t.match(m.iptc, {
    by_line: 'John Doe',
    headline: 'Farmer planting onions',
    city: 'Watseka',
    date_created: '2007-04-19T11:03:15-06:00',
    read_from: 'iptc_iim',
    fields_from_xmp: [],
  });
  t.equal(m.icc_profile, 'sRGB IEC61966-2.1');
});

t.test('the EXIF thumbnail: described in the JSON, bytes returned beside it', async (t) => {
  const bytes = fixture('exif-samples/jpg/gps/DSCN0010.jpg');
  const { metadata, thumbnail } = await readMetadata(bytes, 'jpeg');
  t.same(metadata.thumbnail, { present: true, bytes: 6702, width: 160, height: 120 });
  t.ok(
    Buffer.isBuffer(thumbnail) && thumbnail.length === 6702 && thumbnail[0] === 0xff && thumbnail[1] === 0xd8,
  );
  t.notMatch(JSON.stringify(metadata), /"type":"Buffer"/, 'no bytes in the JSON');
  t.same(await extractMetadata(bytes, 'jpeg'), metadata);
});

t.test('orientation and stripped files', async (t) => {
  t.equal((await extractMetadata(fixture('exif-samples/jpg/hdr/canon_hdr_YES.jpg'), 'jpeg')).orientation, 6);
  const bad = await extractMetadata(jpeg(exifSegment(tiff([[0x0112, SHORT, [9]]]))), 'jpeg');
  t.match(bad, { orientation: null, warnings: [/Orientation tag has an invalid value \(9\)/] });
  const stripped = await extractMetadata(fixture('exif-samples/jpg/orientation/landscape_2.jpg'), 'jpeg');
  t.match(stripped, { metadata_status: 'stripped', camera_exif: false, orientation: 2 });
  t.match(stripped.status_reason, /What remains: a colour profile, the orientation tag\./);
  const xmpOnly = await extractMetadata(
    jpeg(xmpSegment(xmpPacket(`<rdf:Description ${NS} xmp:CreatorTool="Editor"/>`))),
    'jpeg',
  );
  t.match(xmpOnly, { metadata_status: 'present', camera_exif: false, status_reason: /XMP creator tool/ });
});

t.test('every fixture reads into the schema, quickly', async (t) => {
  const truth = JSON.parse(readFileSync(`${FIXTURES}exiftool-truth.json`, 'utf8')) as Record<string, unknown>;
  const formats: Record<string, string> = {
    jpg: 'jpeg',
    jpeg: 'jpeg',
    png: 'png',
    webp: 'webp',
    tif: 'tiff',
    tiff: 'tiff',
    heic: 'heic',
    avif: 'avif',
  };
  let slowest = 0;
  for (const path of Object.keys(truth)) {
    const { value: m, ms } = await cpuMs(() =>
      extractMetadata(fixture(path), formats[path.split('.').pop()!.toLowerCase()]!),
    );
    slowest = Math.max(slowest, ms);
    if (!Value.Check(Metadata, m))
      t.fail(`${path}: ${JSON.stringify([...Value.Errors(Metadata, m)].slice(0, 2))}`);
  }
  t.ok(slowest < 1000, `slowest file: ${slowest.toFixed(0)} ms of CPU`);
});

t.test('mutated files never throw and always fit the schema', async (t) => {
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  for (const [path, format] of [
    ['exifr/iptc-agency-photographer-example.jpg', 'jpeg'],
    ['c2pa/test_xmp.webp', 'webp'],
    ['exifr/png/png_with_exif_and_gps.png', 'png'],
    ['exifr/avif/Irvine_CA.avif', 'avif'],
    ['exifr/tif-with-iptc-icc-xmp.tif', 'tiff'],
  ] as const) {
    const original = fixture(path);
    let bad = 0;
    for (let k = 0; k < 40; k++) {
      const mutated = Buffer.from(original);
      for (let j = 0; j < 8; j++)
        mutated[Math.floor(random() * Math.min(mutated.length, 40_000))] = Math.floor(random() * 256);
      if (!Value.Check(Metadata, await extractMetadata(mutated, format))) bad++;
    }
    t.equal(bad, 0, `${path}: 40 mutations`);
  }
});

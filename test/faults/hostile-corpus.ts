// A corpus of hostile files, generated from the fixtures so that nothing binary is committed: truncated
// and empty files, pixel bombs, malformed EXIF/XMP/ICC/JUMBF, polyglots, SVG with external references,
// wrong extensions. Each entry says how it is served and what a check must report for it.
// `npx tsx test/faults/hostile-corpus.ts <dir>` writes the files out, to try them by hand.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { fixture, pixelBombPng } from '../helpers/images.js';

export interface HostileFile {
  name: string;
  /** What the host says it is. */
  contentType: string;
  bytes: Buffer;
  /** The item's status and, for errors, its code; for `ok`, a few fields the report must carry. */
  expect:
    | { status: 'error'; code: string }
    | { status: 'ok'; fields?: Record<string, unknown> }
    /** Not a media URL: read as a web page, which holds no media. */
    | { status: 'page' };
  why: string;
}

const segment = (marker: number, payload: Buffer) => {
  const head = Buffer.from([0xff, marker, 0, 0]);
  head.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([head, payload]);
};

/** `segments` right after the SOI of `jpeg` (before its own), so readers meet them first. */
const inject = (jpeg: Buffer, ...segments: Buffer[]) =>
  Buffer.concat([jpeg.subarray(0, 2), ...segments, jpeg.subarray(2)]);

/** A little-endian TIFF block: IFD0 with raw 12-byte entries, and the next-IFD offset. */
function tiffBlock(entries: Array<[tag: number, type: number, count: number, value: number]>, next: number) {
  const b = Buffer.alloc(8 + 2 + entries.length * 12 + 4);
  b.write('II', 0, 'latin1');
  b.writeUInt16LE(42, 2);
  b.writeUInt32LE(8, 4);
  b.writeUInt16LE(entries.length, 8);
  entries.forEach(([tag, type, count, value], i) => {
    const at = 10 + i * 12;
    b.writeUInt16LE(tag, at);
    b.writeUInt16LE(type, at + 2);
    b.writeUInt32LE(count, at + 4);
    b.writeUInt32LE(value, at + 8);
  });
  b.writeUInt32LE(next, 10 + entries.length * 12);
  return b;
}
const exif = (tiff: Buffer) => segment(0xe1, Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]));
const xmp = (xml: string) =>
  segment(0xe1, Buffer.concat([Buffer.from('http://ns.adobe.com/xap/1.0/\0', 'latin1'), Buffer.from(xml)]));

/** A JPEG's SOF0 rewritten to declare width x height; the scan data stays that of the small image. */
function declareSize(jpeg: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(jpeg);
  for (let i = 2; i + 9 < out.length;) {
    const marker = out[i + 1] as number;
    if (marker >= 0xc0 && marker <= 0xc2) {
      out.writeUInt16BE(height, i + 5);
      out.writeUInt16BE(width, i + 7);
      return out;
    }
    i += 2 + out.readUInt16BE(i + 2);
  }
  throw new Error('no SOF');
}

/** A GIF whose logical screen and first image descriptor declare width x height. */
function gifDeclaring(gif: Buffer, width: number, height: number): Buffer {
  const g = Buffer.from(gif);
  g.writeUInt16LE(width, 6);
  g.writeUInt16LE(height, 8);
  const flags = g[10] as number;
  let i = 13 + (flags & 0x80 ? 3 * 2 ** ((flags & 7) + 1) : 0);
  while (g[i] === 0x21) {
    i += 2; // extension introducer and label, then sub-blocks up to a zero length
    while ((g[i] as number) > 0) i += (g[i] as number) + 1;
    i += 1;
  }
  if (g[i] !== 0x2c) throw new Error('no image descriptor');
  g.writeUInt16LE(width, i + 5);
  g.writeUInt16LE(height, i + 7);
  return g;
}

/** A JUMBF superbox header as C2PA puts it in APP11: CI "JP", instance, sequence, then the box. */
function app11(box: Buffer) {
  const head = Buffer.from([0x4a, 0x50, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01]);
  return segment(0xeb, Buffer.concat([head, box]));
}

function box(type: string, length: number, payload: Buffer) {
  const h = Buffer.alloc(8);
  h.writeUInt32BE(length >>> 0, 0);
  h.write(type, 4, 'latin1');
  return Buffer.concat([h, payload]);
}

export async function hostileCorpus(): Promise<HostileFile[]> {
  const photo = fixture('exif-samples/jpg/gps/DSCN0010.jpg');
  // A small clean JPEG to carry the hostile segments (no metadata of its own).
  const small = await sharp(photo).resize(320).jpeg({ quality: 80 }).toBuffer();
  const smallPng = await sharp(photo).resize(320).png().toBuffer();
  const smallGif = await sharp(photo).resize(64).gif().toBuffer();
  const heic = fixture('exif-samples/heic/IMG_5195.HEIC');
  const ca = fixture('c2pa/CA.jpg');
  const bombThumb = declareSize(await sharp(photo).resize(16).jpeg().toBuffer(), 60000, 60000);

  const iccHeader = Buffer.alloc(132);
  iccHeader.writeUInt32BE(0xffffffff, 0); // profile size: 4 GB
  iccHeader.write('acsp', 36, 'latin1');
  iccHeader.writeUInt32BE(0x7fffffff, 128); // tag count
  const icc = segment(
    0xe2,
    Buffer.concat([Buffer.from('ICC_PROFILE\0', 'latin1'), Buffer.from([1, 1]), iccHeader]),
  );

  // IFD1 (the thumbnail IFD) pointing at a tiny JPEG that declares 60000x60000.
  const thumbTiff = (() => {
    const ifd0 = tiffBlock([[0x0112, 3, 1, 1]], 26);
    const ifd1 = Buffer.alloc(2 + 2 * 12 + 4);
    ifd1.writeUInt16LE(2, 0);
    const thumbAt = ifd0.length + ifd1.length;
    [
      [0x0201, 4, 1, thumbAt],
      [0x0202, 4, 1, bombThumb.length],
    ].forEach(([tag, type, count, value], i) => {
      ifd1.writeUInt16LE(tag as number, 2 + i * 12);
      ifd1.writeUInt16LE(type as number, 4 + i * 12);
      ifd1.writeUInt32LE(count as number, 6 + i * 12);
      ifd1.writeUInt32LE(value as number, 10 + i * 12);
    });
    return Buffer.concat([ifd0, ifd1, bombThumb]);
  })();

  // Each entity is ten of the previous one: &l9; would expand to 10^10 characters.
  const entities = [
    '<!ENTITY l0 "lollollollol">',
    ...Array.from({ length: 9 }, (_, k) => `<!ENTITY l${k + 1} "${`&l${k};`.repeat(10)}">`),
  ].join('');
  const laughs =
    `<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><!DOCTYPE x [${entities}]>` +
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' +
    '<rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreatorTool="&l9;"/></rdf:RDF></x:xmpmeta>';

  const svgRef = (base: string) =>
    Buffer.from(
      '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>' +
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="100" height="100">' +
        `<image xlink:href="${base}/svg-ref.png" width="100" height="100"/>` +
        `<use href="${base}/svg-ref.svg#x"/><text>&xxe;</text></svg>`,
    );

  return [
    {
      name: 'zero-length.jpg',
      contentType: 'image/jpeg',
      bytes: Buffer.alloc(0),
      expect: { status: 'error', code: 'empty_file' },
      why: 'zero bytes',
    },
    {
      name: 'truncated-header.jpg',
      contentType: 'image/jpeg',
      bytes: photo.subarray(0, 300),
      expect: { status: 'error', code: 'image_truncated' },
      why: 'cut inside the EXIF segment, before any image header',
    },
    {
      name: 'truncated-pixels.png',
      contentType: 'image/png',
      bytes: smallPng.subarray(0, Math.floor(smallPng.length * 0.6)),
      expect: { status: 'error', code: 'image_truncated' },
      why: 'cut in the middle of IDAT',
    },
    {
      name: 'truncated.heic',
      contentType: 'image/heic',
      bytes: heic.subarray(0, Math.floor(heic.length / 2)),
      // The HEVC decoder fills the missing tiles and returns pixels; the metadata reader says the file
      // is cut. (A truncated JPEG or PNG is image_truncated: sharp fails on it.)
      expect: { status: 'ok', fields: { metadata: { warnings: [/truncated/] } } },
      why: 'half an HEVC HEIC',
    },
    {
      name: 'pixel-bomb.png',
      contentType: 'image/png',
      bytes: pixelBombPng(),
      expect: { status: 'error', code: 'too_many_pixels' },
      why: '40000x40000 declared in a few bytes',
    },
    {
      name: 'pixel-bomb.jpg',
      contentType: 'image/jpeg',
      bytes: declareSize(small, 65000, 65000),
      expect: { status: 'error', code: 'too_many_pixels' },
      why: 'a small JPEG whose SOF declares 65000x65000',
    },
    {
      name: 'pixel-bomb.gif',
      contentType: 'image/gif',
      bytes: gifDeclaring(smallGif, 65535, 65535),
      expect: { status: 'error', code: 'too_many_pixels' },
      why: 'a GIF whose logical screen and frame declare 65535x65535',
    },
    {
      name: 'exif-ifd-loop.jpg',
      contentType: 'image/jpeg',
      // IFD0's next-IFD offset and its ExifIFD pointer both point back at IFD0.
      bytes: inject(
        small,
        exif(
          tiffBlock(
            [
              [0x0112, 3, 1, 1],
              [0x8769, 4, 1, 8],
            ],
            8,
          ),
        ),
      ),
      expect: { status: 'ok' },
      why: 'IFDs that point at themselves',
    },
    {
      name: 'exif-offsets-outside.jpg',
      contentType: 'image/jpeg',
      bytes: inject(
        small,
        exif(
          tiffBlock(
            [
              [0x010f, 2, 100, 0xffffff00],
              [0x8825, 4, 1, 0x7ffffff0],
              [0x8769, 4, 1, 3],
            ],
            0xfffffff0,
          ),
        ),
      ),
      expect: { status: 'ok', fields: { metadata: { metadata_status: 'unreadable' } } },
      why: 'value, GPS, ExifIFD and next-IFD offsets outside the block (one odd and inside the header)',
    },
    {
      name: 'exif-thumbnail-bomb.jpg',
      contentType: 'image/jpeg',
      bytes: inject(small, exif(thumbTiff)),
      expect: { status: 'ok', fields: { exif_thumbnail: { width: null, pdq_distance: null } } },
      why: 'an embedded EXIF thumbnail that declares 60000x60000',
    },
    {
      name: 'xmp-billion-laughs.jpg',
      contentType: 'image/jpeg',
      bytes: inject(small, xmp(laughs)),
      // Entities are never expanded: the value stays as written.
      expect: { status: 'ok', fields: { metadata: { xmp: { creator_tool: '&l9;' } } } },
      why: 'nested entities that would expand to 10^10 characters',
    },
    {
      name: 'xmp-unclosed.jpg',
      contentType: 'image/jpeg',
      bytes: inject(
        small,
        xmp('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description ' + '<a '.repeat(5000)),
      ),
      expect: { status: 'ok', fields: { metadata: { metadata_status: 'unreadable' } } },
      why: 'XMP that never closes',
    },
    {
      name: 'icc-lies.jpg',
      contentType: 'image/jpeg',
      bytes: inject(small, icc),
      expect: { status: 'ok' },
      why: 'an ICC profile declaring 4 GB and 2^31 tags in 132 bytes',
    },
    {
      name: 'jumbf-length-lies.jpg',
      contentType: 'image/jpeg',
      bytes: inject(small, app11(box('jumb', 0xfffffff0, box('jumd', 0x7fffffff, Buffer.from('c2pa'))))),
      expect: {
        status: 'ok',
        fields: { content_credentials: { present: true, validation: { status: 'could_not_validate' } } },
      },
      why: 'JUMBF boxes whose lengths run far past the segment',
    },
    {
      name: 'jumbf-zero-length.jpg',
      contentType: 'image/jpeg',
      bytes: inject(small, app11(box('jumb', 0, Buffer.alloc(64)))),
      expect: { status: 'ok' },
      why: 'a JUMBF box of length 0 ("to the end of the file")',
    },
    {
      name: 'c2pa-store-cut.jpg',
      contentType: 'image/jpeg',
      bytes: Buffer.concat([ca.subarray(0, 2), ca.subarray(2).subarray(0, 30_000), small.subarray(2)]),
      expect: { status: 'error', code: 'image_truncated' },
      why: 'the first 30 KB of a C2PA file, cut inside its manifest store, then the pixels of another',
    },
    {
      name: 'polyglot-jpeg-zip.jpg',
      contentType: 'image/jpeg',
      bytes: Buffer.concat([
        small,
        Buffer.from('PK\x03\x04\x14\0\0\0\0\0evil.js', 'latin1'),
        Buffer.alloc(64),
      ]),
      expect: { status: 'ok', fields: { format: 'jpeg' } },
      why: 'a JPEG with a ZIP appended',
    },
    {
      name: 'polyglot-png-html.png',
      contentType: 'image/png',
      bytes: Buffer.concat([smallPng, Buffer.from('<html><script>alert(1)</script></html>')]),
      expect: { status: 'ok', fields: { format: 'png' } },
      why: 'a PNG with HTML after IEND',
    },
    {
      name: 'polyglot-gif-js.gif',
      contentType: 'image/gif',
      bytes: Buffer.concat([smallGif, Buffer.from('*/=1;alert(document.domain);/*', 'latin1')]),
      expect: { status: 'ok', fields: { format: 'gif' } },
      why: 'a GIF followed by JavaScript',
    },
    {
      name: 'polyglot-pdf.jpg',
      contentType: 'image/jpeg',
      bytes: Buffer.concat([
        Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>stream\n', 'latin1'),
        small,
      ]),
      expect: { status: 'error', code: 'not_media' },
      why: 'a PDF that carries a JPEG stream: the bytes are a PDF',
    },
    {
      name: 'html.jpg',
      contentType: 'image/jpeg',
      bytes: Buffer.from('<!doctype html><html><body><img src=x onerror=alert(1)></body></html>'),
      expect: { status: 'error', code: 'not_media' },
      why: 'HTML behind an image URL',
    },
    {
      name: 'external-refs.svg',
      contentType: 'image/svg+xml',
      bytes: svgRef('__BASE__'),
      // An .svg URL is not a media URL: it is read as a page, and an SVG's references are no page media.
      expect: { status: 'page' },
      why: 'SVG with an external image, an external use and an XXE entity: never rendered, never followed',
    },
    {
      name: 'external-refs-svg.png',
      contentType: 'image/svg+xml',
      bytes: svgRef('__BASE__'),
      expect: { status: 'error', code: 'not_media' },
      why: 'behind a .png URL: SVG with an external image, an external use and an XXE entity: the bytes are XML, never rendered',
    },
    {
      name: 'png-as.jpg',
      contentType: 'image/jpeg',
      bytes: smallPng,
      expect: { status: 'ok', fields: { format: 'png', mime: 'image/png', mime_mismatch: true } },
      why: 'a PNG behind a .jpg URL and an image/jpeg header',
    },
    {
      name: 'jpeg-as-html.gif',
      contentType: 'text/html',
      bytes: small,
      expect: { status: 'ok', fields: { format: 'jpeg', declared_mime: 'text/html', mime_mismatch: true } },
      why: 'a JPEG behind a .gif URL and a text/html header',
    },
  ];
}

/** The SVG entry refers to the host serving it; tests replace this placeholder with its address. */
export const BASE_PLACEHOLDER = '__BASE__';

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const dir = process.argv[2] ?? 'hostile-corpus';
  mkdirSync(dir, { recursive: true });
  for (const f of await hostileCorpus()) writeFileSync(join(dir, f.name), f.bytes);
  console.log(`wrote the hostile corpus to ${dir}/`);
}

// Small, real-world-shaped test images made at run time, and the ExifTool oracle.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { FIXTURES } from './media-server.js';

export const fixture = (rel: string) => readFileSync(resolve(FIXTURES, rel));

type ExifToolEntry = Record<string, string | number>;
let truth: Record<string, ExifToolEntry> | undefined;
/** ExifTool's reading of a fixture (test/fixtures/exiftool-truth.json, see LICENSES.md). */
export function exiftool(rel: string): ExifToolEntry {
  truth ??= JSON.parse(readFileSync(resolve(FIXTURES, 'exiftool-truth.json'), 'utf8')) as Record<
    string,
    ExifToolEntry
  >;
  const entry = truth[rel];
  if (!entry) throw new Error(`no ExifTool truth for ${rel}`);
  return entry;
}

/** An animated GIF (3 frames) made from a real photo. */
export async function animatedGif(): Promise<Buffer> {
  const photo = fixture('exif-samples/jpg/gps/DSCN0010.jpg');
  const frames = await Promise.all(
    [0, 90, 180].map((hue) => sharp(photo).resize(160, 120).modulate({ hue }).png().toBuffer()),
  );
  return sharp(frames, { join: { animated: true } })
    .gif({ loop: 0, delay: [100, 100, 100] })
    .toBuffer();
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = (crcTable[(c ^ b) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/**
 * A real greyscale PNG of width x height black pixels (filter byte 0 on every row): small on disk, and
 * every row must be inflated to decode it.
 */
export function blackPng(width: number, height: number): Buffer {
  return greyPng(width, height, deflateSync(Buffer.alloc((width + 1) * height), { level: 1 }));
}

/** A valid-looking PNG that declares width x height but carries a few bytes: a decompression bomb. */
export function pixelBombPng(width = 40000, height = 40000): Buffer {
  return greyPng(width, height, deflateSync(Buffer.alloc(1024)));
}

function greyPng(width: number, height: number, idat: Buffer): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.writeUInt8(8, 8); // bit depth
  ihdr.writeUInt8(0, 9); // greyscale
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', idat),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A region of a picture as shares of its width and height. */
export interface CropBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** The crop the partial-match tests use: 75% of the width and 80% of the height, from 10% in and 15% down. */
export const PARTIAL_CROP: CropBox = { left: 0.1, top: 0.15, width: 0.75, height: 0.8 };

/**
 * A region cut from the picture and saved again as JPEG quality 80, as a screenshot tool or an editor does:
 * the copy the partial-match tests look for.
 */
export async function partialCrop(photo: Buffer, box: CropBox = PARTIAL_CROP): Promise<Buffer> {
  const m = await sharp(photo).metadata();
  const W = m.width ?? 0;
  const H = m.height ?? 0;
  return sharp(photo)
    .extract({
      left: Math.round(W * box.left),
      top: Math.round(H * box.top),
      width: Math.round(W * box.width),
      height: Math.round(H * box.height),
    })
    .jpeg({ quality: 80 })
    .toBuffer();
}

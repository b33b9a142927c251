// JPEG surgery for tests: a photo's own EXIF block (with its camera thumbnail) put on other pixels, as an
// editor does when it saves a changed picture and keeps the metadata.
function segments(jpeg: Buffer): Array<{ marker: number; start: number; end: number }> {
  const out = [];
  let i = 2; // after SOI
  while (i + 4 <= jpeg.length && jpeg[i] === 0xff) {
    const marker = jpeg[i + 1] as number;
    if (marker === 0xda) break; // start of scan: image data follows
    const len = jpeg.readUInt16BE(i + 2);
    out.push({ marker, start: i, end: i + 2 + len });
    i += 2 + len;
  }
  return out;
}

/** `pixels` (a JPEG) with the APP1 EXIF segment of `donor` in place of its own metadata. */
export function withExifOf(donor: Buffer, pixels: Buffer): Buffer {
  const exif = segments(donor).find(
    (s) => s.marker === 0xe1 && donor.subarray(s.start + 4, s.start + 8).toString() === 'Exif',
  );
  if (!exif) throw new Error('donor has no EXIF');
  const own = segments(pixels).filter((s) => s.marker >= 0xe0 && s.marker <= 0xef);
  const bodyStart = own.length ? (own.at(-1) as { end: number }).end : 2;
  return Buffer.concat([
    Buffer.from([0xff, 0xd8]),
    donor.subarray(exif.start, exif.end),
    pixels.subarray(bodyStart),
  ]);
}

// GIF block walker. GIF has no place for EXIF; its only metadata is XMP in an "XMP DataXMP" application
// extension, stored raw (not in sub-blocks) and followed by a 258-byte "magic trailer" that lets plain GIF
// readers skip it as if it were sub-blocks.
import { type ContainerBlocks, emptyBlocks } from './blocks.js';

const XMP_APP = 'XMP DataXMP';
/** The magic trailer starts 0x01 0xFF 0xFE 0xFD …; the XMP ends right before it. */
const TRAILER_START = Buffer.from([0x01, 0xff, 0xfe, 0xfd, 0xfc]);

/** Offset after a chain of sub-blocks (length byte, data, …, 0), or -1 if the file ends inside it. */
function skipSubBlocks(bytes: Buffer, offset: number): number {
  let at = offset;
  while (at < bytes.length) {
    const size = bytes[at]!;
    if (size === 0) return at + 1;
    at += size + 1;
  }
  return -1;
}

export function walkGif(bytes: Buffer): ContainerBlocks {
  const found = emptyBlocks();
  const header = bytes.toString('latin1', 0, 6);
  if (bytes.length < 13 || (header !== 'GIF87a' && header !== 'GIF89a'))
    return { ...found, unreadable: 'not a GIF file (bad header)' };
  const packed = bytes[10]!;
  let offset = 13 + ((packed & 0x80) !== 0 ? 3 * 2 ** ((packed & 7) + 1) : 0);
  while (offset >= 0 && offset < bytes.length) {
    const introducer = bytes[offset]!;
    if (introducer === 0x3b) return found; // trailer: the whole file was read
    if (introducer === 0x21) {
      const label = bytes[offset + 1];
      const blockStart = offset + 2;
      const next = skipSubBlocks(bytes, blockStart);
      const app = bytes.toString('latin1', blockStart + 1, blockStart + 12);
      if (label === 0xff && bytes[blockStart] === 11 && app === XMP_APP) {
        // Look for the trailer only inside this extension, so many extensions cost one pass, not one each.
        const data = bytes.subarray(blockStart + 12, next < 0 ? bytes.length : next);
        const end = data.indexOf(TRAILER_START);
        if (end >= 0) found.xmp.push(data.toString('utf8', 0, end));
      }
      offset = next;
    } else if (introducer === 0x2c) {
      if (offset + 10 > bytes.length) break;
      const local = bytes[offset + 9]!;
      // Descriptor (10 bytes), local colour table, LZW code size, then the image data sub-blocks.
      offset = skipSubBlocks(
        bytes,
        offset + 10 + ((local & 0x80) !== 0 ? 3 * 2 ** ((local & 7) + 1) : 0) + 1,
      );
    } else {
      return {
        ...found,
        incomplete: `GIF malformed: unknown block 0x${introducer.toString(16)} at byte ${offset}`,
      };
    }
  }
  // Many encoders omit the final trailer byte; only a cut inside a block is a truncation.
  if (offset === bytes.length) return found;
  return { ...found, incomplete: 'GIF truncated before its end' };
}

// Bounds-checked reading of ISO base media boxes (HEIF, AVIF). Every read that would leave its box throws
// `Malformed`, so a hostile size or count can cost at most one pass over the bytes it claims.

export class Malformed extends Error {}

export interface Box {
  type: string;
  /** First byte of the payload (after the size/type header). */
  start: number;
  /** First byte after the box. */
  end: number;
}

/** Boxes should not nest or repeat more than this in a still image; more is an attack. */
const MAX_BOXES = 10_000;

/** The boxes between `from` and `to`, and why the scan stopped early (null if it reached `to`). */
export function scanBoxes(bytes: Buffer, from: number, to: number): { boxes: Box[]; error: string | null } {
  const boxes: Box[] = [];
  let offset = from;
  const stop = (error: string) => ({ boxes, error });
  while (offset + 8 <= to) {
    if (boxes.length >= MAX_BOXES) return stop('has too many boxes');
    const type = JSON.stringify(bytes.toString('latin1', offset + 4, offset + 8));
    let size = bytes.readUInt32BE(offset);
    let header = 8;
    if (size === 1) {
      if (offset + 16 > to) return stop(`truncated inside the header of its ${type} box`);
      const large = bytes.readBigUInt64BE(offset + 8);
      if (large > BigInt(Number.MAX_SAFE_INTEGER)) return stop(`${type} box is too large`);
      size = Number(large);
      header = 16;
    } else if (size === 0) {
      size = to - offset; // "extends to the end of the enclosing box or file"
    }
    if (size < header) return stop(`${type} box at byte ${offset} has an impossible size`);
    if (offset + size > to) return stop(`truncated inside its ${type} box at byte ${offset}`);
    boxes.push({
      type: bytes.toString('latin1', offset + 4, offset + 8),
      start: offset + header,
      end: offset + size,
    });
    offset += size;
  }
  // Fewer than 8 bytes left cannot be a box: padding, ignored.
  return { boxes, error: null };
}

export function readBoxes(bytes: Buffer, from: number, to: number): Box[] {
  const { boxes, error } = scanBoxes(bytes, from, to);
  if (error !== null) throw new Malformed(error);
  return boxes;
}

export const child = (bytes: Buffer, box: Box, type: string, full = false): Box | undefined =>
  readBoxes(bytes, box.start + (full ? 4 : 0), box.end).find((b) => b.type === type);

/** A cursor over one box's payload. */
export class Cursor {
  constructor(
    private readonly bytes: Buffer,
    public pos: number,
    private readonly end: number,
  ) {}

  private need(n: number): number {
    if (this.pos + n > this.end) throw new Malformed('a box is shorter than its contents say');
    const at = this.pos;
    this.pos += n;
    return at;
  }

  u8 = () => this.bytes.readUInt8(this.need(1));
  u16 = () => this.bytes.readUInt16BE(this.need(2));
  u32 = () => this.bytes.readUInt32BE(this.need(4));

  /** An unsigned integer of 0, 4 or 8 bytes (the sizes iloc allows). */
  uint(size: number): number {
    if (size === 0) return 0;
    if (size === 4) return this.u32();
    if (size === 8) {
      const value = this.bytes.readBigUInt64BE(this.need(8));
      if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new Malformed('offset too large');
      return Number(value);
    }
    throw new Malformed(`unsupported field size ${size}`);
  }

  fourcc = () => this.bytes.toString('latin1', this.need(4), this.pos);

  /** A NUL-terminated string (the terminator may be missing at the end of the box). */
  cstring(): string {
    const nul = this.bytes.indexOf(0, this.pos);
    const stop = nul < 0 || nul >= this.end ? this.end : nul;
    const text = this.bytes.toString('utf8', this.pos, stop);
    this.pos = Math.min(stop + 1, this.end);
    return text;
  }

  skip = (n: number) => void this.need(n);
}

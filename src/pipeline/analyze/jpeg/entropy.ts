// The quantized DCT coefficients of a baseline JPEG's luminance, decoded by hand: sharp/libvips and every
// npm decoder hand back pixels, never the coefficients that double-compression analysis reads.
//
// Sequential Huffman coding only (SOF0/SOF1, 8-bit); progressive and arithmetic files are not decoded
// (the caller says so). Bounded: at most `maxBlocks` luminance blocks, in whole MCU rows from the top of
// the picture; a corrupt or truncated stream ends the decode early (what was decoded is kept, and
// `truncated` says so), never loops or throws. Memory: 64 Int16 per block kept.
import { ZIGZAG, type HuffmanTable, type JpegStructure } from './structure.js';
import { setImmediate } from 'node:timers/promises';

export interface LumaCoefficients {
  /** Quantized coefficients, 64 per block in natural order, blocks row-major over `blocksWide` x `blocksHigh`. */
  coefficients: Int16Array;
  blocksWide: number;
  blocksHigh: number;
  /** Luminance block rows per MCU row (1, or 2 with vertical chroma subsampling): what is decoded at a time. */
  mcuBlocksHigh: number;
  /** The luminance quantization table (natural order). */
  quant: number[];
  /** The stream ended or broke before the blocks asked for were decoded. */
  truncated: boolean;
}

export type EntropyResult = { ok: true; luma: LumaCoefficients } | { ok: false; reason: string };

interface Lookup {
  /** 8-bit fast path: (length << 8) | symbol, or 0 for longer codes. */
  fast: Uint16Array;
  maxcode: Int32Array;
  valptr: Int32Array;
  mincode: Int32Array;
  symbols: number[];
}

function buildLookup(t: HuffmanTable): Lookup {
  const fast = new Uint16Array(256);
  const maxcode = new Int32Array(18).fill(-1);
  const valptr = new Int32Array(17);
  const mincode = new Int32Array(17);
  let code = 0;
  let k = 0;
  for (let len = 1; len <= 16; len++) {
    const n = t.counts[len - 1] ?? 0;
    valptr[len] = k;
    mincode[len] = code;
    for (let i = 0; i < n; i++) {
      if (len <= 8) {
        const shift = 8 - len;
        for (let j = 0; j < 1 << shift; j++) {
          const idx = (code << shift) | j;
          if (idx < 256) fast[idx] = (len << 8) | (t.symbols[k] ?? 0);
        }
      }
      code++;
      k++;
    }
    maxcode[len] = n ? code - 1 : -1;
    code <<= 1;
  }
  maxcode[17] = 0x7fffffff;
  return { fast, maxcode, valptr, mincode, symbols: t.symbols };
}

class Bits {
  acc = 0;
  n = 0;
  /** A marker (or the end of the data) was reached: zeros are fed from here on. */
  atMarker = false;
  padded = 0;
  constructor(
    private readonly b: Buffer,
    public pos: number,
  ) {}

  private fill(): void {
    while (this.n <= 16) {
      let byte = 0;
      if (!this.atMarker && this.pos < this.b.length) {
        byte = this.b[this.pos] as number;
        if (byte === 0xff) {
          const next = this.b[this.pos + 1];
          if (next === 0x00) this.pos += 2;
          else {
            this.atMarker = true;
            byte = 0;
          }
        } else this.pos++;
      } else {
        this.atMarker = true;
      }
      if (this.atMarker) this.padded++;
      this.acc = ((this.acc << 8) | byte) & 0xffffff;
      this.n += 8;
    }
  }

  /** Bits of zero padding consumed past the end of the data (a few are normal at the very end). */
  zerosUsed(): number {
    return this.padded * 8 - this.n;
  }

  peek(k: number): number {
    if (this.n < k) this.fill();
    return (this.acc >> (this.n - k)) & ((1 << k) - 1);
  }

  skip(k: number): void {
    this.n -= k;
  }

  get(k: number): number {
    if (k === 0) return 0;
    const v = this.peek(k);
    this.n -= k;
    return v;
  }

  /** Past an RSTn marker: realign on bytes and go on from after it. Returns false when none is there. */
  restart(): boolean {
    this.n = 0;
    this.acc = 0;
    // Skip to the marker (a few stray bytes are tolerated, as libjpeg does).
    while (this.pos + 1 < this.b.length && !(this.b[this.pos] === 0xff && this.b[this.pos + 1] !== 0)) {
      this.pos++;
    }
    const m = this.b[this.pos + 1] ?? 0;
    if (this.b[this.pos] !== 0xff || m < 0xd0 || m > 0xd7) return false;
    this.pos += 2;
    this.atMarker = false;
    this.padded = 0;
    return true;
  }
}

function decodeSymbol(bits: Bits, t: Lookup): number {
  const v = bits.peek(8);
  const f = t.fast[v] as number;
  if (f) {
    bits.skip(f >> 8);
    return f & 0xff;
  }
  let code = bits.get(8);
  for (let len = 9; len <= 16; len++) {
    code = (code << 1) | bits.get(1);
    if (code <= (t.maxcode[len] as number)) {
      return t.symbols[(t.valptr[len] as number) + code - (t.mincode[len] as number)] ?? 0;
    }
  }
  return -1; // no such code: corrupt data
}

const extend = (v: number, s: number) => (v < 1 << (s - 1) ? v - (1 << s) + 1 : v);

/**
 * Decodes up to `maxBlocks` luminance blocks of a sequential Huffman-coded JPEG. A picture whose one MCU row
 * holds more than `maxRowBlocks` luminance blocks is refused (a reading that needs whole rows within a
 * smaller budget could read none of it).
 */
export function decodeLuma(
  b: Buffer,
  s: JpegStructure,
  maxBlocks: number,
  maxRowBlocks = maxBlocks,
): EntropyResult {
  const steps = lumaDecoder(b, s, maxBlocks, maxRowBlocks, Infinity);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/**
 * decodeLuma with a turn of the event loop after every `stepBlocks` luminance blocks or so (whole MCU rows):
 * the same result, for budgets whose decode in one go would hold the loop too long (55,296 blocks and
 * their chroma: 20-120 ms of CPU on the loaded 2-core machine).
 */
export async function decodeLumaInSteps(
  b: Buffer,
  s: JpegStructure,
  maxBlocks: number,
  maxRowBlocks: number,
  stepBlocks: number,
): Promise<EntropyResult> {
  const steps = lumaDecoder(b, s, maxBlocks, maxRowBlocks, stepBlocks);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    await setImmediate();
  }
}

/** The decode, pausing (yield) after every `stepBlocks` luminance blocks or so. */
function* lumaDecoder(
  b: Buffer,
  s: JpegStructure,
  maxBlocks: number,
  maxRowBlocks: number,
  stepBlocks: number,
): Generator<void, EntropyResult, void> {
  const f = s.frame;
  const scan = s.scan;
  if (!f || !scan) return { ok: false, reason: 'no frame or scan header' };
  if (f.process !== 'baseline' && f.process !== 'extended') {
    return { ok: false, reason: `${f.process} coding is not decoded for this analysis` };
  }
  if (f.precision !== 8) return { ok: false, reason: `${f.precision}-bit samples are not decoded` };
  const y = f.components[0];
  if (!y) return { ok: false, reason: 'no components' };
  const inScan = scan.components.map((sc) => f.components.find((c) => c.id === sc.id));
  if (!inScan.every(Boolean) || scan.components[0]?.id !== y.id) {
    return { ok: false, reason: 'the first scan does not start with the luminance component' };
  }
  const quant = s.quantTables.find((q) => q.id === y.tq)?.values;
  if (!quant) return { ok: false, reason: 'no quantization table for the luminance' };
  const tables = scan.components.map((sc) => {
    const dc = s.huffmanTables.find((t) => t.cls === 0 && t.id === sc.td);
    const ac = s.huffmanTables.find((t) => t.cls === 1 && t.id === sc.ta);
    return dc && ac ? { dc: buildLookup(dc), ac: buildLookup(ac) } : null;
  });
  if (tables.some((t) => !t)) return { ok: false, reason: 'a Huffman table the scan uses is missing' };

  const hmax = Math.max(...f.components.map((c) => c.h));
  const vmax = Math.max(...f.components.map((c) => c.v));
  const interleaved = scan.components.length > 1;
  // Blocks of the luminance in an MCU, and MCUs across and down.
  const bh = interleaved ? y.h : 1;
  const bv = interleaved ? y.v : 1;
  const mcusWide = interleaved
    ? Math.ceil(f.width / (8 * hmax))
    : Math.ceil(Math.ceil((f.width * y.h) / hmax) / 8);
  const mcusHigh = interleaved
    ? Math.ceil(f.height / (8 * vmax))
    : Math.ceil(Math.ceil((f.height * y.v) / vmax) / 8);
  const blocksWide = mcusWide * bh;
  const rows = Math.max(1, Math.min(mcusHigh, Math.floor(maxBlocks / Math.max(1, blocksWide * bv))));
  if (blocksWide * bv > Math.min(maxBlocks, maxRowBlocks))
    return { ok: false, reason: 'the picture is too wide for the block budget' };
  const blocksHigh = rows * bv;
  const coefficients = new Int16Array(blocksWide * blocksHigh * 64);
  const pred = new Int32Array(scan.components.length);
  const bits = new Bits(b, scan.dataOffset);
  const scratch = new Int32Array(64);
  let truncated = false;
  let mcu = 0;

  const block = (t: { dc: Lookup; ac: Lookup }, ci: number, out: Int32Array): boolean => {
    out.fill(0);
    const ssss = decodeSymbol(bits, t.dc);
    if (ssss < 0 || ssss > 11) return false;
    pred[ci] = (pred[ci] as number) + (ssss ? extend(bits.get(ssss), ssss) : 0);
    out[0] = pred[ci];
    for (let k = 1; k < 64;) {
      const rs = decodeSymbol(bits, t.ac);
      if (rs < 0) return false;
      const r = rs >> 4;
      const sz = rs & 15;
      if (sz === 0) {
        if (r !== 15) break;
        k += 16;
        continue;
      }
      k += r;
      if (k > 63 || sz > 10) return false;
      out[ZIGZAG[k] as number] = extend(bits.get(sz), sz);
      k++;
    }
    return true;
  };

  const stepRows = Math.max(1, Math.floor(stepBlocks / (blocksWide * bv)));
  decode: for (let my = 0; my < rows; my++) {
    if (my > 0 && my % stepRows === 0) yield;
    for (let mx = 0; mx < mcusWide; mx++) {
      if (s.restartInterval && mcu > 0 && mcu % s.restartInterval === 0) {
        if (!bits.restart()) {
          truncated = true;
          break decode;
        }
        pred.fill(0);
      }
      mcu++;
      for (let ci = 0; ci < scan.components.length; ci++) {
        const c = inScan[ci] as { h: number; v: number };
        const t = tables[ci] as { dc: Lookup; ac: Lookup };
        const nh = interleaved ? c.h : 1;
        const nv = interleaved ? c.v : 1;
        for (let v = 0; v < nv; v++) {
          for (let h = 0; h < nh; h++) {
            if (!block(t, ci, scratch) || bits.zerosUsed() > 64) {
              truncated = true;
              break decode;
            }
            if (ci === 0) {
              const bx = mx * bh + h;
              const by = my * bv + v;
              coefficients.set(scratch, (by * blocksWide + bx) * 64);
            }
          }
        }
      }
    }
  }
  return { ok: true, luma: { coefficients, blocksWide, blocksHigh, mcuBlocksHigh: bv, quant, truncated } };
}

// The picture inside the file: a photo re-shared with a frame, letterbox bars, or shrunk into a screenshot
// of a post no longer hashes like the photo (a 3% border moves PDQ 62-78 bits, a screenshot 114-126), but
// its content region does. Hand-written because no library fits: sharp's trim() only removes one uniform
// colour all round (no letterbox-only or embedded case, no report of where), and OpenCV would mean loading
// 140 MB of wasm for a few array scans.
//
// One pass over a coarse block grid: the background is the colour the image's corners agree on; a block is
// content when most of its pixels differ from it by more than JPEG noise; the largest 4-connected group of
// content blocks is the candidate, refined to pixel rows/columns. Photos whose corners disagree (most of
// them) are rejected after reading four small patches.

export interface ContentRegion {
  x: number;
  y: number;
  width: number;
  height: number;
  /** border: trimmed on every side; letterbox: bars on two opposite sides only; embedded: a picture among other content (text, avatars) on a flat canvas. */
  kind: 'border' | 'letterbox' | 'embedded';
}

export interface RegionPixels {
  data: Buffer;
  width: number;
  height: number;
  channels: number;
}

export interface RegionOptions {
  /** Largest per-channel difference from the background still counted as background (JPEG ringing). */
  tolerance?: number;
  /** Smallest share of the image the region must cover. */
  minArea?: number;
  /** Smallest share of the image a frame must take away for the region to be worth a hash. */
  minTrim?: number;
}

const DEFAULTS: Required<RegionOptions> = { tolerance: 28, minArea: 0.08, minTrim: 0.015 };
/** Blocks on the long side: 128 keeps a 1 px text line gap (at 1024 px) from merging a caption in. */
const GRID = 128;
const MIN_SIDE = 24;

export function findContentRegion(pixels: RegionPixels, options: RegionOptions = {}): ContentRegion | null {
  const o = { ...DEFAULTS, ...options };
  const { data, width: W, height: H, channels: C } = pixels;
  if (W < MIN_SIDE * 2 || H < MIN_SIDE * 2 || C < 1) return null;
  const bg = background(pixels, o.tolerance);
  if (!bg) return null;
  // RGB (what the analysis passes) gets an unrolled test: this runs for every sampled pixel of an image
  // whose corners agree (a framed picture, a screenshot, a dark photo), up to a few ms per image.
  const tol = o.tolerance;
  const [b0, b1, b2] = [bg[0] as number, (bg[1] ?? bg[0]) as number, (bg[2] ?? bg[0]) as number];
  const isBg =
    C >= 3
      ? (i: number) =>
          Math.abs((data[i] as number) - b0) <= tol &&
          Math.abs((data[i + 1] as number) - b1) <= tol &&
          Math.abs((data[i + 2] as number) - b2) <= tol
      : (i: number) => {
          for (let c = 0; c < C; c++)
            if (Math.abs((data[i + c] as number) - (bg[c] as number)) > tol) return false;
          return true;
        };

  // Content blocks: more than half of a block's (sampled) pixels differ from the background.
  const bs = Math.max(2, Math.round(Math.max(W, H) / GRID));
  const gw = Math.ceil(W / bs);
  const gh = Math.ceil(H / bs);
  const content = new Uint8Array(gw * gh);
  // Sampled positions: every other pixel along each axis from each block's start.
  const n = new Int32Array(gw * gh);
  const fg = new Int32Array(gw * gh);
  countBlocks(data, W, H, C, [b0, b1, b2], tol, isBg, bs, gw, n, fg);
  markContent(content, n, fg);

  const best = largestComponent(content, gw, gh);
  if (!best) return null;
  // Content outside the component (text lines, an avatar) makes it an embedded picture.
  const others = best.total - best.count;
  const bx0 = best.x0 * bs;
  const by0 = best.y0 * bs;
  const bx1 = Math.min(W, (best.x1 + 1) * bs);
  const by1 = Math.min(H, (best.y1 + 1) * bs);
  // A picture is a filled rectangle; a scatter of shapes on a flat background is not one.
  const boxBlocks = (best.x1 - best.x0 + 1) * (best.y1 - best.y0 + 1);
  if (best.count < 0.85 * boxBlocks) return null;

  // Pixel-exact edges: the first/last row and column, near the block edge, that is mostly content.
  const rowIsContent = (y: number, x0: number, x1: number) => {
    let fg = 0;
    for (let x = x0; x < x1; x++) if (!isBg((y * W + x) * C)) fg++;
    return fg * 2 > x1 - x0;
  };
  const colIsContent = (x: number, y0: number, y1: number) => {
    let fg = 0;
    for (let y = y0; y < y1; y++) if (!isBg((y * W + x) * C)) fg++;
    return fg * 2 > y1 - y0;
  };
  let top = Math.max(0, by0 - bs);
  while (top < by1 - 1 && !rowIsContent(top, bx0, bx1)) top++;
  let bottom = Math.min(H, by1 + bs);
  while (bottom > top + 1 && !rowIsContent(bottom - 1, bx0, bx1)) bottom--;
  let left = Math.max(0, bx0 - bs);
  while (left < bx1 - 1 && !colIsContent(left, top, bottom)) left++;
  let right = Math.min(W, bx1 + bs);
  while (right > left + 1 && !colIsContent(right - 1, top, bottom)) right--;

  const region = { x: left, y: top, width: right - left, height: bottom - top };
  if (region.width < MIN_SIDE || region.height < MIN_SIDE) return null;
  if (region.width * region.height < o.minArea * W * H) return null;
  const trimmed = 1 - (region.width * region.height) / (W * H);
  if (trimmed < o.minTrim) return null;
  const margins = { l: left, t: top, r: W - right, b: H - bottom };
  // Two pixels of margin is JPEG edge noise, not a bar.
  const edge = Math.max(2, Math.round(Math.min(W, H) * 0.005));
  const has = (m: number) => m > edge;
  let kind: ContentRegion['kind'];
  if (others > Math.max(2, 0.01 * gw * gh)) kind = 'embedded';
  else if (has(margins.t) && has(margins.b) && !has(margins.l) && !has(margins.r)) kind = 'letterbox';
  else if (has(margins.l) && has(margins.r) && !has(margins.t) && !has(margins.b)) kind = 'letterbox';
  else kind = 'border';
  return { ...region, kind };
}

/**
 * The colour at least three of the four corners share (median of a small patch each), or null: a photo
 * running to its edges has corners that disagree, and gets no region.
 */
function background(p: RegionPixels, tolerance: number): number[] | null {
  const { data, width: W, height: H, channels: C } = p;
  const s = Math.max(2, Math.round(Math.min(W, H) / 100));
  const patch = (x0: number, y0: number): number[] | null => {
    const chans: number[][] = [[], [], []];
    for (let y = y0; y < y0 + s; y++)
      for (let x = x0; x < x0 + s; x++)
        for (let c = 0; c < 3; c++) chans[c]?.push(data[(y * W + x) * C + Math.min(c, C - 1)] as number);
    const out: number[] = [];
    for (const v of chans) {
      v.sort((a, b) => a - b);
      // A corner that is not flat (texture, a gradient) is no background.
      if ((v[v.length - 1] as number) - (v[0] as number) > tolerance * 2) return null;
      out.push(v[v.length >> 1] as number);
    }
    return out;
  };
  const corners = [patch(0, 0), patch(W - s, 0), patch(0, H - s), patch(W - s, H - s)];
  const close = (a: number[], b: number[]) => a.every((v, i) => Math.abs(v - (b[i] as number)) <= tolerance);
  for (const c of corners) {
    if (!c) continue;
    const agree = corners.filter((d) => d && close(c, d)).length;
    if (agree >= 3) return c;
  }
  // Letterbox bars with differently lit corners of one bar pair: two corners on one side agree.
  return null;
}

/**
 * The block scan of `findContentRegion`: per block, the samples (`n`: every other pixel along each axis
 * from the block's start) and those not of the background (`fg`); RGB(A) pixels tested inline against
 * `bg`, one or two channels (grey) by `isBg`. Row by row, each row's samples counted block by block in
 * locals: before, each sample looked its position and block up in two tables and wrote both counts
 * (~1 ms on an 800x600 screenshot-like picture, measured). A function of its own, not a loop inside
 * findContentRegion: there V8 replaced the whole function on the stack (OSR) at this loop, before the
 * code after it had run, and that code then deoptimized ("insufficient type feedback") and was compiled
 * again: findContentRegion was compiled 10-15 times per worker process in one `npm run bench` (~0.4-0.5
 * s of the compiler threads), this loop alone is small to compile. After: findContentRegion no longer
 * optimized at all (it is cheap once its loops are out).
 */
function countBlocks(
  data: Buffer,
  W: number,
  H: number,
  C: number,
  bg: [number, number, number],
  tol: number,
  isBg: (i: number) => boolean,
  bs: number,
  gw: number,
  n: Int32Array,
  fg: Int32Array,
): void {
  // Per channel, whether each value is within `tol` of the background's: three lookups per pixel,
  // without branches.
  const near = (b: number) => {
    const table = new Uint8Array(256);
    for (let v = Math.max(0, b - tol); v <= Math.min(255, b + tol); v++) table[v] = 1;
    return table;
  };
  const [n0, n1, n2] = [near(bg[0]), near(bg[1]), near(bg[2])];
  for (let y0 = 0, by = 0; y0 < H; y0 += bs, by++) {
    const yEnd = Math.min(H, y0 + bs);
    for (let y = y0; y < yEnd; y += 2) {
      const row = y * W;
      for (let x0 = 0, cell = by * gw; x0 < W; x0 += bs, cell++) {
        const xEnd = Math.min(W, x0 + bs);
        let samples = 0;
        let background = 0;
        if (C >= 3) {
          for (let i = (row + x0) * C, end = (row + xEnd) * C, step = 2 * C; i < end; i += step) {
            samples++;
            background +=
              (n0[data[i] as number] as number) &
              (n1[data[i + 1] as number] as number) &
              (n2[data[i + 2] as number] as number);
          }
        } else {
          for (let x = x0; x < xEnd; x += 2) {
            samples++;
            if (isBg((row + x) * C)) background++;
          }
        }
        n[cell] = (n[cell] as number) + samples;
        fg[cell] = (fg[cell] as number) + samples - background;
      }
    }
  }
}

/** Content blocks: more than half of their samples differ from the background (a loop outside findContentRegion: see countBlocks). */
function markContent(content: Uint8Array, n: Int32Array, fg: Int32Array): void {
  for (let k = 0; k < content.length; k++) content[k] = (fg[k] as number) * 2 > (n[k] as number) ? 1 : 0;
}

interface Component {
  count: number;
  total: number;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

function largestComponent(grid: Uint8Array, gw: number, gh: number): Component | null {
  const label = new Int32Array(gw * gh);
  const stack: number[] = [];
  let best: Component | null = null;
  let total = 0;
  let next = 0;
  for (let start = 0; start < grid.length; start++) {
    if (!grid[start] || label[start]) continue;
    next++;
    const c = grow(grid, label, stack, start, next, gw, gh);
    total += c.count;
    if (!best || c.count > best.count) best = c;
  }
  return best ? { ...best, total } : null;
}

/**
 * The 4-connected component of content cells from `start`, labelled `next`. A function of its own, not a
 * loop inside largestComponent: there V8 replaced largestComponent on the stack (OSR) at this loop during
 * its first component, and the code after the loop then deoptimized ("insufficient type feedback"):
 * largestComponent was compiled 9-10 times per worker process in one `npm run bench` (4 deopts).
 */
function grow(
  grid: Uint8Array,
  label: Int32Array,
  stack: number[],
  start: number,
  next: number,
  gw: number,
  gh: number,
): Component {
  const c = { count: 0, total: 0, x0: gw, y0: gh, x1: -1, y1: -1 };
  stack.push(start);
  label[start] = next;
  while (stack.length) {
    const i = stack.pop() as number;
    const x = i % gw;
    const y = (i - x) / gw;
    c.count++;
    if (x < c.x0) c.x0 = x;
    if (x > c.x1) c.x1 = x;
    if (y < c.y0) c.y0 = y;
    if (y > c.y1) c.y1 = y;
    if (x > 0) visit(grid, label, stack, i - 1, next);
    if (x < gw - 1) visit(grid, label, stack, i + 1, next);
    if (y > 0) visit(grid, label, stack, i - gw, next);
    if (y < gh - 1) visit(grid, label, stack, i + gw, next);
  }
  return c;
}

/**
 * A content cell not labelled yet joins the component being grown. A function of its own, not a closure
 * made per cell: a grid has thousands of cells, and each closure costs an allocation (and, under tsx, a
 * defineProperty for its name: ~4 ms per screenshot-like image, measured).
 */
function visit(grid: Uint8Array, label: Int32Array, stack: number[], j: number, next: number): void {
  if (grid[j] && !label[j]) {
    label[j] = next;
    stack.push(j);
  }
}

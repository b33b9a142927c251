// OpenCV (the @techstark/opencv-js WebAssembly build) loaded once per process (or thread), on first use: it
// costs ~0.6 CPU s (1.62-1.65 through import(), measured before loadOpenCv required it) and ~150 MB (RSS
// +146-152 MB), so processes and threads that never use it never pay it. Feature extraction uses our ORB
// (wasm/orb.ts) where WebAssembly SIMD runs; OpenCV stays for the geometric check (verify.ts:
// findHomography) and as ORB's reference. Only the few calls firstseen makes are typed here; the package's
// own typings describe the browser build loosely (factories that are promises, members created at runtime).
import { createRequire } from 'node:module';

export interface CvMat {
  rows: number;
  cols: number;
  data: Uint8Array;
  data32F: Float32Array;
  data64F: Float64Array;
  delete(): void;
}
interface CvKeyPoint {
  pt: { x: number; y: number };
  response: number;
}
interface CvVector<T> {
  size(): number;
  get(i: number): T;
  delete(): void;
}
interface CvDMatch {
  queryIdx: number;
  trainIdx: number;
  distance: number;
}
export interface Cv {
  Mat: new (rows?: number, cols?: number, type?: number) => CvMat;
  KeyPointVector: new () => CvVector<CvKeyPoint>;
  DMatchVectorVector: new () => CvVector<CvVector<CvDMatch>>;
  ORB: new (
    nfeatures: number,
    scaleFactor?: number,
    nlevels?: number,
    edgeThreshold?: number,
    firstLevel?: number,
    WTA_K?: number,
    scoreType?: number,
    patchSize?: number,
    fastThreshold?: number,
  ) => {
    detectAndCompute(img: CvMat, mask: CvMat, kp: CvVector<CvKeyPoint>, des: CvMat): void;
    delete(): void;
  };
  BFMatcher: new (
    normType: number,
    crossCheck?: boolean,
  ) => {
    knnMatch(q: CvMat, t: CvMat, out: CvVector<CvVector<CvDMatch>>, k: number): void;
    delete(): void;
  };
  matFromArray(rows: number, cols: number, type: number, data: ArrayLike<number>): CvMat;
  findHomography(
    src: CvMat,
    dst: CvMat,
    method: number,
    threshold: number,
    mask: CvMat,
    maxIters: number,
    confidence: number,
  ): CvMat;
  resize(
    src: CvMat,
    dst: CvMat,
    size: { width: number; height: number },
    fx: number,
    fy: number,
    interp: number,
  ): void;
  Size: new (w: number, h: number) => { width: number; height: number };
  CV_8UC1: number;
  CV_32FC2: number;
  NORM_HAMMING: number;
  RANSAC: number;
  INTER_AREA: number;
}

// Always handed out in a box: the Emscripten module object has a `then` method that calls back with the
// module itself, so a promise resolved with it (`return cv` from an async function) spins forever.
let loading: Promise<{ cv: Cv }> | null = null;

export function loadOpenCv(): Promise<{ cv: Cv }> {
  loading ??= (async () => {
    // require, not import(): the package is one 10.9 MB CommonJS file, and import() has Node read it
    // three times over (a parse to tell CommonJS from ESM, cjs-module-lexer's scan for named exports,
    // then the compile) where require compiles it once. Measured per thread, load and runtime start
    // (December 2026, load average ~12): 610 and 430 CPU ms for a process's first and second thread,
    // against 950-1020 and 620-630 through import().
    const mod = createRequire(import.meta.url)('@techstark/opencv-js') as { default?: unknown };
    const cv = (mod.default ?? mod) as Cv & { then?: (ready: () => void) => unknown };
    if (typeof cv.Mat !== 'function' && typeof cv.then === 'function') {
      // The wasm runtime finishes compiling after require returns; the module's own `then` says when
      // (called with a callback that returns nothing, so the thenable is not chained).
      const then = cv.then.bind(cv);
      await new Promise<void>((resolve) => {
        then(() => resolve());
      });
    }
    if (typeof cv.Mat !== 'function') throw new Error('OpenCV did not initialize');
    return { cv };
  })();
  return loading;
}

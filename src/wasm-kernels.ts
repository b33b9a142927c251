// The hand-written WebAssembly kernels (wasm/*.ts, built by scripts/build-wasm.ts into base64 modules:
// PDQ, the imagehash pixel work, ORB's grey copy), instantiated the one way they all are: compiled from
// the module's bytes, an `abort` that throws, and null where this runtime cannot run them (no SIMD), so
// the caller keeps its JavaScript path.

// Node's WebAssembly global: the ES library this project compiles against does not declare it.
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
};

/** The exports of the base64 module `base64`, or null when it cannot be instantiated here. */
export function loadKernels<K>(base64: string, name: string): K | null {
  try {
    const module = new WebAssembly.Module(Buffer.from(base64, 'base64'));
    const abort = () => {
      throw new Error(`${name} wasm aborted`);
    };
    return new WebAssembly.Instance(module, { env: { abort } }).exports as K;
  } catch {
    return null; // no WebAssembly SIMD here: the JS path
  }
}

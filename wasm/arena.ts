// The memory every kernel lays out the same way: a bump allocator over the module's linear memory, above
// its static data (and any fixed tables the kernel keeps at the start: `keepBelow`). The caller resets it,
// takes room for its inputs and outputs with `alloc`, writes, calls the kernel, and reads back; the memory
// grows to the largest image seen and never shrinks. Imported by grey, imagehash, orb and double-jpeg (each
// module has its own copy of this state: a kernel is compiled on its own); pdq.ts lays out fixed areas.

let floor: usize = (__heap_base + 15) & ~(<usize>15);
let top: usize = floor;

/** Where the heap starts (16-byte aligned): a kernel's fixed tables go from here. */
export function heapStart(): usize {
  return (__heap_base + 15) & ~(<usize>15);
}

/** Keeps everything below `at` (a kernel's fixed tables) out of the arena. */
export function keepBelow(at: usize): void {
  floor = at;
  top = at;
}

export function reset(): void {
  top = floor;
}

/** Where the next `alloc` starts: `release` it to give back what was taken since. */
export function position(): usize {
  return top;
}

/** Gives back everything allocated from `at` (an address `alloc` or `position` returned) on. */
export function release(at: usize): void {
  top = at;
}

/** `bytes` bytes (16-byte aligned, 16 spare bytes after them for vector reads), or 0 when memory cannot grow. */
export function alloc(bytes: i32): usize {
  const at = top;
  const end = (at + <usize>bytes + 16 + 15) & ~(<usize>15);
  const have = (<usize>memory.size()) << 16;
  if (end > have && memory.grow(<i32>((end - have + 0xffff) >> 16)) < 0) return 0;
  top = end;
  return at;
}

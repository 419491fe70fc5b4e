// A small segregated-fit allocator over memory.grow, so the kernel needs no managed runtime
// (built with --runtime stub; nothing here ever allocates managed objects) and can report
// out-of-memory as a code instead of trapping.
//
// Every block is a power of two in size (16 B .. 2 GiB) with an 8-byte header
// [u32 tag = MAGIC | class][u32 state]; the payload is 8-byte aligned. Freed blocks go to a
// per-class free list (next pointer stored in the payload) and are reused by later allocations
// of the same class. Memory is never returned to the host (wasm cannot shrink memory).

const HEADER: usize = 8;
const MIN_CLASS: u32 = 4; // 16-byte blocks
const MAX_CLASS: u32 = 31; // 2 GiB blocks
const MAGIC: u32 = 0x1f0e5700;
const USED: u32 = 0x55534544;
const FREE: u32 = 0x46524545;
const PAGE: u64 = 65536;

// free list heads, one per class
const freeLists: usize = memory.data(32 * 4);
let heapStart: usize = 0;
let heapTop: usize = 0;

@inline function init(): void {
  if (heapStart == 0) {
    heapStart = (__heap_base + 15) & ~(<usize>15);
    heapTop = heapStart;
  }
}

/** Lowest address a host buffer may start at. */
export function heapBase(): usize {
  init();
  return heapStart;
}

/** Current end of linear memory in bytes, as u64 so that 4 GiB does not wrap. */
export function memoryEnd(): u64 {
  return <u64>memory.size() * PAGE;
}

function classFor(bytes: u64): u32 {
  const total = bytes + <u64>HEADER;
  if (total > (<u64>1 << MAX_CLASS)) return 0;
  let c = MIN_CLASS;
  while ((<u64>1 << c) < total) c++;
  return c;
}

/** Returns a pointer to at least `bytes` bytes (8-byte aligned), or 0 when memory is exhausted. */
export function allocBytes(bytes: u64): usize {
  init();
  const c = classFor(bytes);
  if (c == 0) return 0;
  const head = freeLists + (<usize>c << 2);
  let block = <usize>load<u32>(head);
  if (block != 0) {
    store<u32>(head, load<u32>(block + HEADER));
  } else {
    const size = <u64>1 << c;
    const end = <u64>heapTop + size;
    if (end > memoryEnd()) {
      if (end > (<u64>1 << 32)) return 0;
      const pages = <i32>((end - memoryEnd() + PAGE - 1) / PAGE);
      if (memory.grow(pages) < 0) return 0;
    }
    block = heapTop;
    heapTop = <usize>end;
  }
  store<u32>(block, MAGIC | c);
  store<u32>(block, USED, 4);
  return block + HEADER;
}

/** True when ptr is the payload of a live block returned by allocBytes. */
export function isLiveBlock(ptr: usize): bool {
  init();
  if (ptr < heapStart + HEADER || ptr >= heapTop || ((ptr - heapStart) & 7) != 0) return false;
  const block = ptr - HEADER;
  const tag = load<u32>(block);
  if ((tag & 0xffffff00) != MAGIC) return false;
  const c = tag & 0xff;
  if (c < MIN_CLASS || c > MAX_CLASS) return false;
  return load<u32>(block, 4) == USED;
}

/** Returns a block to its free list; ignores pointers that are not live blocks (never traps). */
export function freeBytes(ptr: usize): void {
  if (!isLiveBlock(ptr)) return;
  const block = ptr - HEADER;
  const c = load<u32>(block) & 0xff;
  const head = freeLists + (<usize>c << 2);
  store<u32>(block, FREE, 4);
  store<u32>(ptr, load<u32>(head));
  store<u32>(head, <u32>block);
}

/** True when [ptr, ptr+bytes) lies inside the heap (not the static data/stack below it). */
export function inHeap(ptr: usize, bytes: u64): bool {
  init();
  if (ptr < heapStart) return false;
  return <u64>ptr + bytes <= memoryEnd();
}

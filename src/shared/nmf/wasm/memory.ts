/**
 * Linear-memory layout and streaming, shared by the one-thread host (./index.ts) and the kernel
 * team (./team): where buffers go, how V is cut into blocks, how a range is split into parts.
 *
 * Only O((m + n)·k) lives in linear memory: the factors, the output and scratch rows. V is streamed
 * through a block of about 256 KB (a few dozen dense rows, or ~32 000 stored CSR entries) per
 * thread, copied in just before the kernel reads it, so no m × n copy of V is ever made and the
 * block is still in cache when it is read.
 */

/** Doubles of V per streamed block and thread (256 KB: fits L2 next to the factors). */
export const BLOCK_DOUBLES = 32768;
/** Bytes of a WebAssembly page. */
const PAGE = 65536;

/**
 * Typed views of one linear memory from its heap base: lays out buffers (16-byte aligned, growing
 * the memory when needed) and copies arrays in and out. The views are renewed whenever the memory
 * has grown, here or (shared memory) in another thread.
 */
export class Heap {
  f64 = new Float64Array(0);
  i32 = new Int32Array(0);

  constructor(
    private readonly memory: WebAssembly.Memory,
    private readonly heapBase: number,
  ) {}

  /** Renews the views if the memory has grown (a detached or shorter buffer). */
  refresh(): void {
    const buffer = this.memory.buffer;
    if (this.f64.buffer.byteLength !== buffer.byteLength) {
      this.f64 = new Float64Array(buffer);
      this.i32 = new Int32Array(buffer);
    }
  }

  /** Byte addresses of buffers of `sizes` doubles laid out from the heap base. */
  layout(sizes: readonly number[]): number[] {
    return this.layoutFrom(this.heapBase, sizes);
  }

  /** Byte addresses of buffers of `sizes` doubles laid out from byte `at` (16-byte aligned). */
  layoutFrom(at: number, sizes: readonly number[]): number[] {
    const out: number[] = [];
    for (const size of sizes) {
      out.push(at);
      at = after(at, size);
    }
    const have = this.memory.buffer.byteLength;
    if (at > have) this.memory.grow(Math.ceil((at - have) / PAGE));
    this.refresh();
    return out;
  }

  /** Copies the first `length` doubles of `src` to byte `at`. */
  put(src: Float64Array, length: number, at: number): void {
    this.f64.set(length === src.length ? src : src.subarray(0, length), at >> 3);
  }

  /** Copies `length` doubles from byte `at` into `dst`. */
  take(at: number, length: number, dst: Float64Array): void {
    dst.set(this.f64.subarray(at >> 3, (at >> 3) + length));
  }

  /** Zeroes `length` doubles from byte `at`. */
  zero(at: number, length: number): void {
    this.f64.fill(0, at >> 3, (at >> 3) + length);
  }

  /** A view of `length` doubles from byte `at`, valid until the memory grows. */
  view(at: number, length: number): Float64Array {
    return this.f64.subarray(at >> 3, (at >> 3) + length);
  }
}

/** The byte after a buffer of `size` doubles at byte `at` (16-byte aligned). */
export function after(at: number, size: number): number {
  return at + evenDoubles(size) * 8;
}

/** Doubles, rounded up to 16 bytes. */
export function evenDoubles(doubles: number): number {
  return Math.ceil(doubles / 2) * 2;
}

/** Rows per streamed dense block of width `width`, at most `cap` (and at least 1). */
export function blockRows(width: number, cap: number): number {
  return Math.max(1, Math.min(cap, Math.floor(BLOCK_DOUBLES / Math.max(width, 1))));
}

/** Entries per streamed row-pointer block: BLOCK_DOUBLES, or the longest row of `ptr` if longer. */
export function longestRow(ptr: Int32Array, rows: number): number {
  let longest = 0;
  for (let i = 0; i < rows; i++) longest = Math.max(longest, ptr[i + 1] - ptr[i]);
  return Math.max(BLOCK_DOUBLES, longest);
}

/** Rows per streamed block of a row-pointer list at most (the block's ptr slice is rows + 1 long). */
export function blockRowCap(rows: number): number {
  return Math.min(rows, BLOCK_DOUBLES);
}

/**
 * Cuts rows [0, rows) of a row-pointer list `ptr` into consecutive blocks [r0, r1) of at most
 * `blockRowCap(rows)` rows and `cap` entries (one longer row makes its own block), in order.
 */
export function forEachRowBlock(
  ptr: Int32Array,
  rows: number,
  cap: number,
  visit: (r0: number, r1: number) => void,
): void {
  forEachRowBlockIn(ptr, 0, rows, blockRowCap(rows), cap, visit);
}

/** `forEachRowBlock` over rows [from, to) with at most `maxRows` rows per block. */
export function forEachRowBlockIn(
  ptr: Int32Array,
  from: number,
  to: number,
  maxRows: number,
  cap: number,
  visit: (r0: number, r1: number) => void,
): void {
  let r0 = from;
  while (r0 < to) {
    const base = ptr[r0];
    let r1 = r0 + 1;
    while (r1 < to && r1 - r0 < maxRows && ptr[r1 + 1] - base <= cap) r1++;
    visit(r0, r1);
    r0 = r1;
  }
}

/** [start, end) of part p of `len` items split into `parts` contiguous ranges. */
export function partRange(len: number, parts: number, p: number): [number, number] {
  return [Math.floor((p * len) / parts), Math.floor(((p + 1) * len) / parts)];
}

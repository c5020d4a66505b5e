// Size classes of the slab arena: every record is rounded up to one of a
// fixed list of sizes, and each size has its own free list, so a freed record
// is reused by the next record of the same class (no search, no splitting,
// no coalescing; fragmentation is bounded by the rounding instead).
//
// The classes (jemalloc's shape): 8-byte steps from 16 to 256 bytes, where
// most keys-plus-values of a cache live and a few wasted bytes per record
// matter most (a 13-byte key with a 100-byte value makes a 128-byte record,
// wasting nothing); then four classes per doubling up to RECORD_BYTES_MAX,
// so at most 25% of a larger record is rounding.

import { assert } from '../assert.js';

/** Every record starts 8-byte aligned (its version is a Float64Array element), so sizes are multiples of 8. */
export const RECORD_ALIGN_BYTES = 8;
/** The smallest class: a freed record must hold the free list's next pointer (4 bytes), and a header fits in 16. */
export const RECORD_BYTES_MIN = 16;
/** Where the 8-byte steps end and the four-per-doubling classes begin. */
const FINE_CLASSES_BYTES_MAX = 256;
/**
 * The largest record: a key up to Limits.keyBytesMax (16 KiB) with its header
 * and a small value must fit; larger values live in their own buffer
 * (store.ts), so no record needs more. Far below the page size, so the
 * space wasted at the end of a page stays small.
 */
export const RECORD_BYTES_MAX = 32 * 1024;

function buildClasses(): Uint32Array {
  const sizes: number[] = [];
  for (let s = RECORD_BYTES_MIN; s <= FINE_CLASSES_BYTES_MAX; s += RECORD_ALIGN_BYTES) sizes.push(s);
  for (let base = FINE_CLASSES_BYTES_MAX; base < RECORD_BYTES_MAX; base *= 2) {
    for (let quarter = 1; quarter <= 4; quarter++) sizes.push(base + (base / 4) * quarter);
  }
  return Uint32Array.from(sizes);
}

/** The size of each class in bytes, increasing; a class is an index into this. */
export const SIZE_CLASS_BYTES: Uint32Array = buildClasses();
export const SIZE_CLASS_COUNT = SIZE_CLASS_BYTES.length;

/** Above the fine classes, a class by ceil(bytes / 64): 64 divides every coarse class size. */
const COARSE_STEP_BYTES = 64;
const COARSE_CLASS_OF = ((): Uint8Array => {
  const table = new Uint8Array(RECORD_BYTES_MAX / COARSE_STEP_BYTES + 1);
  let cls = 0;
  for (let i = 0; i < table.length; i++) {
    while (SIZE_CLASS_BYTES[cls]! < i * COARSE_STEP_BYTES) cls++;
    table[i] = cls;
  }
  return table;
})();

assert(SIZE_CLASS_BYTES[SIZE_CLASS_COUNT - 1] === RECORD_BYTES_MAX, 'the last class is the largest record');
assert(SIZE_CLASS_COUNT <= 255, 'classes are indexed by a byte');
assert(SIZE_CLASS_BYTES.every((s) => s % RECORD_ALIGN_BYTES === 0), 'every class keeps records aligned');

/** The class a record of `bytes` goes in: the smallest class at least that large. */
export function sizeClassOf(bytes: number): number {
  if (!(bytes > 0 && bytes <= RECORD_BYTES_MAX)) {
    assert(false, () => `record of ${bytes} bytes is outside 1..${RECORD_BYTES_MAX}`);
  }
  if (bytes <= FINE_CLASSES_BYTES_MAX) {
    return bytes <= RECORD_BYTES_MIN ? 0 : ((bytes + RECORD_ALIGN_BYTES - 1) >>> 3) - RECORD_BYTES_MIN / RECORD_ALIGN_BYTES;
  }
  return COARSE_CLASS_OF[Math.ceil(bytes / COARSE_STEP_BYTES)]!;
}

// The layout of one record in a slab page: a key, its value (or the id of
// its separate buffer when large), its version and, only when it has one,
// its expiry. A record without expiry carries no expiry bytes at all.
//
//   offset  size  field
//   0       8     version          f64 (a log index, up to 2^53)
//   8       4     value length     u32 (LARGE: the id of the value's own buffer)
//   12      2     key length       u16 (keys are at most 16 KiB)
//   14      1     flags            FLAG_EXPIRY | FLAG_LARGE | FLAG_FREE | type << TYPE_SHIFT
//   -- when FLAG_EXPIRY:
//   16      8     expireAtMs       f64 (ms since the epoch, up to 2^53)
//   24      4     expiry position  u32 (its slot in the expiry index)
//   -- then
//   15 / 28       key bytes, then value bytes (none when LARGE)
//
// A record's size is computed from its header (record bytes = header + key +
// inline value), so the arena needs no size field to free it. Records are
// 8-byte aligned, so the f64 fields are Float64Array elements and the u32s
// Uint32Array elements of the page.

import { assert } from '../assert.js';
import { RECORD_BYTES_MAX } from './size-classes.js';

export const FLAG_EXPIRY = 1;
export const FLAG_LARGE = 2;
/**
 * Set on a freed record (its version's first word then holds the free list's
 * link): a snapshot walking the pages in address order skips it. The rest of
 * the header stays, so a freed record's size can still be read.
 */
export const FLAG_FREE = 4;
/**
 * Bits 3..5: the value's type (value-type.ts; 0 = string). A LARGE record of
 * a collection type keeps a collection object (collection.ts) where a large
 * string keeps its buffer.
 */
export const TYPE_SHIFT = 3;
export const TYPE_MASK = 0x7 << TYPE_SHIFT;

export const OFFSET_VERSION = 0;
export const OFFSET_VALUE_LENGTH = 8;
export const OFFSET_KEY_LENGTH = 12;
export const OFFSET_FLAGS = 14;
export const OFFSET_EXPIRE_AT = 16;
export const OFFSET_EXPIRY_POSITION = 24;
/** Where the key starts without / with an expiry. */
export const HEADER_BYTES = 15;
export const HEADER_EXPIRY_BYTES = 28;

/**
 * Values longer than this get their own Uint8Array instead of a place in a
 * slab page. Its fixed cost (~300 bytes of typed-array and buffer headers)
 * is under 8% of such a value, while size classes that big would waste more
 * to rounding and tie up page space in few, rarely reused records.
 */
export const VALUE_INLINE_BYTES_MAX = 4096;
/** Keys are stored inline always; their length field is 16 bits. */
export const KEY_BYTES_MAX_LAYOUT = 0xffff;
/**
 * The longest key a store accepts: a record with an expiry, the key and a
 * large value's id (4 bytes) must fit the largest size class.
 * Limits.keyBytesMax is checked against it at load (core/limits.ts).
 */
export const STORE_KEY_BYTES_MAX = Math.min(KEY_BYTES_MAX_LAYOUT, RECORD_BYTES_MAX - HEADER_EXPIRY_BYTES - 4);

// The largest inline record (longest key the layout allows is capped by the store's limits).
assert(HEADER_EXPIRY_BYTES + VALUE_INLINE_BYTES_MAX < RECORD_BYTES_MAX, 'an inline value must fit a record');

/** Bytes of a record with this key length, inline value length (0 when large) and expiry flag. */
export function recordBytes(keyLength: number, inlineValueLength: number, hasExpiry: boolean): number {
  return (hasExpiry ? HEADER_EXPIRY_BYTES : HEADER_BYTES) + keyLength + inlineValueLength;
}

/** Whether a value of this length lives in its own buffer, given the key it goes with. */
export function isLargeValue(keyLength: number, valueLength: number): boolean {
  return valueLength > VALUE_INLINE_BYTES_MAX || recordBytes(keyLength, valueLength, true) > RECORD_BYTES_MAX;
}

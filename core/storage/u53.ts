// Indexes, terms and offsets are JavaScript safe integers (< 2^53); on disk
// they take 8 bytes, little-endian, as two u32 halves. A decoded value beyond
// 2^53 cannot come from us, so the reader reports it as corruption.

import { assert } from '../assert.js';
import type { ByteReader, ByteWriter } from '../ring/byte-writer.js';

const TWO_POW_32 = 0x1_0000_0000;

export function writeU53(w: ByteWriter, value: number): void {
  // No message closure on the hot path: several are written per sync.
  if (!(Number.isSafeInteger(value) && value >= 0)) assert(false, `not a safe non-negative integer: ${value}`);
  w.u32(value % TWO_POW_32);
  w.u32(Math.floor(value / TWO_POW_32));
}

/** Throws RangeError for a value that is not a safe integer (so callers treat it like truncated input). */
export function readU53(r: ByteReader): number {
  const low = r.u32();
  const high = r.u32();
  if (high >= 0x20_0000) throw new RangeError('integer beyond 2^53');
  return high * TWO_POW_32 + low;
}

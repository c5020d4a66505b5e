// The intset encoding of a small set of integers (Redis's intset): a tag
// byte, a width byte (2, 4 or 8: the bytes each integer takes, enough for
// the widest), then the integers in ascending order, little-endian. A member
// is held as an integer only when it is an integer's canonical text
// (core/int64.ts), so turning it back into text gives the member's bytes.

import { parseInt64 } from '../../int64.js';
import { SetTag } from './set-encoding.js';

const HEADER_BYTES = 2;
const encoder = new TextEncoder();

function widthOf(bytes: Uint8Array): number {
  return bytes[1]!;
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function intsetCount(bytes: Uint8Array): number {
  return (bytes.length - HEADER_BYTES) / widthOf(bytes);
}

export function intsetAt(bytes: Uint8Array, i: number): bigint {
  const width = widthOf(bytes);
  const at = HEADER_BYTES + i * width;
  const v = view(bytes);
  if (width === 2) return BigInt(v.getInt16(at, true));
  if (width === 4) return BigInt(v.getInt32(at, true));
  return v.getBigInt64(at, true);
}

/** Index of `value`, or -(insertion point) - 1 when absent (binary search). */
export function intsetIndexOf(bytes: Uint8Array, value: bigint): number {
  let lo = 0;
  let hi = intsetCount(bytes) - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const x = intsetAt(bytes, mid);
    if (x === value) return mid;
    if (x < value) lo = mid + 1;
    else hi = mid - 1;
  }
  return -lo - 1;
}

/** The member as an intset holds it, or null when it is not an integer's canonical text. */
export function intsetValueOf(member: Uint8Array): bigint | null {
  return parseInt64(member);
}

export function intsetMemberText(value: bigint): Uint8Array {
  return encoder.encode(value.toString());
}

function widthFor(value: bigint): number {
  if (value >= -0x8000n && value <= 0x7fffn) return 2;
  if (value >= -0x8000_0000n && value <= 0x7fff_ffffn) return 4;
  return 8;
}

/** The encoding of `values`, which must be ascending without repeats. */
export function intsetEncode(values: readonly bigint[]): Uint8Array {
  let width = 2;
  for (const x of values) width = Math.max(width, widthFor(x));
  const bytes = new Uint8Array(HEADER_BYTES + values.length * width);
  bytes[0] = SetTag.INTSET;
  bytes[1] = width;
  const v = view(bytes);
  for (let i = 0; i < values.length; i++) {
    const at = HEADER_BYTES + i * width;
    if (width === 2) v.setInt16(at, Number(values[i]!), true);
    else if (width === 4) v.setInt32(at, Number(values[i]!), true);
    else v.setBigInt64(at, values[i]!, true);
  }
  return bytes;
}

/** Every integer, ascending. */
export function intsetValues(bytes: Uint8Array): bigint[] {
  const n = intsetCount(bytes);
  const out: bigint[] = new Array<bigint>(n);
  for (let i = 0; i < n; i++) out[i] = intsetAt(bytes, i);
  return out;
}

/** Null when `bytes` is a valid intset, else what is wrong (for snapshot restores). */
export function intsetInvalid(bytes: Uint8Array): string | null {
  if (bytes.length < HEADER_BYTES || bytes[0] !== SetTag.INTSET) return 'not an intset';
  const width = widthOf(bytes);
  if (width !== 2 && width !== 4 && width !== 8) return `an intset width of ${width}`;
  if ((bytes.length - HEADER_BYTES) % width !== 0) return 'an intset cut short';
  const n = intsetCount(bytes);
  if (n === 0) return 'an empty intset (an empty set is no key)';
  for (let i = 1; i < n; i++) if (intsetAt(bytes, i - 1) >= intsetAt(bytes, i)) return 'an intset out of order';
  return null;
}

// One list element as it is laid out in a list's bytes (the compact form,
// list-compact.ts, and every node of a large list, quick-list.ts): a varint
// header, then the payload. Elements are self-delimiting, so a run of them
// is just their concatenation, read front to back.
//
// Header h (LEB128, 7 bits a byte, low bits first):
//   h even: h / 2 bytes of payload follow (the element's bytes);
//   h odd:  no payload; the element is the canonical decimal text of the
//           integer zigzag-decoded from (h - 1) / 2.
// Text that is a canonical integer of at most LIST_INT_DIGITS_MAX digits is
// always stored as an integer, so an element has exactly one encoding and
// two elements are equal exactly when their encodings are (LREM, LPOS and
// LINSERT compare encodings). Like Redis's listpack integers, "123456" costs
// 3 bytes instead of 7; a short string costs its length plus one byte
// (listpack: plus two).

import { canonicalDigitsStart } from '../../int64.js';
import { varintBytes } from '../varint.js';

/**
 * Longest integer text stored as an integer: 15 digits stay exact in a
 * double through zigzag and header arithmetic (2 * 2 * 10^15 < 2^53), so no
 * bigint is needed on the hot path.
 */
export const LIST_INT_DIGITS_MAX = 15;

/** Longest header: a payload length or integer below 2^53 takes at most 8 varint bytes. */
const HEADER_BYTES_MAX = 8;

const CHAR_0 = 0x30;
const CHAR_MINUS = 0x2d;

/** The integer `v` is the canonical text of (at most LIST_INT_DIGITS_MAX digits), or null. */
function integerOf(v: Uint8Array): number | null {
  if (v.length === 0 || v.length > LIST_INT_DIGITS_MAX + 1) return null;
  const digits = canonicalDigitsStart(v, 0, v.length);
  if (digits < 0 || v.length - digits > LIST_INT_DIGITS_MAX) return null;
  let n = 0;
  for (let i = digits; i < v.length; i++) n = n * 10 + (v[i]! - CHAR_0);
  return v[0] === CHAR_MINUS ? -n : n;
}

function headerOf(v: Uint8Array): number {
  const n = integerOf(v);
  if (n === null) return v.length * 2;
  const zigzag = n < 0 ? -n * 2 - 1 : n * 2;
  return zigzag * 2 + 1;
}

/** Bytes `v` takes as an element. */
export function elementBytes(v: Uint8Array): number {
  const h = headerOf(v);
  return varintBytes(h) + (h % 2 === 0 ? v.length : 0);
}

/** Write `v` at buf[off]; returns the offset after it. The caller made room (elementBytes). */
export function writeElement(buf: Uint8Array, off: number, v: Uint8Array): number {
  let h = headerOf(v);
  const payload = h % 2 === 0;
  while (h >= 0x80) {
    buf[off++] = (h % 0x80) | 0x80;
    h = Math.floor(h / 0x80);
  }
  buf[off++] = h;
  if (payload) {
    buf.set(v, off);
    off += v.length;
  }
  return off;
}

/** `v`'s encoding on its own: what equality is judged on. */
export function encodeElement(v: Uint8Array): Uint8Array {
  const out = new Uint8Array(elementBytes(v));
  writeElement(out, 0, v);
  return out;
}

function headerAt(buf: Uint8Array, off: number): number {
  let h = 0;
  let scale = 1;
  for (;;) {
    const byte = buf[off++]!;
    h += (byte & 0x7f) * scale;
    if (byte < 0x80) return h;
    scale *= 0x80;
  }
}

function headerEnd(buf: Uint8Array, off: number): number {
  while (buf[off]! >= 0x80) off++;
  return off + 1;
}

/** The offset just after the element at `off`. */
export function elementEnd(buf: Uint8Array, off: number): number {
  const h = headerAt(buf, off);
  const end = headerEnd(buf, off);
  return h % 2 === 0 ? end + h / 2 : end;
}

/** The element at `off`, as its own bytes (a copy: the list's bytes change under later writes). */
export function readElement(buf: Uint8Array, off: number): Uint8Array {
  const h = headerAt(buf, off);
  const start = headerEnd(buf, off);
  if (h % 2 === 0) return buf.slice(start, start + h / 2);
  const zigzag = (h - 1) / 2;
  const n = zigzag % 2 === 0 ? zigzag / 2 : -(zigzag + 1) / 2;
  const text = String(n);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/** Whether the element at buf[off, end) is the one encoded as `needle` (encodeElement). */
export function elementIs(buf: Uint8Array, off: number, end: number, needle: Uint8Array): boolean {
  if (end - off !== needle.length) return false;
  for (let i = 0; i < needle.length; i++) if (buf[off + i] !== needle[i]) return false;
  return true;
}

/**
 * The number of elements in buf[start, end), or why they are not a valid
 * run of elements (for snapshots read back): a header too long, a payload
 * past the end, an integer beyond LIST_INT_DIGITS_MAX, or text stored as a
 * string that should have been an integer (equality by encoding needs one
 * encoding per element).
 */
export function countElements(buf: Uint8Array, start: number, end: number): number | string {
  let count = 0;
  let off = start;
  while (off < end) {
    let headerLength = 0;
    while (off + headerLength < end && buf[off + headerLength]! >= 0x80) headerLength++;
    if (off + headerLength >= end || headerLength >= HEADER_BYTES_MAX) return `a malformed element header at byte ${off}`;
    const h = headerAt(buf, off);
    const payload = off + headerLength + 1;
    if (h % 2 === 1) {
      const zigzag = (h - 1) / 2;
      const n = zigzag % 2 === 0 ? zigzag / 2 : (zigzag + 1) / 2;
      if (String(n).length > LIST_INT_DIGITS_MAX) return `an integer element beyond ${LIST_INT_DIGITS_MAX} digits at byte ${off}`;
      off = payload;
    } else {
      const next = payload + h / 2;
      if (next > end) return `an element runs past the end at byte ${off}`;
      if (integerOf(buf.subarray(payload, next)) !== null) return `an integer stored as text at byte ${off}`;
      off = next;
    }
    count++;
  }
  return count;
}

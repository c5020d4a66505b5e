// Signed 64-bit integers as Piccolo stores and accepts them. An integer is
// valid only as the canonical decimal text of an int64 (Redis's rule: optional
// '-', no '+', no leading zeros, no "-0", no spaces), so that INCR never
// silently reinterprets data and every front door agrees on what a number is.

export const INT64_MIN = -(1n << 63n);
export const INT64_MAX = (1n << 63n) - 1n;
/** Longest int64 text: "-9223372036854775808". */
export const INT64_TEXT_BYTES_MAX = 20;

const CHAR_0 = 0x30;
const CHAR_9 = 0x39;
const CHAR_MINUS = 0x2d;

export function isInt64(value: bigint): boolean {
  return value >= INT64_MIN && value <= INT64_MAX;
}

/**
 * Checks that bytes[from, to) is laid out as a canonical integer (sign and
 * digits only; range not checked) and returns the index of its first digit,
 * or -1.
 */
export function canonicalDigitsStart(bytes: Uint8Array, from: number, to: number): number {
  const n = to - from;
  if (n <= 0 || n > INT64_TEXT_BYTES_MAX) return -1;
  let i = from;
  if (bytes[i] === CHAR_MINUS) {
    i++;
    if (i === to) return -1;
    if (bytes[i] === CHAR_0) return -1; // "-0" and "-01" are not canonical
  } else if (bytes[i] === CHAR_0 && n > 1) {
    return -1; // leading zero
  }
  for (let j = i; j < to; j++) {
    const c = bytes[j]!;
    if (c < CHAR_0 || c > CHAR_9) return -1;
  }
  return i;
}

/** The int64 written canonically in bytes[from, to), or null. */
export function parseInt64(bytes: Uint8Array, from = 0, to = bytes.length): bigint | null {
  if (canonicalDigitsStart(bytes, from, to) < 0) return null;
  let text = '';
  for (let j = from; j < to; j++) text += String.fromCharCode(bytes[j]!);
  const value = BigInt(text);
  return isInt64(value) ? value : null;
}

// Integers as the store keeps them: the canonical decimal text of a signed
// 64-bit integer ("0", "-7", never "07", "+7", "-0" or " 7"), so the model
// accepts exactly what INCR accepts.

import { isInt64 } from '../int64.js';

const CANONICAL_DECIMAL = /^(0|-?[1-9][0-9]{0,18})$/;

/** The integer a register value holds, or null if INCR would refuse it. Absent counts as 0. */
export function parseDecimalInt64(text: string | null): bigint | null {
  if (text === null) return 0n;
  if (!CANONICAL_DECIMAL.test(text)) return null;
  const value = BigInt(text);
  return isInt64(value) ? value : null;
}

export function isCanonicalDecimalInt64(text: string): boolean {
  return parseDecimalInt64(text) !== null;
}

export function inInt64Range(value: bigint): boolean {
  return isInt64(value);
}

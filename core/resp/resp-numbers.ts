// Number parsing with Redis's strictness (string2ll / strtold as Redis uses
// them), on bytes, for the RESP front door: protocol headers (`*3`, `$5`) and
// command arguments (EX 10, INCRBY 5, GETRANGE 0 -1).
//
// An integer is valid only if it is the canonical decimal text of a signed
// 64-bit integer (core/int64.ts).

import { canonicalDigitsStart, parseInt64 } from '../int64.js';

const CHAR_0 = 0x30;
/** Up to 15 digits a double holds exactly, so they are summed as numbers, not bigints. */
const EXACT_DIGITS_MAX = 15;

/**
 * Same rules as parseInt64, as a number for the hot path (protocol headers,
 * small arguments). A valid int64 beyond the safe-integer range comes back as
 * ±Infinity, so callers can compare it against their limits without losing
 * the "valid but huge" vs "invalid" distinction. Invalid text gives null.
 */
export function parseInt64Number(bytes: Uint8Array, from = 0, to = bytes.length): number | null {
  const digits = canonicalDigitsStart(bytes, from, to);
  if (digits < 0) return null;
  if (to - digits <= EXACT_DIGITS_MAX) {
    let value = 0;
    for (let j = digits; j < to; j++) value = value * 10 + (bytes[j]! - CHAR_0);
    return digits === from ? value : -value;
  }
  const big = parseInt64(bytes, from, to);
  if (big === null) return null;
  if (big > BigInt(Number.MAX_SAFE_INTEGER)) return Infinity;
  if (big < BigInt(Number.MIN_SAFE_INTEGER)) return -Infinity;
  return Number(big);
}

/** Longest float text accepted, as Redis's MAX_LONG_DOUBLE_CHARS. */
const FLOAT_TEXT_BYTES_MAX = 5 * 1024;
const DECIMAL_FLOAT = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const INFINITE_FLOAT = /^[-+]?inf(inity)?$/i;

/**
 * A float argument (INCRBYFLOAT's increment) as Redis's strtold accepts it,
 * minus hex floats: decimal with optional exponent, or inf/infinity (which the
 * caller rejects as "would produce NaN or Infinity", as Redis does). NaN and
 * anything with spaces is null.
 */
export function parseFloatArg(bytes: Uint8Array): number | null {
  const n = bytes.length;
  if (n === 0 || n > FLOAT_TEXT_BYTES_MAX) return null;
  let text = '';
  for (let i = 0; i < n; i++) {
    const c = bytes[i]!;
    if (c >= 0x80) return null;
    text += String.fromCharCode(c);
  }
  if (DECIMAL_FLOAT.test(text)) return Number(text);
  if (INFINITE_FLOAT.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
  return null;
}

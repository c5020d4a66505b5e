// Number parsing with Redis's strictness (string2ll / strtold as Redis uses
// them), on bytes, for the RESP front door: protocol headers (`*3`, `$5`) and
// command arguments (EX 10, INCRBY 5, GETRANGE 0 -1).
//
// An integer is valid only if it is the canonical decimal text of a signed
// 64-bit integer: optional '-', no '+', no leading zeros, no "-0", no spaces.

const CHAR_0 = 0x30;
const CHAR_9 = 0x39;
const CHAR_MINUS = 0x2d;

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
/** Longest int64 text: "-9223372036854775808". */
const INT64_TEXT_BYTES_MAX = 20;
/** Up to 15 digits a double holds exactly, so they are summed as numbers, not bigints. */
const EXACT_DIGITS_MAX = 15;

/** Digits-only check and layout of bytes[from, to); returns the index of the first digit or -1. */
function canonicalDigitsStart(bytes: Uint8Array, from: number, to: number): number {
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

/** The signed 64-bit integer written canonically in bytes[from, to), or null. */
export function parseInt64(bytes: Uint8Array, from = 0, to = bytes.length): bigint | null {
  const digits = canonicalDigitsStart(bytes, from, to);
  if (digits < 0) return null;
  let text = '';
  for (let j = from; j < to; j++) text += String.fromCharCode(bytes[j]!);
  const value = BigInt(text);
  return value < INT64_MIN || value > INT64_MAX ? null : value;
}

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

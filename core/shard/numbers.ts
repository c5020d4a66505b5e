// Integer and float parsing with Redis's strictness: a value is an integer
// only if it is the canonical decimal text of a signed 64-bit integer, so that
// INCR never silently reinterprets data (" 1", "01", "+1", "1e3" are not).

export const INT64_MIN = -(1n << 63n);
export const INT64_MAX = (1n << 63n) - 1n;

/** Canonical signed 64-bit decimal, or null. */
export function parseInt64(bytes: Uint8Array): bigint | null {
  const n = bytes.length;
  if (n === 0 || n > 20) return null;
  let i = 0;
  if (bytes[0] === 0x2d /* - */) {
    if (n === 1) return null;
    i = 1;
  }
  if (bytes[i] === 0x30 /* 0 */ && (n > i + 1 || i === 1)) return null; // no leading zeros, no "-0"
  let text = '';
  for (; i < n; i++) {
    const c = bytes[i]!;
    if (c < 0x30 || c > 0x39) return null;
  }
  for (let j = 0; j < n; j++) text += String.fromCharCode(bytes[j]!);
  const value = BigInt(text);
  if (value < INT64_MIN || value > INT64_MAX) return null;
  return value;
}

/** A finite float in decimal text (as INCRBYFLOAT accepts), or null. */
export function parseFiniteFloat(bytes: Uint8Array): number | null {
  const n = bytes.length;
  if (n === 0 || n > 5120) return null;
  let text = '';
  for (let i = 0; i < n; i++) {
    const c = bytes[i]!;
    // digits, sign, dot, exponent only: rejects spaces, hex, "Infinity", "NaN".
    if (!((c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2b || c === 0x2e || c === 0x65 || c === 0x45)) return null;
    text += String.fromCharCode(c);
  }
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}

/**
 * Float to text the way a human expects from INCRBYFLOAT: 15 significant
 * digits (the precision a double represents exactly in decimal), no
 * exponent for ordinary magnitudes, no trailing zeros.
 */
export function formatFloat(value: number): string {
  const rounded = Number(value.toPrecision(15));
  if (Object.is(rounded, -0)) return '0';
  // Rounding to 15 digits carries values within ~1e293 of ±MAX_VALUE to
  // ±Infinity, text no later INCRBYFLOAT could parse: keep the exact value.
  if (!Number.isFinite(rounded)) return String(value);
  // Shortest round-trip text; JS uses no exponent within [1e-6, 1e21).
  return String(rounded);
}

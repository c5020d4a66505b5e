// Float parsing and formatting for INCRBYFLOAT, with Redis's strictness.
// (Integers: core/int64.ts.)

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

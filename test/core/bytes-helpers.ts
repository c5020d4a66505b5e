// Small byte helpers for the core tests.

/** One byte per char (latin1): "ab\u00ff" -> [0x61, 0x62, 0xff]. */
export function b(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0xff) throw new Error(`b(): char ${c} is not a byte`);
    out[i] = c;
  }
  return out;
}

/** The latin1 image of bytes (inverse of b); comparing two with `<` is bytewise order. */
export function latin1(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

export function hex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += bytes[i]!.toString(16).padStart(2, '0');
  return s;
}

/**
 * A reply (or any value holding bytes and bigints) as plain JSON-able data,
 * so that equality does not depend on typed-array views or buffers.
 */
export function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return `0x${hex(value)}`;
  if (typeof value === 'bigint') return `${value}n`;
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = plain(v);
    return out;
  }
  return value;
}

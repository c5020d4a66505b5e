// Standard base64 (RFC 4648 section 4) without Buffer, so the codecs run in
// browsers as well as in Node. Used by the JSON wire format for bytes that are
// not valid UTF-8 and for opaque scan cursors.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const PAD = 61; // '='

/** Sextet value for each ASCII code; -1 marks a character outside the alphabet. */
const SEXTET_BY_CODE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) SEXTET_BY_CODE[ALPHABET.charCodeAt(i)] = i;

/** Output is built in chunks so that String.fromCharCode never sees more arguments than engines allow. */
const CHARS_PER_CHUNK = 16_384;

export function bytesToBase64(bytes: Uint8Array): string {
  const codes: number[] = [];
  let out = '';
  const n = bytes.length;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const triple = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    codes.push(
      ALPHABET.charCodeAt(triple >>> 18), ALPHABET.charCodeAt((triple >>> 12) & 63),
      ALPHABET.charCodeAt((triple >>> 6) & 63), ALPHABET.charCodeAt(triple & 63),
    );
    if (codes.length >= CHARS_PER_CHUNK) {
      out += String.fromCharCode.apply(null, codes);
      codes.length = 0;
    }
  }
  const rest = n - i;
  if (rest === 1) {
    const b = bytes[i]!;
    codes.push(ALPHABET.charCodeAt(b >>> 2), ALPHABET.charCodeAt((b & 3) << 4), PAD, PAD);
  } else if (rest === 2) {
    const pair = (bytes[i]! << 8) | bytes[i + 1]!;
    codes.push(ALPHABET.charCodeAt(pair >>> 10), ALPHABET.charCodeAt((pair >>> 4) & 63), ALPHABET.charCodeAt((pair & 15) << 2), PAD);
  }
  return out + String.fromCharCode.apply(null, codes);
}

/**
 * Decodes standard base64; padding is optional. Returns null for anything
 * else (other characters, whitespace, a length no encoder produces), so the
 * caller can answer with a clear error.
 */
export function base64ToBytes(text: string): Uint8Array | null {
  let end = text.length;
  if (end > 0 && text.charCodeAt(end - 1) === PAD) end--;
  if (end > 0 && text.charCodeAt(end - 1) === PAD) end--;
  if (end !== text.length && text.length % 4 !== 0) return null; // padding only completes a quad
  const tail = end % 4;
  if (tail === 1) return null;
  const out = new Uint8Array(((end - tail) / 4) * 3 + (tail === 0 ? 0 : tail - 1));
  let o = 0;
  let i = 0;
  for (; i + 3 < end; i += 4) {
    const a = sextet(text, i), b = sextet(text, i + 1), c = sextet(text, i + 2), d = sextet(text, i + 3);
    if ((a | b | c | d) < 0) return null;
    const triple = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = triple >>> 16;
    out[o++] = (triple >>> 8) & 255;
    out[o++] = triple & 255;
  }
  if (tail >= 2) {
    const a = sextet(text, i), b = sextet(text, i + 1);
    const c = tail === 3 ? sextet(text, i + 2) : 0;
    if ((a | b | c) < 0) return null;
    out[o++] = (a << 2) | (b >>> 4);
    if (tail === 3) out[o++] = ((b & 15) << 4) | (c >>> 2);
  }
  return out;
}

function sextet(text: string, index: number): number {
  const code = text.charCodeAt(index);
  return code < 128 ? SEXTET_BY_CODE[code]! : -1;
}

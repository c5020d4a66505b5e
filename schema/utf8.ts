// UTF-8 helpers for the JSON wire format. JSON carries text, Piccolo carries
// bytes: these decide when bytes can travel as a JSON string without loss.

const encoder = new TextEncoder();
// fatal: invalid UTF-8 is reported, not replaced with U+FFFD.
// ignoreBOM: a leading U+FEFF is part of the value and must survive the trip.
const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function utf8Encode(text: string): Uint8Array {
  return encoder.encode(text);
}

/**
 * The text the bytes spell if they are valid UTF-8, else null. When not null,
 * `utf8Encode(result)` gives back exactly the same bytes.
 */
export function utf8DecodeExact(bytes: Uint8Array): string | null {
  if (isAscii(bytes)) return asciiToString(bytes);
  try {
    return strictDecoder.decode(bytes);
  } catch {
    return null;
  }
}

/**
 * True when the string has no lone surrogates, i.e. it can be encoded as
 * UTF-8 without TextEncoder silently replacing characters with U+FFFD.
 * (JSON escapes such as "\ud800" can produce lone surrogates.)
 */
export function isWellFormedText(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Short ASCII strings (most keys) are cheaper to build by hand than through TextDecoder. */
const ASCII_FAST_PATH_BYTES_MAX = 64;

function isAscii(bytes: Uint8Array): boolean {
  if (bytes.length > ASCII_FAST_PATH_BYTES_MAX) return false;
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! > 0x7f) return false;
  return true;
}

function asciiToString(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

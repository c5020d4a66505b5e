// How bytes and 64-bit integers travel in the JSON wire format: bytes as a
// JSON string when they are valid UTF-8 (field "x"), else as base64 (field
// "xBase64"); integers as JSON numbers while they are exact in a double,
// else as decimal strings.

import { bytesToBase64 } from './base64.js';
import { utf8DecodeExact } from './utf8.js';

/** Sets out[name] to the text, or out[name + 'Base64'] when the bytes are not valid UTF-8. */
export function putBytes(out: Record<string, unknown>, name: string, bytes: Uint8Array): void {
  const text = utf8DecodeExact(bytes);
  if (text !== null) out[name] = text;
  else out[`${name}Base64`] = bytesToBase64(bytes);
}

const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);

export function bigintToJson(value: bigint): number | string {
  return value >= -SAFE_MAX && value <= SAFE_MAX ? Number(value) : value.toString();
}

/** A decimal integer string: optional sign, then digits. */
const DECIMAL_INTEGER = /^[+-]?\d+$/;
/** Longest decimal a signed 64-bit integer needs ("-9223372036854775808"); also bounds BigInt parsing work. */
export const INT64_DECIMAL_CHARS_MAX = 20;

/** A JSON integer (exact number or decimal string) as a bigint, or null when it is neither. */
export function jsonToBigint(value: unknown): bigint | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : null;
  if (typeof value === 'string' && value.length <= INT64_DECIMAL_CHARS_MAX && DECIMAL_INTEGER.test(value)) {
    return BigInt(value);
  }
  return null;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

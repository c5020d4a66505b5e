// Where `piccolo set` gets its value bytes: the VALUE argument as UTF-8, as
// base64 (--base64), or raw from standard input (VALUE "-" or --stdin).

import { UsageError } from './usage-error.js';

/**
 * Most bytes `set` reads from standard input. Far above the default value
 * limit (8 MiB) so a node with a raised valueBytesMax still gets big values,
 * yet a mistaken pipe (`cat /dev/zero | piccolo set k -`) stops with a usage
 * error instead of filling memory.
 */
export const STDIN_VALUE_BYTES_MAX = 256 * 1024 * 1024;

/** Strict base64 (RFC 4648 section 4, padded or not): Buffer.from alone skips bad characters silently. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;

/** Standard input, or (in tests) any list of chunks. */
export type ByteSource = AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>;

export function decodeBase64(text: string, what: string): Uint8Array {
  if (!BASE64.test(text)) throw new UsageError(`${what} is not valid base64`);
  return new Uint8Array(Buffer.from(text, 'base64'));
}

/** Reads all of `input` (standard input), refusing more than `bytesMax`. */
export async function readAll(input: ByteSource, bytesMax = STDIN_VALUE_BYTES_MAX): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of input) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    total += bytes.length;
    if (total > bytesMax) throw new UsageError(`standard input has more than ${bytesMax} bytes (STDIN_VALUE_BYTES_MAX)`);
    chunks.push(bytes);
  }
  return new Uint8Array(Buffer.concat(chunks, total));
}

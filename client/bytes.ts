// Keys and values are bytes; the client also takes strings and sends them as
// UTF-8. Cursors travel as base64 text so users can print and paste them.

import { base64ToBytes, bytesToBase64 } from '../schema/base64.js';
import { isWellFormedText } from '../schema/utf8.js';
import { PiccoloError } from './errors.js';

export type BytesLike = string | Uint8Array;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/** `what` names the argument in the error ("key", "value"). */
export function toBytes(input: BytesLike, what: string): Uint8Array {
  if (input instanceof Uint8Array) return input;
  if (typeof input === 'string') {
    // TextEncoder would silently turn a lone surrogate into U+FFFD, so two
    // different strings would name the same key.
    if (!isWellFormedText(input)) throw new PiccoloError('BAD_REQUEST', `${what} is not well-formed Unicode (lone surrogate)`);
    return encoder.encode(input);
  }
  throw new PiccoloError('BAD_REQUEST', `${what} must be a string or a Uint8Array, got ${describe(input)}`);
}

/** Bytes as text; invalid UTF-8 sequences become U+FFFD. */
export function bytesToText(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

export function cursorToText(cursor: Uint8Array): string | null {
  return cursor.length === 0 ? null : bytesToBase64(cursor);
}

export function cursorFromText(cursor: string | null | undefined): Uint8Array {
  if (cursor === null || cursor === undefined || cursor === '') return new Uint8Array(0);
  const bytes = typeof cursor === 'string' ? base64ToBytes(cursor) : null;
  if (bytes === null) throw new PiccoloError('BAD_REQUEST', 'scan cursor must be the text a previous scan returned');
  return bytes;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return value.constructor?.name ?? 'object';
  return typeof value;
}

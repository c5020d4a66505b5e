// A small hash's compact encoding (as Redis's listpack): its field/value
// pairs laid end to end in the key's record bytes, in insertion order (a
// field set again keeps its place), so a small hash costs its bytes plus two
// length bytes a pair and no object at all.
//
// Layout: [tag HASH_COMPACT_TAG][count u8] then `count` times
// [field length u8][field][value length u8][value]. One length byte holds
// any element the thresholds allow (asserted below).
//
// A hash stays compact while it has at most hash-max-listpack-entries fields
// and every field and value is at most hash-max-listpack-value bytes (the
// node's thresholds: core/types/collection-thresholds.ts; by default
// HASH_COMPACT_ENTRIES_MAX and HASH_COMPACT_VALUE_BYTES_MAX); past either it converts to the large table (hash-table.ts) for good, as
// Redis's listpack converts to a hashtable and never back.

import { assert } from '../../assert.js';
import type { Bytes } from '../../protocol/ops.js';
import type { CollectionThresholds } from '../collection-thresholds.js';

/**
 * Most fields a compact hash holds by default: Redis's `hash-max-listpack-entries`
 * default. Lookups walk the pairs, so the bound keeps them a short scan of
 * at most ~17 KiB; beyond it the table's O(1) lookups win.
 */
export const HASH_COMPACT_ENTRIES_MAX = 128;

/**
 * Longest field or value a compact hash holds by default: Redis's
 * `hash-max-listpack-value` default. Long elements make the linear walk
 * slow and gain little from packing (their two length bytes are a small
 * share of them).
 */
export const HASH_COMPACT_VALUE_BYTES_MAX = 64;

/** First byte of a compact hash; the large table's image starts with HASH_TABLE_TAG (hash-table.ts). */
export const HASH_COMPACT_TAG = 0x01;

const HEADER_BYTES = 2;

/** The encoding's own bound on a count and on an element's length (one byte each): no threshold may pass it. */
export const HASH_COMPACT_FORMAT_MAX = 0xff;

assert(HASH_COMPACT_VALUE_BYTES_MAX <= HASH_COMPACT_FORMAT_MAX, 'a compact element length must fit one byte');
assert(HASH_COMPACT_ENTRIES_MAX <= HASH_COMPACT_FORMAT_MAX, 'a compact hash count must fit one byte');

/** Fields in a compact hash. */
export function compactCount(encoded: Uint8Array): number {
  return encoded[1]!;
}

/** Every pair in order; `fn` gets views into `encoded` (copy what you keep). */
export function compactForEach(encoded: Uint8Array, fn: (field: Uint8Array, value: Uint8Array) => void): void {
  let at = HEADER_BYTES;
  for (let i = 0; i < encoded[1]!; i++) {
    const fieldLength = encoded[at]!;
    const field = encoded.subarray(at + 1, at + 1 + fieldLength);
    at += 1 + fieldLength;
    const valueLength = encoded[at]!;
    const value = encoded.subarray(at + 1, at + 1 + valueLength);
    at += 1 + valueLength;
    fn(field, value);
  }
}

/** The pairs as copies, in order: a compact hash being changed (hash-write.ts). */
export function compactDecode(encoded: Uint8Array): { fields: Bytes[]; values: Bytes[] } {
  const fields: Bytes[] = [];
  const values: Bytes[] = [];
  compactForEach(encoded, (f, v) => {
    fields.push(f.slice());
    values.push(v.slice());
  });
  return { fields, values };
}

/** The value of `field` (a view into `encoded`), or null. */
export function compactGet(encoded: Uint8Array, field: Bytes): Uint8Array | null {
  let at = HEADER_BYTES;
  for (let i = 0; i < encoded[1]!; i++) {
    const fieldLength = encoded[at]!;
    const match = fieldLength === field.length && sameBytes(encoded, at + 1, field);
    at += 1 + fieldLength;
    const valueLength = encoded[at]!;
    if (match) return encoded.subarray(at + 1, at + 1 + valueLength);
    at += 1 + valueLength;
  }
  return null;
}

/** The compact encoding of these pairs; the caller checked they fit (`fitsCompact`). */
export function compactEncode(fields: readonly Bytes[], values: readonly Bytes[]): Uint8Array {
  assert(fields.length === values.length && fields.length > 0 && fields.length <= HASH_COMPACT_FORMAT_MAX,
    'a compact hash holds 1..HASH_COMPACT_FORMAT_MAX pairs');
  let bytes = HEADER_BYTES;
  for (let i = 0; i < fields.length; i++) bytes += 2 + fields[i]!.length + values[i]!.length;
  const out = new Uint8Array(bytes);
  out[0] = HASH_COMPACT_TAG;
  out[1] = fields.length;
  let at = HEADER_BYTES;
  for (let i = 0; i < fields.length; i++) {
    at = putElement(out, at, fields[i]!);
    at = putElement(out, at, values[i]!);
  }
  return out;
}

/** Whether these pairs may be kept compact under the node's thresholds. */
export function fitsCompact(fields: readonly Bytes[], values: readonly Bytes[], thresholds: CollectionThresholds): boolean {
  if (fields.length > thresholds.hashCompactEntriesMax) return false;
  const bytesMax = thresholds.hashCompactValueBytesMax;
  for (let i = 0; i < fields.length; i++) {
    if (fields[i]!.length > bytesMax || values[i]!.length > bytesMax) return false;
  }
  return true;
}

/**
 * Null when `encoded` is a well-formed compact hash (a snapshot's bytes, a
 * RESTORE payload), else what is wrong. Checked against the encoding's own
 * bounds, not the thresholds: a payload dumped by a node with larger ones is
 * still a valid hash, and converts on its next write past them.
 */
export function compactCheck(encoded: Uint8Array): string | null {
  if (encoded.length < HEADER_BYTES || encoded[0] !== HASH_COMPACT_TAG) return 'not a compact hash';
  const count = encoded[1]!;
  if (count === 0) return `a compact hash of ${count} fields`;
  let at = HEADER_BYTES;
  for (let i = 0; i < count * 2; i++) {
    if (at >= encoded.length) return 'a compact hash ends early';
    const length = encoded[at]!;
        at += 1 + length;
  }
  return at === encoded.length ? null : 'a compact hash has bytes past its pairs';
}

function putElement(out: Uint8Array, at: number, bytes: Bytes): number {
  assert(bytes.length <= HASH_COMPACT_FORMAT_MAX, 'a compact element over one length byte');
  out[at] = bytes.length;
  out.set(bytes, at + 1);
  return at + 1 + bytes.length;
}

function sameBytes(encoded: Uint8Array, at: number, bytes: Bytes): boolean {
  for (let i = 0; i < bytes.length; i++) if (encoded[at + i] !== bytes[i]) return false;
  return true;
}

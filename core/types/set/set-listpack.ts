// The listpack encoding of a small set (Redis's listpack, simplified): a tag
// byte, the member count (u16, little-endian), then each member as a length
// byte and its bytes, in insertion order. Members are at most
// SET_COMPACT_MEMBER_FORMAT_MAX (< 128) bytes, so one length byte holds any.
// Searched front to back, which is why it is kept to set-max-listpack-entries.

import { assert } from '../../assert.js';
import { bytesEqual } from '../../bytes.js';
import { SET_COMPACT_COUNT_FORMAT_MAX, SET_COMPACT_MEMBER_FORMAT_MAX, SetTag } from './set-encoding.js';

const HEADER_BYTES = 3;

export function listpackCount(bytes: Uint8Array): number {
  return bytes[1]! | (bytes[2]! << 8);
}

/** Each member in order, as a view into `bytes`; stops early when `fn` returns false. */
export function listpackForEach(bytes: Uint8Array, fn: (member: Uint8Array, index: number) => boolean | void): void {
  let at = HEADER_BYTES;
  for (let i = 0; at < bytes.length; i++) {
    const length = bytes[at]!;
    if (fn(bytes.subarray(at + 1, at + 1 + length), i) === false) return;
    at += 1 + length;
  }
}

export function listpackIndexOf(bytes: Uint8Array, member: Uint8Array): number {
  let found = -1;
  listpackForEach(bytes, (m, i) => {
    if (m.length === member.length && bytesEqual(m, member)) {
      found = i;
      return false;
    }
    return true;
  });
  return found;
}

export function listpackEncode(members: readonly Uint8Array[]): Uint8Array {
  assert(members.length <= SET_COMPACT_COUNT_FORMAT_MAX, 'a listpack count fits u16');
  let length = HEADER_BYTES;
  for (const m of members) length += 1 + m.length;
  const bytes = new Uint8Array(length);
  bytes[0] = SetTag.LISTPACK;
  bytes[1] = members.length & 0xff;
  bytes[2] = members.length >>> 8;
  let at = HEADER_BYTES;
  for (const m of members) {
    assert(m.length <= SET_COMPACT_MEMBER_FORMAT_MAX, 'a listpack member fits one length byte');
    bytes[at] = m.length;
    bytes.set(m, at + 1);
    at += 1 + m.length;
  }
  return bytes;
}

/**
 * Null when `bytes` is a valid listpack, else what is wrong (for snapshot
 * restores and RESTORE payloads): checked against the format's bounds, not
 * the node's thresholds (a set over them converts on its next write).
 */
export function listpackInvalid(bytes: Uint8Array): string | null {
  if (bytes.length < HEADER_BYTES || bytes[0] !== SetTag.LISTPACK) return 'not a listpack';
  const count = listpackCount(bytes);
  if (count === 0 || count > SET_COMPACT_COUNT_FORMAT_MAX) return `a listpack of ${count} members`;
  let at = HEADER_BYTES;
  let seen = 0;
  const members = new Set<string>();
  while (at < bytes.length) {
    const length = bytes[at]!;
    if (length > SET_COMPACT_MEMBER_FORMAT_MAX || at + 1 + length > bytes.length) return 'a listpack member cut short or too long';
    members.add(String.fromCharCode(...bytes.subarray(at + 1, at + 1 + length)));
    at += 1 + length;
    seen++;
  }
  if (seen !== count || members.size !== count) return 'a listpack whose count is wrong or with a member twice';
  return null;
}

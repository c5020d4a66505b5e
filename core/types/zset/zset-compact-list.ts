// A small sorted set: its compact encoding (the record's value bytes, as
// Redis's listpack) and the plain sorted arrays a command works on after
// decoding it. At most zset-max-listpack-entries members of at most
// zset-max-listpack-value bytes each (the node's thresholds,
// core/types/collection-thresholds.ts; ZSET_COMPACT_ENTRIES_MAX and
// ZSET_COMPACT_MEMBER_BYTES_MAX by default); past either the set converts to
// the large form (zset-large.ts), as Redis converts a listpack to a skiplist.
//
// Encoding: tag ZSET_COMPACT_TAG, u16 count (little-endian), then per member
// in (score, member) order: f64 score (little-endian), u8 length, the bytes.
// 11 bytes of overhead a member (Redis's listpack: 2 entries of 2-10 bytes
// each), searched linearly: at 128 members a scan is cheaper than any index.

import { bytesEqual } from '../../bytes.js';
import { assert } from '../../assert.js';
import type { Bytes } from '../../protocol/ops.js';
import type { CollectionThresholds } from '../collection-thresholds.js';
import { compareEntries, compareMembers, type SortedSet } from './sorted-set.js';

/** Members a compact set holds: Redis's zset-max-listpack-entries default; a linear scan of 128 is faster than a tree walk. */
export const ZSET_COMPACT_ENTRIES_MAX = 128;
/** Longest member a compact set holds: Redis's zset-max-listpack-value; keeps the encoding under ~10 KiB, far below valueBytesMax. */
export const ZSET_COMPACT_MEMBER_BYTES_MAX = 64;
/** The encoding's own bound on a member's length (one byte): no threshold may pass it. */
export const ZSET_COMPACT_MEMBER_FORMAT_MAX = 0xff;
/** The encoding's own bound on its count (u16). */
export const ZSET_COMPACT_COUNT_FORMAT_MAX = 0xffff;
/** First byte of a compact encoding (the large image starts with ZSET_LARGE_TAG). */
export const ZSET_COMPACT_TAG = 0x01;

const HEADER_BYTES = 3;
const ENTRY_OVERHEAD_BYTES = 9;

export class ZSetList implements SortedSet {
  constructor(readonly members: Bytes[] = [], readonly scores: number[] = []) {}

  get size(): number {
    return this.members.length;
  }

  /** Whether it still fits the compact encoding under the node's thresholds. */
  fitsCompact(thresholds: CollectionThresholds): boolean {
    if (this.members.length > thresholds.zsetCompactEntriesMax) return false;
    for (const m of this.members) if (m.length > thresholds.zsetCompactMemberBytesMax) return false;
    return true;
  }

  scoreOf(member: Bytes): number | undefined {
    const i = this.indexOf(member);
    return i < 0 ? undefined : this.scores[i];
  }

  rankOf(member: Bytes): number {
    return this.indexOf(member);
  }

  rankAfterScore(score: number, exclusive: boolean): number {
    let i = 0;
    while (i < this.scores.length && (exclusive ? this.scores[i]! <= score : this.scores[i]! < score)) i++;
    return i;
  }

  rankAfterMember(member: Bytes, exclusive: boolean): number {
    let i = 0;
    for (; i < this.members.length; i++) {
      const c = compareMembers(this.members[i]!, member);
      if (exclusive ? c > 0 : c >= 0) break;
    }
    return i;
  }

  each(from: number, to: number, reverse: boolean, fn: (member: Bytes, score: number) => boolean | void): void {
    if (reverse) {
      for (let i = to; i >= from; i--) if (fn(this.members[i]!, this.scores[i]!) === false) return;
    } else {
      for (let i = from; i <= to; i++) if (fn(this.members[i]!, this.scores[i]!) === false) return;
    }
  }

  put(member: Bytes, score: number): boolean {
    const i = this.indexOf(member);
    if (i >= 0) {
      if (this.scores[i] === score) return false;
      this.members.splice(i, 1);
      this.scores.splice(i, 1);
    }
    let at = 0;
    while (at < this.members.length && compareEntries(this.scores[at]!, this.members[at]!, score, member) < 0) at++;
    this.members.splice(at, 0, member.slice());
    this.scores.splice(at, 0, score);
    return i < 0;
  }

  remove(member: Bytes): boolean {
    const i = this.indexOf(member);
    if (i < 0) return false;
    this.members.splice(i, 1);
    this.scores.splice(i, 1);
    return true;
  }

  private indexOf(member: Bytes): number {
    for (let i = 0; i < this.members.length; i++) if (bytesEqual(this.members[i]!, member)) return i;
    return -1;
  }
}

/** The compact encoding of a set that fits it (`fitsCompact`). */
export function encodeZSetCompact(list: ZSetList): Uint8Array {
  assert(list.size <= ZSET_COMPACT_COUNT_FORMAT_MAX, 'a compact sorted set count fits u16');
  let bytes = HEADER_BYTES;
  for (const m of list.members) bytes += ENTRY_OVERHEAD_BYTES + m.length;
  const out = new Uint8Array(bytes);
  const view = new DataView(out.buffer);
  out[0] = ZSET_COMPACT_TAG;
  view.setUint16(1, list.size, true);
  let at = HEADER_BYTES;
  for (let i = 0; i < list.size; i++) {
    const m = list.members[i]!;
    view.setFloat64(at, list.scores[i]!, true);
    out[at + 8] = m.length;
    out.set(m, at + ENTRY_OVERHEAD_BYTES);
    at += ENTRY_OVERHEAD_BYTES + m.length;
  }
  return out;
}

/**
 * The set a compact encoding holds, or why the bytes are not one (ordered,
 * no repeats, no NaN). Checked against the encoding's own bounds, not the
 * node's thresholds: a RESTORE payload from a node with larger ones is still
 * a valid set, and converts on its next write past them.
 */
export function decodeZSetCompact(bytes: Uint8Array): ZSetList | string {
  if (bytes.length < HEADER_BYTES || bytes[0] !== ZSET_COMPACT_TAG) return 'not a compact sorted set';
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint16(1, true);
  if (count === 0) return `a compact sorted set of ${count} members`;
  const list = new ZSetList();
  let at = HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    if (at + ENTRY_OVERHEAD_BYTES > bytes.length) return 'a compact sorted set cut short';
    const score = view.getFloat64(at, true);
    const length = bytes[at + 8]!;
    const start = at + ENTRY_OVERHEAD_BYTES;
    if (Number.isNaN(score) || length > ZSET_COMPACT_MEMBER_FORMAT_MAX || start + length > bytes.length) {
      return 'a compact sorted set entry is malformed';
    }
    const member = bytes.slice(start, start + length);
    if (list.rankOf(member) >= 0) return 'a compact sorted set repeats a member';
    if (i > 0 && compareEntries(list.scores[i - 1]!, list.members[i - 1]!, score, member) >= 0) {
      return 'a compact sorted set is out of order';
    }
    list.members.push(member);
    list.scores.push(score);
    at = start + length;
  }
  if (at !== bytes.length) return 'a compact sorted set has trailing bytes';
  return list;
}

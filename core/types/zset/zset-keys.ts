// A sorted set at a key, as the commands reach it through KeyAccess: read it
// (compact bytes decoded, or the large object), change it (compact: decode,
// change, re-encode or convert to large past the thresholds; large: in place
// through `edit`), remove it when emptied, replace a destination (the STORE
// commands). Also OBJECT ENCODING's answer.

import { bytesEqual } from '../../bytes.js';
import type { Bytes, ErrReply } from '../../protocol/ops.js';
import { ValueType } from '../../store/value-type.js';
import { ABSENT, type KeyAccess } from '../key-access.js';
import { wrongKind } from '../wrong-kind.js';
import type { SortedSet } from './sorted-set.js';
import type { CollectionThresholds } from '../collection-thresholds.js';
import { decodeZSetCompact, encodeZSetCompact, ZSetList } from './zset-compact-list.js';
import { ZSetLarge } from './zset-large.js';

/** The set at `key` for reading (null when absent), or WRONGTYPE. */
export function readZSet(keys: KeyAccess, key: Bytes): SortedSet | null | ErrReply {
  const h = keys.find(key);
  if (h === ABSENT) return null;
  return zsetAt(keys, h);
}

function zsetAt(keys: KeyAccess, h: number): SortedSet | ErrReply {
  if (keys.typeOf(h) !== ValueType.ZSET) return wrongKind();
  const large = keys.collectionOf(h);
  if (large !== null) return large as ZSetLarge;
  const list = decodeZSetCompact(keys.bytesOf(h));
  if (typeof list === 'string') throw new Error(`a stored sorted set is malformed: ${list}`);
  return list;
}

export function isErr(v: unknown): v is ErrReply {
  return typeof v === 'object' && v !== null && (v as { ok?: unknown }).ok === false;
}

export interface Written<R> { result: R; wrote: boolean }

/**
 * Run `change` on the set at `key` (an empty one when absent) and store what
 * it leaves: removed when empty, compact while it fits, large past that.
 * `change` must check everything before it changes anything (it cannot fail
 * halfway) and must not call `keys`. WRONGTYPE when `key` holds another type.
 */
export function writeZSet<R>(keys: KeyAccess, key: Bytes, change: (z: SortedSet) => R): Written<R> | ErrReply {
  const h = keys.find(key);
  if (h !== ABSENT && keys.typeOf(h) !== ValueType.ZSET) return wrongKind();
  if (h !== ABSENT && keys.collectionOf(h) !== null) {
    const result = keys.edit(h, (c) => change(c as ZSetLarge));
    if ((keys.collectionOf(h) as ZSetLarge).size === 0) keys.remove(key, h);
    return { result, wrote: true };
  }
  const before = h === ABSENT ? null : keys.bytesOf(h).slice();
  const set = new GrowingZSet(before === null ? new ZSetList() : (zsetAt(keys, h) as ZSetList), keys.limits.collections);
  const result = change(set);
  const z = set.inner;
  if (z.size === 0) {
    if (h !== ABSENT) keys.remove(key, h);
    return { result, wrote: h !== ABSENT };
  }
  const after = z instanceof ZSetList && z.fitsCompact(keys.limits.collections) ? encodeZSetCompact(z) : null;
  // Past the thresholds, or (with a small value limit configured) past the value limit: the large form.
  if (after === null || after.length > keys.limits.valueBytesMax) {
    keys.putCollection(key, h, z instanceof ZSetLarge ? z : ZSetLarge.fromOrdered(z.members, z.scores));
    return { result, wrote: true };
  }
  if (before !== null && bytesEqual(before, after)) return { result, wrote: false };
  keys.putBytes(key, h, ValueType.ZSET, after);
  return { result, wrote: true };
}

/**
 * A compact set under change that turns itself into the large form as soon
 * as it outgrows the thresholds, so one ZADD of many members costs
 * O(m log n), not the compact arrays' O(m^2).
 */
class GrowingZSet implements SortedSet {
  constructor(public inner: ZSetList | ZSetLarge, private readonly thresholds: CollectionThresholds) {}

  get size(): number { return this.inner.size; }
  scoreOf(member: Bytes): number | undefined { return this.inner.scoreOf(member); }
  rankOf(member: Bytes): number { return this.inner.rankOf(member); }
  rankAfterScore(score: number, exclusive: boolean): number { return this.inner.rankAfterScore(score, exclusive); }
  rankAfterMember(member: Bytes, exclusive: boolean): number { return this.inner.rankAfterMember(member, exclusive); }
  each(from: number, to: number, reverse: boolean, fn: (member: Bytes, score: number) => boolean | void): void {
    this.inner.each(from, to, reverse, fn);
  }
  remove(member: Bytes): boolean { return this.inner.remove(member); }

  put(member: Bytes, score: number): boolean {
    const list = this.inner;
    const t = this.thresholds;
    const grows = member.length > t.zsetCompactMemberBytesMax || (list.size >= t.zsetCompactEntriesMax && list.scoreOf(member) === undefined);
    if (list instanceof ZSetList && grows) {
      this.inner = ZSetLarge.fromOrdered(list.members, list.scores);
    }
    return this.inner.put(member, score);
  }
}

/**
 * Replace whatever `key` holds (any type, and its expiry) with a new set of
 * these members, given in order; an empty one removes the key. The STORE
 * commands' destination, as Redis's. Whether it changed anything.
 */
export function storeZSet(keys: KeyAccess, key: Bytes, members: Bytes[], scores: number[]): boolean {
  const h = keys.find(key);
  if (members.length === 0) {
    if (h !== ABSENT) keys.remove(key, h);
    return h !== ABSENT;
  }
  const list = new ZSetList(members, scores);
  const compact = list.fitsCompact(keys.limits.collections) ? encodeZSetCompact(list) : null;
  if (compact !== null && compact.length <= keys.limits.valueBytesMax) keys.putBytes(key, h, ValueType.ZSET, compact, 0);
  else keys.putCollection(key, h, ZSetLarge.fromOrdered(members, scores), 0);
  return true;
}

/** OBJECT ENCODING's answer for a sorted set at `h`: Redis 7's names for its two encodings. */
export function encodingName(keys: KeyAccess, h: number): string {
  return keys.collectionOf(h) !== null ? 'skiplist' : 'listpack';
}

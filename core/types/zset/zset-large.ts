// A large sorted set (past the compact thresholds of zset-compact-list.ts),
// in typed arrays only, as the shard store keeps its records:
// - members get small integer ids, always 0..count-1 (a removed member's id
//   is taken by the member with the highest one, so nothing is ever
//   renumbered at once); by id: its score (Float64Array) and the address of
//   its entry in `members`;
// - member -> id: `members`, a large hash's table (core/types/hash/
//   hash-table.ts) whose fields are the members and whose values their ids
//   (u32): its pages, incremental index and page-at-a-time reclaim are the
//   hash's, and a reclaim that moves an entry tells the set its new address;
// - the order by (score, member): ids in fixed-size blocks kept in order, and
//   each block's length beside it. A search is a binary search over the
//   blocks' last members and then inside one block (O(log n) compares); a
//   rank sums the lengths of the blocks before (O(n / ZSET_BLOCK_IDS_MAX),
//   2,000 additions at a million members); an insert or a remove moves at
//   most one block's ids. A two-level B+tree, in effect, whose top level is
//   a flat array: simpler than a tree of nodes, and as fast below ~10M.
//
// About 45 bytes a member for "member:<i>" at a million (Redis 7's
// skiplist + dict: ~110; bench/zset-memory.ts measures both).
//
// Replication: the image (`encode`) is canonical, the members in order with
// their scores, not the layout. That is enough because every write's effect
// depends only on the order (which member is lowest, which ranks a range
// covers), never on ids, entry addresses or hash slots; only reads (ZSCAN's
// cursor, ZRANDMEMBER) see the layout, and a read is answered by one replica.

import { assert } from '../../assert.js';
import type { Bytes } from '../../protocol/ops.js';
import type { Collection } from '../../store/collection.js';
import { ValueType } from '../../store/value-type.js';
import { HashTable } from '../hash/hash-table.js';
import { compareEntries, type SortedSet } from './sorted-set.js';
import { putVarint, varintBytes } from '../varint.js';

/** First byte of a large set's image (a compact encoding starts with ZSET_COMPACT_TAG). */
export const ZSET_LARGE_TAG = 0x02;
/**
 * Ids in one order block: 2 KiB, so an insert moves at most 2 KiB and a rank
 * sums n/512 lengths; larger blocks make ranks cheaper and inserts dearer.
 */
export const ZSET_BLOCK_IDS_MAX = 512;
/** Two neighbouring blocks merge when they would fill at most this many ids, so a block holds a quarter on average even after many removes. */
const BLOCK_MERGE_IDS_MAX = ZSET_BLOCK_IDS_MAX / 2;
/** Ids a new set starts with; the compact form holds up to 128 members, so a new large one has about that many. */
const IDS_CAPACITY_MIN = 256;
/** Arrays grow by half again (not double): less slack at a million members, and copies stay amortized O(1). */
const GROWTH_FACTOR = 1.5;
/** Index slots a new set starts with. */
const INDEX_SLOTS_MIN = 512;
/** Bytes an object and a block's header cost in the JS heap beyond their arrays (estimates for memory accounting). */
const OBJECT_OVERHEAD_BYTES = 512;
const BLOCK_OVERHEAD_BYTES = 96;
const IMAGE_HEADER_BYTES = 5;

export class ZSetLarge implements Collection, SortedSet {
  readonly type = ValueType.ZSET;
  private scores = new Float64Array(IDS_CAPACITY_MIN);
  /** By id: the address of the member's entry in `members`. */
  private offsets = new Uint32Array(IDS_CAPACITY_MIN);
  private count = 0;
  private readonly members: HashTable;
  /** An id as an entry's value (u32, little-endian), and a view to write it. */
  private readonly idBytes = new Uint8Array(4);
  private readonly idView = new DataView(this.idBytes.buffer);
  private blocks: Int32Array[] = [];
  private blockLengths: number[] = [];
  /**
   * The rank of each block's first member, rebuilt on demand after the order
   * changed: reads between writes find a rank in O(log n), a rank right
   * after a write costs one pass over the block lengths.
   */
  private starts: Int32Array | null = null;
  /** Where locate() found the member's bytes: the page, and the start in it. */
  private page: Uint8Array = new Uint8Array(0);
  private at = 0;

  constructor() {
    this.members = HashTable.withCapacity(0, INDEX_SLOTS_MIN, (addr) => { this.offsets[this.idAt(addr)] = addr; });
  }

  /** A large set holding these members, given in order. */
  static fromOrdered(members: readonly Bytes[], scores: readonly number[]): ZSetLarge {
    const z = new ZSetLarge();
    for (let i = 0; i < members.length; i++) z.put(members[i]!, scores[i]!);
    return z;
  }

  get size(): number {
    return this.count;
  }

  get memoryBytes(): number {
    return OBJECT_OVERHEAD_BYTES + this.scores.byteLength + this.offsets.byteLength + this.members.memoryBytes
      + this.blocks.length * (ZSET_BLOCK_IDS_MAX * 4 + BLOCK_OVERHEAD_BYTES);
  }

  scoreOf(member: Bytes): number | undefined {
    const id = this.idOf(member);
    return id < 0 ? undefined : this.scores[id];
  }

  rankOf(member: Bytes): number {
    const id = this.idOf(member);
    if (id < 0) return -1;
    const [b, pos] = this.position(this.scores[id]!, member);
    return this.ranksBefore(b) + pos;
  }

  rankAfterScore(score: number, exclusive: boolean): number {
    const scores = this.scores;
    const after = exclusive ? (id: number) => scores[id]! > score : (id: number) => scores[id]! >= score;
    return this.firstRankWhere(after);
  }

  rankAfterMember(member: Bytes, exclusive: boolean): number {
    return this.firstRankWhere((id) => {
      const c = this.compareMember(id, member);
      return exclusive ? c > 0 : c >= 0;
    });
  }

  each(from: number, to: number, reverse: boolean, fn: (member: Bytes, score: number) => boolean | void): void {
    if (from > to) return;
    assert(from >= 0 && to < this.count, 'rank range within the set');
    const first = reverse ? to : from;
    const starts = this.blockStarts();
    // The last block starting at or before `first`.
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (starts[mid]! <= first) lo = mid;
      else hi = mid - 1;
    }
    let b = lo;
    let pos = first - starts[b]!;
    for (let left = to - from + 1; left > 0; left--) {
      const id = this.blocks[b]![pos]!;
      if (fn(this.memberView(id).slice(), this.scores[id]!) === false) return;
      if (reverse) {
        if (--pos < 0 && b > 0) pos = this.blockLengths[--b]! - 1;
      } else if (++pos === this.blockLengths[b]) {
        b++;
        pos = 0;
      }
    }
  }

  put(member: Bytes, score: number): boolean {
    assert(!Number.isNaN(score), 'a score is never NaN');
    const id = this.idOf(member);
    if (id >= 0) {
      if (this.scores[id] === score) return false;
      this.unlink(id);
      this.scores[id] = score;
      this.link(id);
      return false;
    }
    const fresh = this.count;
    if (fresh === this.scores.length) this.resizeIds(Math.ceil(this.scores.length * GROWTH_FACTOR));
    this.scores[fresh] = score;
    this.setId(member, fresh);
    this.offsets[fresh] = this.members.addressOf(member);
    this.link(fresh);
    this.count++;
    return true;
  }

  remove(member: Bytes): boolean {
    const id = this.idOf(member);
    if (id < 0) return false;
    this.unlink(id);
    const removed = this.members.delete(member);
    assert(removed, 'the members table and the ids agree');
    // Ids stay dense: the member with the highest id takes this one.
    const last = this.count - 1;
    if (id !== last) this.moveId(last, id);
    this.count--;
    // Arrays sized for many more members than are left shrink (a copy of the live ids only: amortized by the removes).
    if (this.scores.length > IDS_CAPACITY_MIN && this.count * 4 < this.scores.length) {
      this.resizeIds(Math.max(IDS_CAPACITY_MIN, Math.ceil(this.count * GROWTH_FACTOR)));
    }
    return true;
  }

  /** One bucket of a ZSCAN over the member index: emits members with scores; returns the next cursor (0 = done). Never changes the set. */
  scanStep(cursor: number, emit: (member: Bytes, score: number) => void): number {
    return this.members.scanStep(cursor, (member, id) => emit(member.slice(), this.scores[readId(id, 0)]!));
  }

  /** The canonical image: tag, u32 count, then per member in order: f64 score, varint length, bytes. */
  encode(): Uint8Array {
    let bytes = IMAGE_HEADER_BYTES;
    this.forEachId((id) => {
      const length = this.locate(id);
      bytes += 8 + varintBytes(length) + length;
    });
    const out = new Uint8Array(bytes);
    const view = new DataView(out.buffer);
    out[0] = ZSET_LARGE_TAG;
    view.setUint32(1, this.count, true);
    let at = IMAGE_HEADER_BYTES;
    this.forEachId((id) => {
      const length = this.locate(id);
      view.setFloat64(at, this.scores[id]!, true);
      at = putVarint(out, at + 8, length);
      out.set(this.page.subarray(this.at, this.at + length), at);
      at += length;
    });
    assert(at === bytes, 'image size as computed');
    return out;
  }

  /** The set an image holds, or why the bytes are not one. */
  static decode(bytes: Uint8Array): ZSetLarge | string {
    if (bytes.length < IMAGE_HEADER_BYTES || bytes[0] !== ZSET_LARGE_TAG) return 'not a large sorted set image';
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const count = view.getUint32(1, true);
    if (count === 0) return 'an empty sorted set';
    const z = new ZSetLarge();
    let at = IMAGE_HEADER_BYTES;
    let lastScore = 0;
    let lastMember: Bytes | null = null;
    for (let i = 0; i < count; i++) {
      if (at + 9 > bytes.length) return 'a sorted set image cut short';
      const score = view.getFloat64(at, true);
      const [length, start] = readVarint(bytes, at + 8);
      if (Number.isNaN(score) || length < 0 || start + length > bytes.length) return 'a sorted set image entry is malformed';
      const member = bytes.subarray(start, start + length);
      if (lastMember !== null && compareEntries(lastScore, lastMember, score, member) >= 0) return 'a sorted set image is out of order';
      if (!z.put(member, score)) return 'a sorted set image repeats a member';
      lastScore = score;
      lastMember = member;
      at = start + length;
    }
    if (at !== bytes.length) return 'a sorted set image has trailing bytes';
    return z;
  }

  // ---- members and ids --------------------------------------------------------

  private idOf(member: Bytes): number {
    const addr = this.members.addressOf(member);
    return addr === 0 ? -1 : this.idAt(addr);
  }

  /** The id stored with the entry at `addr`. */
  private idAt(addr: number): number {
    const entry = this.members.entryAt(addr);
    return readId(entry.bytes, entry.valueAt);
  }

  /** Store `id` as `member`'s value (a new member's entry, or an existing one's, in place: the same length). */
  private setId(member: Bytes, id: number): void {
    this.idView.setUint32(0, id, true);
    this.members.set(member, this.idBytes);
  }

  /** The member's length; its bytes are `this.page` from `this.at`. */
  private locate(id: number): number {
    const entry = this.members.entryAt(this.offsets[id]!);
    this.page = entry.bytes;
    this.at = entry.fieldAt;
    return entry.fieldLength;
  }

  /** The member at `id` against `member`, bytewise (as compareMembers), read in place. */
  private compareMember(id: number, member: Bytes): number {
    const length = this.locate(id);
    const page = this.page;
    const start = this.at;
    const n = Math.min(length, member.length);
    for (let i = 0; i < n; i++) {
      const d = page[start + i]! - member[i]!;
      if (d !== 0) return d;
    }
    return length - member.length;
  }

  private memberView(id: number): Uint8Array {
    const length = this.locate(id);
    return this.page.subarray(this.at, this.at + length);
  }

  /** The id arrays at `capacity` (at least count), keeping ids 0..count-1. */
  private resizeIds(capacity: number): void {
    assert(capacity >= this.count, 'the id arrays hold every member');
    const scores = new Float64Array(capacity);
    scores.set(this.scores.subarray(0, this.count));
    const offsets = new Uint32Array(capacity);
    offsets.set(this.offsets.subarray(0, this.count));
    this.scores = scores;
    this.offsets = offsets;
  }

  /** The member at id `from` (the highest) takes id `to` (just freed): its score, bytes, index entry and place in the order. */
  private moveId(from: number, to: number): void {
    this.scores[to] = this.scores[from]!;
    this.offsets[to] = this.offsets[from]!;
    const member = this.memberView(to).slice();
    this.setId(member, to);
    const [b, pos] = this.position(this.scores[to]!, member);
    assert(this.blocks[b]![pos] === from, 'the moved id is where its score and member say');
    this.blocks[b]![pos] = to;
  }

  private forEachId(fn: (id: number) => void): void {
    for (let b = 0; b < this.blocks.length; b++) {
      const block = this.blocks[b]!;
      const n = this.blockLengths[b]!;
      for (let i = 0; i < n; i++) fn(block[i]!);
    }
  }

  // ---- the order blocks -------------------------------------------------------

  private ranksBefore(b: number): number {
    return this.blockStarts()[b]!;
  }

  private blockStarts(): Int32Array {
    if (this.starts === null) {
      const starts = new Int32Array(this.blocks.length);
      let n = 0;
      for (let i = 0; i < starts.length; i++) {
        starts[i] = n;
        n += this.blockLengths[i]!;
      }
      this.starts = starts;
    }
    return this.starts;
  }

  /** The first rank whose id satisfies `after` (monotone over the order: false then true); count when none. */
  private firstRankWhere(after: (id: number) => boolean): number {
    const b = this.firstBlockWhere(after);
    if (b === this.blocks.length) return this.count;
    return this.ranksBefore(b) + this.firstPosWhere(b, after);
  }

  /** The first block whose last id satisfies `after`; blocks.length when none. */
  private firstBlockWhere(after: (id: number) => boolean): number {
    let lo = 0;
    let hi = this.blocks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (after(this.blocks[mid]![this.blockLengths[mid]! - 1]!)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  private firstPosWhere(b: number, after: (id: number) => boolean): number {
    const block = this.blocks[b]!;
    let lo = 0;
    let hi = this.blockLengths[b]!;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (after(block[mid]!)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** Where (score, member) is or would go: a block (the last one when it goes after all) and a position in it. */
  private position(score: number, member: Bytes): [number, number] {
    const scores = this.scores;
    // Scores decide most comparisons; member bytes are read in place only on a tie (no allocation).
    const atOrAfter = (id: number): boolean => {
      const s = scores[id]!;
      return s !== score ? s > score : this.compareMember(id, member) >= 0;
    };
    const lastBlock = this.blocks.length - 1;
    // The one empty block of a set getting its first member.
    if (this.blockLengths[lastBlock] === 0) return [lastBlock, 0];
    if (lastBlock >= 0 && !atOrAfter(this.blocks[lastBlock]![this.blockLengths[lastBlock]! - 1]!)) {
      // After every member (a load in score order): no search.
      return [lastBlock, this.blockLengths[lastBlock]!];
    }
    let b = this.firstBlockWhere(atOrAfter);
    if (b === this.blocks.length) {
      b--;
      return [b, this.blockLengths[b]!];
    }
    return [b, this.firstPosWhere(b, atOrAfter)];
  }

  /** Put the id (its score and member set) into the order. */
  private link(id: number): void {
    if (this.blocks.length === 0) {
      this.blocks.push(new Int32Array(ZSET_BLOCK_IDS_MAX));
      this.blockLengths.push(0);
    }
    let [b, pos] = this.position(this.scores[id]!, this.memberView(id));
    if (this.blockLengths[b] === ZSET_BLOCK_IDS_MAX) {
      if (b === this.blocks.length - 1 && pos === ZSET_BLOCK_IDS_MAX) {
        // Appending past the end (scores loaded in order): a new full-size block keeps the old one full.
        this.blocks.push(new Int32Array(ZSET_BLOCK_IDS_MAX));
        this.blockLengths.push(0);
        b++;
        pos = 0;
      } else {
        const half = ZSET_BLOCK_IDS_MAX / 2;
        const upper = new Int32Array(ZSET_BLOCK_IDS_MAX);
        upper.set(this.blocks[b]!.subarray(half));
        this.blocks.splice(b + 1, 0, upper);
        this.blockLengths.splice(b + 1, 0, ZSET_BLOCK_IDS_MAX - half);
        this.blockLengths[b] = half;
        if (pos > half) {
          b++;
          pos -= half;
        }
      }
    }
    const block = this.blocks[b]!;
    const n = this.blockLengths[b]!;
    block.copyWithin(pos + 1, pos, n);
    block[pos] = id;
    this.blockLengths[b] = n + 1;
    this.starts = null;
  }

  /** Take the id out of the order (its score and member still set). */
  private unlink(id: number): void {
    const [b, pos] = this.position(this.scores[id]!, this.memberView(id));
    const block = this.blocks[b]!;
    const n = this.blockLengths[b]!;
    assert(block[pos] === id, 'the id is where its score and member say');
    block.copyWithin(pos, pos + 1, n);
    this.blockLengths[b] = n - 1;
    this.starts = null;
    if (n === 1) {
      this.blocks.splice(b, 1);
      this.blockLengths.splice(b, 1);
    } else if (b + 1 < this.blocks.length && n - 1 + this.blockLengths[b + 1]! <= BLOCK_MERGE_IDS_MAX) {
      this.mergeNext(b);
    } else if (b > 0 && n - 1 + this.blockLengths[b - 1]! <= BLOCK_MERGE_IDS_MAX) {
      this.mergeNext(b - 1);
    }
  }

  private mergeNext(b: number): void {
    const n = this.blockLengths[b]!;
    const m = this.blockLengths[b + 1]!;
    this.blocks[b]!.set(this.blocks[b + 1]!.subarray(0, m), n);
    this.blockLengths[b] = n + m;
    this.blocks.splice(b + 1, 1);
    this.blockLengths.splice(b + 1, 1);
  }
}

/** [value, position after it]; value -1 when the varint runs off the end or past 32 bits. */
function readVarint(bytes: Uint8Array, at: number): [number, number] {
  let n = 0;
  let scale = 1;
  for (let i = 0; i < 5; i++) {
    if (at >= bytes.length) return [-1, at];
    const b = bytes[at++]!;
    n += (b & 0x7f) * scale;
    if (b < 0x80) return [n, at];
    scale *= 0x80;
  }
  return [-1, at];
}

/** An id stored as an entry's value (u32, little-endian) at `at` of `bytes`: read in place, with no view made on the hot path. */
function readId(bytes: Uint8Array, at: number): number {
  return (bytes[at]! | bytes[at + 1]! << 8 | bytes[at + 2]! << 16 | bytes[at + 3]! << 24) >>> 0;
}

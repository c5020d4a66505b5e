// The shard store: a shard's keys, values, versions and expiries in memory we
// lay out ourselves (no JS object or string per key), built from
// - hash-index.ts    key -> record address, open addressing in typed arrays,
//                    resized incrementally;
// - slab-arena.ts    records in 1 MiB pages with size classes and free lists;
// - record-layout.ts what a record holds (version, expiry, key, value);
// - expiry-index.ts  the records with an expiry, for the active-expiry cycle;
// - scan-cursor.ts   the reverse-binary SCAN cursor.
// Values over VALUE_INLINE_BYTES_MAX keep their own Uint8Array.
//
// API (what the shard needs). A *handle* is a positive number naming one
// stored key (its record's address); -1 means "absent".
//   lookup(key)                 -> handle | -1        (never mutates)
//   keyOf / valueOf(handle)     -> a view of the bytes
//   compareKey / keyHasPrefix(handle, bytes)          key order and prefix, no view
//   versionOf / expireAtOf(handle) -> number (expiry 0 = none)
//   typeOf(handle) -> ValueType; collectionOf(handle)  a large collection's object, or null
//   set(key, value, version, expireAtMs, type?) -> handle    insert or replace (a string, or a
//                               collection's compact encoding)
//   setCollection(key, collection, version, expireAtMs) -> handle    a large collection
//   editCollection(handle, version, edit)             change a large collection in place
//   delete(key)                 -> whether it was there
//   count, expiringCount
//   forEach(fn(handle)), forEachExpiring(fn(handle))  every key (with an expiry) once
//   scan(cursor, countHint, out) -> next cursor       SCAN page, 0 = done
//   scanStep(cursor, out)       -> next cursor        one bucket of a SCAN (for callers that bound pages themselves)
//   randomKey(random)           -> handle | -1        RANDOMKEY
//   collectExpired(nowMs, out, examinedMax)           due keys, not deleted
//   step(movesMax)              -> rehash still under way?
//   reserve(keys)                                     size an empty store's index for `keys` (a restore)
//   memory(), usedBytes                               bytes held
//   clear()                                           FLUSHALL
//   contentDigest()             -> ContentDigest      order-free digest of every entry (one pass)
//   beginCapture(version, sink) -> StoreCapture       the entries at `version`, a slice at a time
//                                                     while writes go on (store-capture.ts)
//   endCapture(capture)                               stop reporting writes to it
// Handles and views stay valid until the next call that changes the store
// (set, delete, step, clear): a record may move or its memory be reused.
// Copy what you keep longer. Reads (lookup, views, scan, randomKey, forEach,
// collectExpired) change nothing, so the shard's reads stay pure.
//
// The store knows nothing of time: expiry is a stored number; callers judge
// liveness, and expired keys leave only when the caller deletes them (in the
// replicated shard: through the log).
//
// Deterministic: the same sequence of calls (with the same hash) gives the
// same layout, iteration order and SCAN pages on every replica.

import { assert } from '../assert.js';
import type { Random } from '../random.js';
import { isCollection, type Collection } from './collection.js';
import { ContentDigest } from './content-digest.js';
import { ExpiryIndex } from './expiry-index.js';
import { HashIndex, INDEX_KEYS_MAX, REHASH_MOVES_PER_WRITE } from './hash-index.js';
import { keyHashDefault, type KeyHash } from './key-hash.js';
import {
  FLAG_EXPIRY, FLAG_FREE, FLAG_LARGE, isLargeValue, OFFSET_EXPIRE_AT, OFFSET_EXPIRY_POSITION,
  OFFSET_FLAGS, OFFSET_KEY_LENGTH, OFFSET_VALUE_LENGTH, OFFSET_VERSION, recordBytes, STORE_KEY_BYTES_MAX, TYPE_MASK, TYPE_SHIFT,
} from './record-layout.js';
import {
  byteIndex, readRecord, recordAllocBytes, recordExpireAt, recordKeyLength, recordKeyStart, recordType, recordVersion, wordIndex,
  type LargeValue,
} from './record-read.js';
import { sizeClassOf } from './size-classes.js';
import { PAGE_UNITS, SlabArena } from './slab-arena.js';
import { StoreCapture, type CaptureSink } from './store-capture.js';
import { ValueType } from './value-type.js';

/**
 * Slots of a new, empty index. Small, so an empty shard costs little (the
 * table grows by doubling as keys arrive); a power of two.
 */
export const STORE_INDEX_SLOTS_MIN = 64;
/** SCAN visits at most this many buckets per key asked for (Redis: 10), so a page over a sparse table is bounded. */
export const SCAN_BUCKETS_PER_KEY_MAX = 10;
/**
 * Captures (snapshots in progress) at once. Each costs a check on every
 * write and holds the pre-images emitted since its last step; one is the
 * norm (a replica snapshots for compaction or for a lagging follower), so
 * more than a few means jobs are being started and never ended or cancelled.
 */
export const STORE_CAPTURES_MAX = 4;

export interface StoreOptions {
  /** Longest key accepted (Limits.keyBytesMax). */
  keyBytesMax: number;
  /** Longest value accepted (Limits.valueBytesMax). */
  valueBytesMax: number;
  /** The key hash; tests inject weak ones to force collisions. */
  keyHash?: KeyHash;
  /** Slots of the smallest index table (a power of two >= 2); tests use tiny tables to force resizes. */
  indexSlotsMin?: number;
}

/** Where a store's bytes go; `usedBytes` is their sum. */
export interface StoreMemory {
  /** Hash index tables (both while resizing). */
  indexBytes: number;
  /** Slab pages, used or not. */
  pageBytes: number;
  /** Of the pages: bytes in live records (rounded to their size classes). */
  recordBytes: number;
  /** Values kept in their own buffers. */
  largeValueBytes: number;
  /** The expiry index's array. */
  expiryIndexBytes: number;
  usedBytes: number;
}

const PAGE_MASK = PAGE_UNITS - 1;

export class ShardStore {
  private arena = new SlabArena();
  private index: HashIndex;
  private readonly expiry: ExpiryIndex;
  /** Values over the inline limit and large collections, by id; freed ids are reused (LIFO, deterministic). */
  private largeValues: (LargeValue | null)[] = [];
  /** Bytes counted in largeBytes for each id (a collection's size changes while it is edited in place). */
  private largeCharged: number[] = [];
  private largeFreeIds: number[] = [];
  private largeBytes = 0;
  private readonly keyHash: KeyHash;
  private readonly indexSlotsMin: number;
  /** Snapshots in progress: told before a record they may still need changes. */
  private captures: StoreCapture[] = [];

  constructor(private readonly options: StoreOptions) {
    assert(options.keyBytesMax <= STORE_KEY_BYTES_MAX, () => `keys of ${options.keyBytesMax} bytes do not fit a record`);
    this.keyHash = options.keyHash ?? keyHashDefault;
    this.indexSlotsMin = options.indexSlotsMin ?? STORE_INDEX_SLOTS_MIN;
    this.index = this.newIndex();
    this.expiry = new ExpiryIndex((addr, position) => this.u32Of(addr)[wordIndex(addr, OFFSET_EXPIRY_POSITION)] = position);
  }

  /** Keys stored (expired ones not yet deleted included). */
  get count(): number {
    return this.index.count;
  }

  /** Keys stored with an expiry. */
  get expiringCount(): number {
    return this.expiry.count;
  }

  get isRehashing(): boolean {
    return this.index.isRehashing;
  }

  /** Slots of the index's larger table: SCAN finishes within this many cursor steps even across resizes. */
  get indexSlots(): number {
    return this.index.slotsLargest;
  }

  memory(): StoreMemory {
    const m = {
      indexBytes: this.index.bytes,
      pageBytes: this.arena.pageBytes,
      recordBytes: this.arena.recordBytes,
      largeValueBytes: this.largeBytes,
      expiryIndexBytes: this.expiry.bytes,
    };
    return { ...m, usedBytes: m.indexBytes + m.pageBytes + m.largeValueBytes + m.expiryIndexBytes };
  }

  /** Bytes the store holds: index, pages, large values, expiry index (for --maxmemory and INFO used_memory). */
  get usedBytes(): number {
    return this.index.bytes + this.arena.pageBytes + this.largeBytes + this.expiry.bytes;
  }

  // ---- reads ------------------------------------------------------------------

  lookup(key: Uint8Array): number {
    const addr = this.index.find(key, this.keyHash(key, 0, key.length));
    return addr === 0 ? -1 : addr;
  }

  keyOf(handle: number): Uint8Array {
    const start = this.keyStart(handle);
    return this.u8Of(handle).subarray(start, start + this.keyLength(handle));
  }

  /** A string's value, or a small collection's compact encoding (never a large collection: see collectionOf). */
  valueOf(handle: number): Uint8Array {
    const page = this.u8Of(handle);
    const length = this.u32Of(handle)[wordIndex(handle, OFFSET_VALUE_LENGTH)]!;
    if ((page[byteIndex(handle, OFFSET_FLAGS)]! & FLAG_LARGE) !== 0) {
      const large = this.largeValues[length]!;
      assert(!isCollection(large), 'valueOf a large collection: read it with collectionOf');
      return large;
    }
    const start = this.keyStart(handle) + this.keyLength(handle);
    return page.subarray(start, start + length);
  }

  typeOf(handle: number): ValueType {
    return recordType(this.arena, handle);
  }

  /** The key's large collection, or null when it holds a string or a compact collection (read those with valueOf). */
  collectionOf(handle: number): Collection | null {
    if ((this.u8Of(handle)[byteIndex(handle, OFFSET_FLAGS)]! & FLAG_LARGE) === 0) return null;
    const large = this.largeValues[this.u32Of(handle)[wordIndex(handle, OFFSET_VALUE_LENGTH)]!]!;
    return isCollection(large) ? large : null;
  }

  versionOf(handle: number): number {
    return recordVersion(this.arena, handle);
  }

  /** Absolute expiry in ms; 0 = none. */
  expireAtOf(handle: number): number {
    return recordExpireAt(this.arena, handle);
  }

  /**
   * The order-free digest of every entry (key, value, version, expiry):
   * equal contents, equal digest, whatever order they were written in. One
   * pass over the store (no sort, no copy); a read.
   */
  contentDigest(): ContentDigest {
    const digest = new ContentDigest();
    this.index.forEach((addr) => readRecord(this.arena, this.largeValues, addr, digest.add));
    return digest;
  }

  /** Bytewise order of the handle's key against `other` (negative, 0, positive), without a view. */
  compareKey(handle: number, other: Uint8Array): number {
    const page = this.u8Of(handle);
    const start = this.keyStart(handle);
    const length = this.keyLength(handle);
    const n = Math.min(length, other.length);
    for (let i = 0; i < n; i++) {
      const d = page[start + i]! - other[i]!;
      if (d !== 0) return d;
    }
    return length - other.length;
  }

  /** Whether the handle's key starts with `prefix`, without a view. */
  keyHasPrefix(handle: number, prefix: Uint8Array): boolean {
    if (this.keyLength(handle) < prefix.length) return false;
    const page = this.u8Of(handle);
    const start = this.keyStart(handle);
    for (let i = 0; i < prefix.length; i++) if (page[start + i] !== prefix[i]) return false;
    return true;
  }

  /** Every stored key's handle once, in index order (deterministic). Do not change the store meanwhile. */
  forEach(fn: (handle: number) => void): void {
    this.index.forEach(fn);
  }

  /** Every key with an expiry once (O(keys with an expiry), not O(keys)). Do not change the store meanwhile. */
  forEachExpiring(fn: (handle: number) => void): void {
    this.expiry.forEach(fn);
  }

  /**
   * One SCAN page: push handles onto `out` from cursor `cursor` (0 starts a
   * scan) until at least `countHint` were pushed or countHint *
   * SCAN_BUCKETS_PER_KEY_MAX buckets were visited; returns the next cursor,
   * 0 when the scan is complete. A whole bucket is pushed at once, so a page
   * may exceed the hint (as Redis's COUNT). Every key present from the first
   * call to the last is pushed at least once; keys added or removed meanwhile
   * may or may not be; after a shrink a key may come twice.
   */
  scan(cursor: number, countHint: number, out: number[]): number {
    assert(countHint > 0 && Number.isInteger(cursor) && cursor >= 0 && cursor <= 0xffffffff, 'scan needs a cursor and a positive count');
    const target = out.length + countHint;
    const push = (addr: number): void => { out.push(addr); };
    let buckets = 0;
    do {
      cursor = this.index.scanStep(cursor, push);
      buckets++;
    } while (cursor !== 0 && out.length < target && buckets < countHint * SCAN_BUCKETS_PER_KEY_MAX);
    return cursor;
  }

  /**
   * One bucket of a SCAN (while resizing: the bucket and its expansions in the
   * larger table): push its handles onto `out`, return the next cursor (0 =
   * done). The same guarantee as `scan`; for callers that cut pages by their
   * own measure (a page may stop between two buckets, never inside one).
   */
  scanStep(cursor: number, out: number[]): number {
    assert(Number.isInteger(cursor) && cursor >= 0 && cursor <= 0xffffffff, 'scanStep needs a 32-bit cursor');
    return this.index.scanStep(cursor, (addr) => { out.push(addr); });
  }

  /** A stored key chosen with `random` (the caller's seeded PRNG), or -1 when empty. */
  randomKey(random: Random): number {
    const addr = this.index.randomAddr(random);
    return addr === 0 ? -1 : addr;
  }

  /**
   * One active-expiry cycle: push onto `out` the handles of keys whose expiry
   * is <= nowMs, examining at most `examinedMax` keys with an expiry (see
   * expiry-index.ts). Deletes nothing.
   */
  collectExpired(nowMs: number, out: number[], examinedMax: number): number {
    return this.expiry.collectDue((addr) => this.expireAtOf(addr) <= nowMs, out, examinedMax);
  }

  // ---- writes -----------------------------------------------------------------

  /**
   * Store `value` under `key` with this version and expiry (0 = none),
   * replacing what was there; returns the key's handle. Both byte arrays
   * are copied (they may be views into this store's own records).
   */
  set(key: Uint8Array, value: Uint8Array, version: number, expireAtMs: number, type: ValueType = ValueType.STRING): number {
    assert(value.length <= this.options.valueBytesMax, 'value over the value limit');
    return this.put(key, value, version, expireAtMs, type);
  }

  /** Store a large collection under `key` (the store keeps the object; the caller gives it up), replacing what was there. */
  setCollection(key: Uint8Array, collection: Collection, version: number, expireAtMs: number): number {
    assert(collection.type !== ValueType.STRING, 'a collection has a collection type');
    return this.put(key, collection, version, expireAtMs, collection.type);
  }

  /**
   * Change the large collection at `handle` in place, as the write at
   * `version`: a snapshot in progress takes its image first, the record
   * takes the version, the memory it holds is counted again after. `edit`
   * must not call the store.
   */
  editCollection<R>(handle: number, version: number, edit: (collection: Collection) => R): R {
    const collection = this.collectionOf(handle);
    assert(collection !== null, 'editCollection on a key without a large collection');
    assert(Number.isSafeInteger(version) && version >= this.versionOf(handle), 'an edit does not go back in versions');
    if (this.captures.length > 0) {
      this.assertNewerThanCaptures(version);
      this.preserveForCaptures(handle);
    }
    const result = edit(collection);
    const id = this.u32Of(handle)[wordIndex(handle, OFFSET_VALUE_LENGTH)]!;
    this.largeBytes += collection.memoryBytes - this.largeCharged[id]!;
    this.largeCharged[id] = collection.memoryBytes;
    this.f64Of(handle)[(handle & PAGE_MASK) + OFFSET_VERSION / 8] = version;
    return result;
  }

  private put(key: Uint8Array, value: Uint8Array | Collection, version: number, expireAtMs: number, type: ValueType): number {
    assert(key.length <= this.options.keyBytesMax, 'key over the key limit');
    assert(Number.isSafeInteger(version) && version > 0, 'a version is a positive log index');
    assert(Number.isSafeInteger(expireAtMs) && expireAtMs >= 0, 'an expiry is a non-negative ms count');
    const hash = this.keyHash(key, 0, key.length);
    const old = this.index.find(key, hash);
    if (this.captures.length > 0) {
      this.assertNewerThanCaptures(version);
      // Before anything changes: a capture may still need the old record.
      if (old !== 0) this.preserveForCaptures(old);
    }
    const hasExpiry = expireAtMs !== 0;
    const large = isCollection(value) || isLargeValue(key.length, value.length);
    const bytes = recordBytes(key.length, large ? 0 : (value as Uint8Array).length, hasExpiry);
    let addr: number;
    if (old !== 0 && this.canRewriteInPlace(old, bytes, hasExpiry)) {
      addr = old;
      this.releaseLargeValue(old);
      this.writeValue(addr, value, large);
      this.writeType(addr, type);
      if (hasExpiry) this.f64Of(addr)[(addr & PAGE_MASK) + OFFSET_EXPIRE_AT / 8] = expireAtMs;
    } else {
      addr = this.arena.alloc(bytes);
      this.writeHeader(addr, key.length, hasExpiry);
      this.writeType(addr, type);
      this.u8Of(addr).set(key, this.keyStart(addr));
      this.writeValue(addr, value, large);
      if (hasExpiry) this.f64Of(addr)[(addr & PAGE_MASK) + OFFSET_EXPIRE_AT / 8] = expireAtMs;
      if (old === 0) {
        if (hasExpiry) this.setExpiryPosition(addr, this.expiry.add(addr));
        this.index.insert(hash, addr);
      } else {
        this.moveExpiry(old, addr, hasExpiry);
        assert(this.index.update(key, hash, addr), 'the replaced key left the index');
        this.releaseRecord(old, false);
      }
    }
    this.f64Of(addr)[(addr & PAGE_MASK) + OFFSET_VERSION / 8] = version;
    this.index.step(REHASH_MOVES_PER_WRITE);
    return addr;
  }

  /** Remove `key`; false when it was not stored. */
  delete(key: Uint8Array): boolean {
    const addr = this.index.remove(key, this.keyHash(key, 0, key.length));
    if (addr !== 0) {
      if (this.captures.length > 0) this.preserveForCaptures(addr);
      this.releaseRecord(addr, true);
    }
    this.index.step(REHASH_MOVES_PER_WRITE);
    return addr !== 0;
  }

  /**
   * Size the empty store's index for `keys` keys (at most what an index
   * holds), so inserting that many never resizes it (a snapshot restore
   * knows its count: growing key by key rehashed every key about once
   * more). Changes no contents; the index still grows past `keys` and
   * shrinks when sparse, as ever.
   */
  reserve(keys: number): void {
    assert(this.count === 0 && this.captures.length === 0, 'reserve sizes an empty store, before any capture');
    this.index = this.newIndex(Math.min(keys, INDEX_KEYS_MAX));
  }

  /** Advance an index resize by up to `movesMax` entries (e.g. when idle); true while one is under way. */
  step(movesMax: number = REHASH_MOVES_PER_WRITE): boolean {
    return this.index.step(movesMax);
  }

  /** Remove everything and give back all memory. */
  clear(): void {
    // Captures keep reading the old arena and large values, which nothing writes any more.
    for (const c of this.captures) c.detach();
    this.captures = [];
    this.arena = new SlabArena();
    this.index = this.newIndex();
    this.expiry.clear();
    this.largeValues = [];
    this.largeCharged = [];
    this.largeFreeIds = [];
    this.largeBytes = 0;
  }

  // ---- captures (incremental snapshots) -----------------------------------------

  /**
   * Start capturing the entries as they are now, at `version` (the applied
   * index: every later write must carry a higher version). The capture
   * emits them to `sink` over its `step`s and, for records a write reaches
   * first, from inside that write. End it with `endCapture` (done or not).
   */
  beginCapture(version: number, sink: CaptureSink): StoreCapture {
    assert(this.captures.length < STORE_CAPTURES_MAX, () => `more than ${STORE_CAPTURES_MAX} captures at once: are jobs left unended?`);
    assert(Number.isSafeInteger(version) && version >= 0, 'a capture version is a log index');
    const capture = new StoreCapture({
      arena: this.arena, largeValues: this.largeValues, version, count: this.count,
    }, sink);
    this.captures.push(capture);
    return capture;
  }

  /** Stop telling `capture` about writes (it finished or was cancelled); a capture detached by clear() is fine too. */
  endCapture(capture: StoreCapture): void {
    capture.detach();
    this.captures = this.captures.filter((c) => c !== capture);
  }

  private assertNewerThanCaptures(version: number): void {
    for (const c of this.captures) assert(version > c.version, () => `a write at version ${version} while capturing version ${c.version}`);
  }

  /** The live record at `addr` is about to be rewritten or freed: captures that have yet to reach it take it now. */
  private preserveForCaptures(addr: number): void {
    for (const c of this.captures) c.preserve(addr);
  }

  // ---- records ----------------------------------------------------------------

  private newIndex(keysExpected = 0): HashIndex {
    return new HashIndex({
      hashOf: (addr) => this.keyHash(this.u8Of(addr), this.keyStart(addr), this.keyLength(addr)),
      keyEquals: (addr, key) => this.keyEquals(addr, key),
    }, this.indexSlotsMin, keysExpected);
  }

  private u8Of(addr: number): Uint8Array {
    return this.arena.pagesU8[addr >>> 17]!;
  }

  private u32Of(addr: number): Uint32Array {
    return this.arena.pagesU32[addr >>> 17]!;
  }

  private f64Of(addr: number): Float64Array {
    return this.arena.pagesF64[addr >>> 17]!;
  }

  private keyLength(addr: number): number {
    return recordKeyLength(this.arena, addr);
  }

  private keyStart(addr: number): number {
    return recordKeyStart(this.arena, addr);
  }

  private keyEquals(addr: number, key: Uint8Array): boolean {
    const n = key.length;
    if (this.keyLength(addr) !== n) return false;
    const page = this.u8Of(addr);
    const start = this.keyStart(addr);
    for (let i = 0; i < n; i++) if (page[start + i] !== key[i]) return false;
    return true;
  }

  /** The record's size as allocated, from its header. */
  private bytesOf(addr: number): number {
    return recordAllocBytes(this.arena, addr);
  }

  /** Same size class and same header shape: the key stays where it is, so only value, version and expiry change. */
  private canRewriteInPlace(addr: number, bytes: number, hasExpiry: boolean): boolean {
    const hadExpiry = (this.u8Of(addr)[byteIndex(addr, OFFSET_FLAGS)]! & FLAG_EXPIRY) !== 0;
    return hadExpiry === hasExpiry && sizeClassOf(this.bytesOf(addr)) === sizeClassOf(bytes);
  }

  private writeHeader(addr: number, keyLength: number, hasExpiry: boolean): void {
    const page = this.u8Of(addr);
    const at = byteIndex(addr, OFFSET_KEY_LENGTH);
    page[at] = keyLength & 0xff;
    page[at + 1] = keyLength >>> 8;
    page[byteIndex(addr, OFFSET_FLAGS)] = hasExpiry ? FLAG_EXPIRY : 0;
  }

  private writeType(addr: number, type: ValueType): void {
    const page = this.u8Of(addr);
    const flagsAt = byteIndex(addr, OFFSET_FLAGS);
    page[flagsAt] = (page[flagsAt]! & ~TYPE_MASK) | (type << TYPE_SHIFT);
  }

  /**
   * Write the value (inline after the key, or kept apart: a copy of a large
   * string, a collection's object) and its length or id; the flags' LARGE
   * bit follows.
   */
  private writeValue(addr: number, value: Uint8Array | Collection, large: boolean): void {
    const page = this.u8Of(addr);
    const flagsAt = byteIndex(addr, OFFSET_FLAGS);
    if (large) {
      const id = this.largeFreeIds.length > 0 ? this.largeFreeIds.pop()! : this.largeValues.length;
      const stored = isCollection(value) ? value : value.slice();
      const charged = isCollection(stored) ? stored.memoryBytes : stored.length;
      this.largeValues[id] = stored;
      this.largeCharged[id] = charged;
      this.largeBytes += charged;
      page[flagsAt] = page[flagsAt]! | FLAG_LARGE;
      this.u32Of(addr)[wordIndex(addr, OFFSET_VALUE_LENGTH)] = id;
      return;
    }
    assert(!isCollection(value), 'a collection is always stored large');
    // TypedArray.set copies correctly even when `value` views this very record.
    page.set(value, this.keyStart(addr) + this.keyLength(addr));
    page[flagsAt] = page[flagsAt]! & ~FLAG_LARGE;
    this.u32Of(addr)[wordIndex(addr, OFFSET_VALUE_LENGTH)] = value.length;
  }

  private releaseLargeValue(addr: number): void {
    if ((this.u8Of(addr)[byteIndex(addr, OFFSET_FLAGS)]! & FLAG_LARGE) === 0) return;
    const id = this.u32Of(addr)[wordIndex(addr, OFFSET_VALUE_LENGTH)]!;
    this.largeBytes -= this.largeCharged[id]!;
    this.largeCharged[id] = 0;
    this.largeValues[id] = null;
    this.largeFreeIds.push(id);
  }

  private setExpiryPosition(addr: number, position: number): void {
    this.u32Of(addr)[wordIndex(addr, OFFSET_EXPIRY_POSITION)] = position;
  }

  /** A key's record moved from `from` to `to`: carry its place in the expiry index over, add or drop it. */
  private moveExpiry(from: number, to: number, toHasExpiry: boolean): void {
    const fromHasExpiry = (this.u8Of(from)[byteIndex(from, OFFSET_FLAGS)]! & FLAG_EXPIRY) !== 0;
    if (fromHasExpiry && toHasExpiry) {
      const position = this.u32Of(from)[wordIndex(from, OFFSET_EXPIRY_POSITION)]!;
      this.expiry.replace(position, to);
      this.setExpiryPosition(to, position);
    } else if (fromHasExpiry) {
      this.expiry.remove(this.u32Of(from)[wordIndex(from, OFFSET_EXPIRY_POSITION)]!);
    } else if (toHasExpiry) {
      this.setExpiryPosition(to, this.expiry.add(to));
    }
  }

  /** Free a record no longer indexed; `dropExpiry`: also take it out of the expiry index. */
  private releaseRecord(addr: number, dropExpiry: boolean): void {
    if (dropExpiry && (this.u8Of(addr)[byteIndex(addr, OFFSET_FLAGS)]! & FLAG_EXPIRY) !== 0) {
      this.expiry.remove(this.u32Of(addr)[wordIndex(addr, OFFSET_EXPIRY_POSITION)]!);
    }
    this.releaseLargeValue(addr);
    const bytes = this.bytesOf(addr);
    // A walk in address order (store-capture.ts) must know this slot holds no record now.
    const page = this.u8Of(addr);
    page[byteIndex(addr, OFFSET_FLAGS)] = page[byteIndex(addr, OFFSET_FLAGS)]! | FLAG_FREE;
    this.arena.free(addr, bytes);
  }
}

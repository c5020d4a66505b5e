// The hash index: key -> record address, in typed arrays only. Open
// addressing with linear probing; each slot holds a record address (u32,
// 0 = empty) and an 8-bit fingerprint (the hash's top byte), 5 bytes a slot,
// so a probe compares key bytes only when the fingerprint matches.
//
// Why linear probing (with backward-shift deletion) rather than Robin Hood:
// at the load we keep (at most 3/4) its probes are short and sequential in
// memory, deletion leaves no tombstones (the entries after the hole move back
// towards their home), and the invariant every other part relies on is one
// line: an entry with home h sitting at slot j has slots h..j all occupied.
// Robin Hood would bound probe variance, but at the cost of moving entries
// on insert, which makes incremental rehashing and SCAN harder to reason about.
// The full hash is not stored (it would cost 4 more bytes a slot); it is
// recomputed from the record's key when an entry moves (rehash, delete shift)
// or when SCAN needs an entry's home.
//
// Growth and shrinking never stop the world (as Redis's dict): a resize
// allocates the new table and leaves the old one `draining`; every write and
// every `step()` moves a few runs of entries across. While draining, lookups
// probe both tables and inserts go to the new one. Reads never move anything
// (the shard's reads must not mutate state).
//
// SCAN visits home buckets in reverse-binary cursor order (scan-cursor.ts);
// while draining it visits the bucket in the smaller table and its expansions
// in the larger one, so every key present for the whole scan is returned.
//
// An exact image (writeImage / readImage: both tables, the drain position)
// lets a large collection that indexes its own slab with this class
// (core/types/set/large-set.ts) snapshot its layout, so a replica restored
// from it probes, draws and scans as the one that wrote it.
//
// Invariants (asserted where cheap):
// - in every table: the linear-probing invariant above; count = occupied slots;
// - count (both tables) <= 3/4 of the current table's slots, so probes end;
// - while draining: the draining table's slots below `drainSlot` are empty;
// - the two tables never have the same size.

import { assert } from '../assert.js';
import type { Random } from '../random.js';
import { deleteShiftingBack } from './linear-probing.js';
import { scanCursorNext } from './scan-cursor.js';

/** What the index needs from the records it points at. */
export interface IndexedRecords {
  /** The hash of the key stored in the record at `addr` (the same function the caller hashes lookups with). */
  hashOf(addr: number): number;
  /** Whether the record at `addr` holds exactly `key`. */
  keyEquals(addr: number, key: Uint8Array): boolean;
}

/** Load above which a table grows (doubles): linear probing's probe length climbs steeply past ~0.75. */
const LOAD_MAX_NUMERATOR = 3;
const LOAD_MAX_DENOMINATOR = 4;
/** Load below which a table shrinks (Redis uses 1/10): far enough below the grow threshold that a table never flaps. */
const LOAD_SHRINK_DENOMINATOR = 8;
/** A shrunk table is sized for this many times the keys it holds (load 1/4 after the shrink). */
const SHRINK_SLOTS_PER_KEY = 4;
/** Tables never exceed 2^31 slots: SCAN cursors are 32-bit. */
export const INDEX_SLOTS_MAX = 2 ** 31;
/** The most keys an index holds (its largest table at the grow load). */
export const INDEX_KEYS_MAX = (INDEX_SLOTS_MAX / 4) * 3;
/**
 * Entries moved (at least) per write while draining. With grow at 3/4 load into twice
 * the slots, draining S slots takes S/8 writes, during which at most S/8
 * inserts land in the new table: 3S/4 + S/8 < 3/4 of 2S, so a grow always
 * finishes before the new table fills.
 */
export const REHASH_MOVES_PER_WRITE = 8;
/** Empty slots a rehash step may skip per entry it moves (Redis: 10), so a step stays bounded over sparse tables. */
export const REHASH_EMPTY_VISITS_PER_MOVE = 10;
/** An image's own header: current slots, draining slots (0: none), drain position (u32 each). */
const IMAGE_HEADER_BYTES = 12;

class SlotTable {
  readonly addrs: Uint32Array;
  readonly tags: Uint8Array;
  readonly mask: number;
  count = 0;

  constructor(slots: number) {
    assert(slots >= 2 && slots <= INDEX_SLOTS_MAX && (slots & (slots - 1)) === 0, () => `table slots must be a power of two, got ${slots}`);
    this.addrs = new Uint32Array(slots);
    this.tags = new Uint8Array(slots);
    this.mask = slots - 1;
  }

  get slots(): number {
    return this.mask + 1;
  }

  get loadMax(): number {
    return (this.slots * LOAD_MAX_NUMERATOR) / LOAD_MAX_DENOMINATOR;
  }
}

export class HashIndex {
  private current: SlotTable;
  private draining: SlotTable | null = null;
  private drainSlot = 0;

  /**
   * An empty index over `records`; `keysExpected` sizes its first table so
   * that many inserts need no resize (a restore that knows its key count
   * skips the doublings, and the rehashing of every key they cost). It
   * shrinks back towards `slotsMin` as any table does if the keys never come.
   */
  constructor(private readonly records: IndexedRecords, private readonly slotsMin: number, keysExpected = 0) {
    this.current = new SlotTable(HashIndex.slotsFor(keysExpected, slotsMin));
  }

  /** The fewest slots (a power of two, at least `slotsMin`) that hold `keys` entries without growing. */
  static slotsFor(keys: number, slotsMin: number): number {
    assert(Number.isSafeInteger(keys) && keys >= 0, 'a key count is a non-negative integer');
    let slots = slotsMin;
    while (slots < INDEX_SLOTS_MAX && keys * LOAD_MAX_DENOMINATOR > slots * LOAD_MAX_NUMERATOR) slots *= 2;
    assert(keys * LOAD_MAX_DENOMINATOR <= slots * LOAD_MAX_NUMERATOR, () => `${keys} keys are more than an index holds`);
    return slots;
  }

  get count(): number {
    return this.current.count + (this.draining === null ? 0 : this.draining.count);
  }

  get isRehashing(): boolean {
    return this.draining !== null;
  }

  /** Slots of the larger table (while rehashing, both tables exist). */
  get slotsLargest(): number {
    return this.draining === null ? this.current.slots : Math.max(this.draining.slots, this.current.slots);
  }

  /** Bytes of the tables' arrays. */
  get bytes(): number {
    const t = this.current.slots * 5;
    return this.draining === null ? t : t + this.draining.slots * 5;
  }

  /** The address of the record holding `key` (hashed to `hash`), or 0. */
  find(key: Uint8Array, hash: number): number {
    if (this.draining !== null) {
      const slot = this.probe(this.draining, key, hash);
      if (slot >= 0) return this.draining.addrs[slot]!;
    }
    const slot = this.probe(this.current, key, hash);
    return slot >= 0 ? this.current.addrs[slot]! : 0;
  }

  /** Add `key` -> `addr`; the key must not be indexed. */
  insert(hash: number, addr: number): void {
    assert(addr > 0, 'address 0 means an empty slot');
    // The new table must hold every entry once the drain ends, so count both tables.
    if (this.draining !== null && this.count + 1 > this.current.loadMax) {
      // Cannot happen for a grow (see REHASH_MOVES_PER_WRITE); after a shrink
      // of a huge sparse table it can: finish the drain rather than overfill.
      this.drain(Infinity);
    }
    if (this.draining === null && this.current.count + 1 > this.current.loadMax) this.resize(this.current.slots * 2);
    this.place(this.current, hash, addr);
  }

  /** Point the slot of an indexed `key` at a new address (the record moved); false when the key is not indexed. */
  update(key: Uint8Array, hash: number, addr: number): boolean {
    assert(addr > 0, 'address 0 means an empty slot');
    for (const t of this.tables()) {
      const slot = this.probe(t, key, hash);
      if (slot >= 0) {
        t.addrs[slot] = addr;
        return true;
      }
    }
    return false;
  }

  /** Remove `key`; returns the address it pointed at, or 0 when it was not indexed. */
  remove(key: Uint8Array, hash: number): number {
    for (const t of this.tables()) {
      const slot = this.probe(t, key, hash);
      if (slot < 0) continue;
      const addr = t.addrs[slot]!;
      this.deleteAt(t, slot);
      this.shrinkIfSparse();
      return addr;
    }
    return 0;
  }

  /**
   * Move up to `movesMax` entries from the draining table (skipping at most
   * REHASH_EMPTY_VISITS_PER_MOVE empty slots per move); true while a rehash
   * is still under way. The store calls it after each write; a runtime may
   * call it when idle.
   */
  step(movesMax: number = REHASH_MOVES_PER_WRITE): boolean {
    if (this.draining !== null) this.drain(movesMax);
    return this.draining !== null;
  }

  /**
   * Emit every entry at the SCAN cursor (its home bucket in each table) and
   * return the next cursor (0: the scan is complete). Mutates nothing.
   */
  scanStep(cursor: number, emit: (addr: number) => void): number {
    if (this.draining === null) {
      this.emitBucket(this.current, cursor & this.current.mask, emit);
      return scanCursorNext(cursor, this.current.mask);
    }
    const [small, large] = this.draining.slots < this.current.slots
      ? [this.draining, this.current] : [this.current, this.draining];
    this.emitBucket(small, cursor & small.mask, emit);
    // Then every bucket of the larger table that folds onto that one.
    let v = cursor;
    const extraBits = small.mask ^ large.mask;
    do {
      this.emitBucket(large, v & large.mask, emit);
      v = scanCursorNext(v, large.mask);
    } while ((v & extraBits) !== 0);
    return v;
  }

  /** Every indexed address once, in slot order (draining table first). Do not change the index meanwhile. */
  forEach(fn: (addr: number) => void): void {
    for (const t of this.tables()) {
      const addrs = t.addrs;
      for (let i = 0; i < addrs.length; i++) if (addrs[i] !== 0) fn(addrs[i]!);
    }
  }

  /**
   * A random indexed address (0 when empty): a table chosen in proportion to
   * its entries, a random slot in it, then the next occupied slot. Entries
   * after long runs of empty slots are likelier (as Redis's dictGetRandomKey
   * is biased); at load >= 1/8 the walk is short.
   */
  randomAddr(random: Random): number {
    const total = this.count;
    if (total === 0) return 0;
    const t = this.draining !== null && random.int(0, total - 1) < this.draining.count ? this.draining : this.current;
    assert(t.count > 0, 'picked an empty table');
    let i = random.int(0, t.mask);
    while (t.addrs[i] === 0) i = (i + 1) & t.mask;
    return t.addrs[i]!;
  }

  /** Point every slot at a new address (the records moved: a slab rewritten), visiting in forEach's order. */
  remap(to: (addr: number) => number): void {
    for (const t of this.tables()) {
      const addrs = t.addrs;
      for (let i = 0; i < addrs.length; i++) if (addrs[i] !== 0) addrs[i] = to(addrs[i]!);
    }
  }

  // ---- the exact image (a large collection's snapshot: core/types/set/large-set.ts) ----

  /** Bytes writeImage writes. */
  get imageBytes(): number {
    return IMAGE_HEADER_BYTES + this.bytes;
  }

  /** Both tables and the drain position exactly, at `at` of `out`; returns the offset after. */
  writeImage(out: DataView, at: number): number {
    out.setUint32(at, this.current.slots, true);
    out.setUint32(at + 4, this.draining?.slots ?? 0, true);
    // Without a drain the position is stale and unused (a resize resets it): 0.
    out.setUint32(at + 8, this.draining === null ? 0 : this.drainSlot, true);
    at += IMAGE_HEADER_BYTES;
    for (const t of [this.current, this.draining]) {
      if (t === null) continue;
      for (let i = 0; i < t.addrs.length; i++, at += 4) out.setUint32(at, t.addrs[i]!, true);
      new Uint8Array(out.buffer, out.byteOffset + at, t.slots).set(t.tags);
      at += t.slots;
    }
    return at;
  }

  /**
   * The index an image describes over `records` (already restored), so it
   * probes, drains, draws and scans as the one that wrote it; or an error
   * text when an entry is not where its hash puts it or the sizes are wrong.
   */
  static readImage(records: IndexedRecords, slotsMin: number, bytes: DataView, at: number): { index: HashIndex; end: number } | string {
    if (bytes.byteLength < at + IMAGE_HEADER_BYTES) return 'an index image cut short';
    const currentSlots = bytes.getUint32(at, true);
    const drainingSlots = bytes.getUint32(at + 4, true);
    const drainSlot = bytes.getUint32(at + 8, true);
    for (const slots of drainingSlots === 0 ? [currentSlots] : [currentSlots, drainingSlots]) {
      if (slots < slotsMin || slots > INDEX_SLOTS_MAX || (slots & (slots - 1)) !== 0) return `an index of ${slots} slots`;
    }
    if (drainingSlots === currentSlots || drainSlot > drainingSlots) return 'a drain that does not match its tables';
    if (bytes.byteLength < at + IMAGE_HEADER_BYTES + (currentSlots + drainingSlots) * 5) return 'an index image cut short';
    const index = new HashIndex(records, slotsMin);
    index.current = new SlotTable(currentSlots);
    index.draining = drainingSlots === 0 ? null : new SlotTable(drainingSlots);
    index.drainSlot = drainSlot;
    at += IMAGE_HEADER_BYTES;
    for (const t of [index.current, index.draining]) {
      if (t === null) continue;
      for (let i = 0; i < t.addrs.length; i++, at += 4) t.addrs[i] = bytes.getUint32(at, true);
      t.tags.set(new Uint8Array(bytes.buffer, bytes.byteOffset + at, t.slots));
      at += t.slots;
    }
    return index.imageInvalid() ?? { index, end: at };
  }

  /** Null when every entry is reachable from its home in its table (and counts and load hold), else what is wrong. */
  private imageInvalid(): string | null {
    for (const t of this.tables()) {
      for (let i = 0; i < t.addrs.length; i++) {
        if (t.addrs[i] === 0) continue;
        if (t === this.draining && i < this.drainSlot) return 'an entry in the drained part of a table';
        t.count++;
        const hash = this.records.hashOf(t.addrs[i]!);
        if (t.tags[i] !== hash >>> 24) return 'an entry whose fingerprint is not its hash\'s';
        for (let j = hash & t.mask; j !== i; j = (j + 1) & t.mask) if (t.addrs[j] === 0) return 'an entry not reachable from its home';
      }
    }
    return this.count > this.current.loadMax ? `${this.count} entries in ${this.current.slots} slots` : null;
  }

  // ---- internals ------------------------------------------------------------

  private tables(): SlotTable[] {
    return this.draining === null ? [this.current] : [this.draining, this.current];
  }

  private probe(t: SlotTable, key: Uint8Array, hash: number): number {
    const tag = hash >>> 24;
    const addrs = t.addrs;
    const mask = t.mask;
    let i = hash & mask;
    for (let a = addrs[i]!; a !== 0; a = addrs[i]!) {
      if (t.tags[i] === tag && this.records.keyEquals(a, key)) return i;
      i = (i + 1) & mask;
    }
    return -1;
  }

  private place(t: SlotTable, hash: number, addr: number): void {
    assert(t.count < t.slots, 'hash table is full');
    let i = hash & t.mask;
    while (t.addrs[i] !== 0) i = (i + 1) & t.mask;
    t.addrs[i] = addr;
    t.tags[i] = hash >>> 24;
    t.count++;
  }

  /** Empty slot `i`, shifting back the entries after it (linear-probing.ts). */
  private deleteAt(t: SlotTable, i: number): void {
    deleteShiftingBack(t.addrs, t.tags, i, (addr) => this.records.hashOf(addr));
    t.count--;
  }

  private shrinkIfSparse(): void {
    const t = this.current;
    if (this.draining !== null || t.slots <= this.slotsMin) return;
    if (t.count * LOAD_SHRINK_DENOMINATOR >= t.slots) return;
    let slots = this.slotsMin;
    while (slots < t.count * SHRINK_SLOTS_PER_KEY) slots *= 2;
    if (slots < t.slots) this.resize(slots);
  }

  private resize(slots: number): void {
    assert(this.draining === null, 'one resize at a time');
    assert(slots !== this.current.slots, 'resizing to the same size');
    this.draining = this.current;
    this.current = new SlotTable(slots);
    this.drainSlot = 0;
  }

  /**
   * Move whole runs of occupied slots (from `drainSlot` to the next empty
   * slot) to the current table until `movesMax` entries moved. A run bounded
   * by empty slots can be emptied without shifting anything: no other
   * entry's probe path crosses it (the slot before it is empty, having been
   * drained, or it starts at slot 0, whose wrapped-in entries are in the run
   * too). That avoids the backward shifts (and the hashing they need) of
   * deleting entries one by one. A run is moved whole even past the budget;
   * at load <= 3/4 runs are short.
   */
  private drain(movesMax: number): void {
    const from = this.draining!;
    const { addrs, tags, mask } = from;
    let moves = 0;
    let emptyVisits = 0;
    while (from.count > 0 && moves < movesMax && emptyVisits < movesMax * REHASH_EMPTY_VISITS_PER_MOVE) {
      assert(this.drainSlot < from.slots, 'drained past the end with entries left');
      if (addrs[this.drainSlot] === 0) {
        this.drainSlot++;
        emptyVisits++;
        continue;
      }
      for (let i = this.drainSlot; addrs[i] !== 0; i = (i + 1) & mask) {
        const addr = addrs[i]!;
        addrs[i] = 0;
        tags[i] = 0;
        from.count--;
        this.place(this.current, this.records.hashOf(addr), addr);
        moves++;
      }
    }
    if (from.count === 0) this.draining = null;
  }

  /** Emit the entries whose home in `t` is `bucket`: all sit in the run of occupied slots starting there. */
  private emitBucket(t: SlotTable, bucket: number, emit: (addr: number) => void): void {
    const { addrs, mask } = t;
    for (let i = bucket, n = 0; addrs[i] !== 0 && n < t.slots; i = (i + 1) & mask, n++) {
      const addr = addrs[i]!;
      if ((this.records.hashOf(addr) & mask) === bucket) emit(addr);
    }
  }
}

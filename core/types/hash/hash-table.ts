// A large hash (one grown past its compact encoding, hash-compact.ts): its
// field/value entries in byte pages and the store's open-addressing index
// over them (core/store/hash-index.ts), typed arrays only
// (hash-table-layout.ts), so a field costs its bytes, two length bytes and
// ~7 bytes of index, with no JS object per field.
//
// Changes: a new entry is appended to the newest page; a value set again
// with the same length is overwritten in place, otherwise the new entry is
// appended and the old one becomes garbage, as a deleted one does. A page
// left with nothing live is freed at once (its number is reused, lowest
// first); while garbage outweighs the live entries, each write empties one
// page that is at least half garbage, moving its live entries to the newest
// page (`evacuate`): never a copy of the whole table. The index grows past 3/4 load and shrinks below
// 1/8 incrementally, a few entries moved per write, as the keyspace's does:
// a million-field hash never stops its shard for a whole rehash (one HSET
// took 132 ms at 786,432 fields when it did).
//
// Determinism, the replication invariant: every change depends only on the
// layout and the arguments, and the image (`encode`, hash-table-image.ts) is
// the layout and the index exactly, so a replica restored from a snapshot
// changes, scans and draws exactly as the one that wrote it.
//
// HSCAN uses Redis's reverse-binary cursor over home buckets
// (core/store/scan-cursor.ts), across both tables while the index resizes:
// a field present for the whole scan is returned at least once.

import { assert } from '../../assert.js';
import type { Random } from '../../random.js';
import type { Collection } from '../../store/collection.js';
import { HashIndex, type IndexedRecords } from '../../store/hash-index.js';
import { keyHashSeeded, type KeyHash } from '../../store/key-hash.js';
import { ValueType } from '../../store/value-type.js';
import { checkEntries, decodeHashTable, encodeHashTable } from './hash-table-image.js';
import {
  EntryView, HASH_PAGE_BYTES, HASH_PAGE_MIN_BYTES, HASH_PAGE_SHIFT, HASH_PAGES_MAX, entryBytes, type HashTableLayout,
} from './hash-table-layout.js';
import { putVarint } from '../varint.js';

/** The field hash; seeded apart from the key hash so a hash's layout does not mirror the keyspace's. */
export const hashFieldHash: KeyHash = keyHashSeeded(0x68617368);

/** Fewest index slots: a table starts from a compact hash past hash-max-listpack-entries fields (128 by default), so this is only a floor for shrinking. */
export const HASH_TABLE_SLOTS_MIN = 16;
/** Garbage below the smallest page is never worth moving entries for. */
const COMPACT_GARBAGE_BYTES_MIN = HASH_PAGE_MIN_BYTES;
/** A new ordinary page is at least 1/16 of the live bytes (up to HASH_PAGE_BYTES): a growing hash takes few pages, a small one small ones. */
const LIVE_BYTES_PER_PAGE_MAX = 16;
/** Pages a write looks at for one to empty (one at least half garbage): most are, while garbage outweighs live bytes. */
const EVACUATE_PAGES_LOOKED_AT_MAX = 16;
/** What a table costs beyond its arrays: the JS objects of the table, its layout and one per page (an estimate, for memory accounting). */
const TABLE_OBJECT_BYTES = 256;
const PAGE_OBJECT_BYTES = 96;

const EMPTY_PAGE = new Uint8Array(0);

export class HashTable implements Collection, IndexedRecords {
  readonly type = ValueType.HASH;
  /** Where get/set/delete read an entry; the index's callbacks use `probeView`, so a probe never moves it. */
  private readonly view = new EntryView();
  private readonly probeView = new EntryView();
  /** What entryAt hands out: no operation of the table moves it. */
  private readonly readView = new EntryView();
  private index: HashIndex;

  /** Bytes of the pages and their objects, kept as pages come and go (memoryBytes is read on every write). */
  private pagesBytes = 0;
  /** Live bytes in each page; derived from the index (countLive), so not in the image. */
  private pageLive: number[];
  /** Freed page numbers (length 0, never page 0), lowest first; derived from the pages. */
  private readonly freePages: number[] = [];

  private constructor(
    private s: HashTableLayout,
    fieldsExpected: number,
    slotsMin: number,
    /** Told the new address of each entry reclaim moves (a sorted set keeps its members' addresses: zset-large.ts). */
    private readonly onMove: ((addr: number) => void) | null = null,
  ) {
    for (const page of s.pages) this.pagesBytes += page.length + PAGE_OBJECT_BYTES;
    for (let p = 1; p < s.pages.length; p++) if (s.pages[p]!.length === 0) this.freePages.push(p);
    this.pageLive = new Array<number>(s.pages.length).fill(0);
    this.index = new HashIndex(this, slotsMin, fieldsExpected);
  }

  /**
   * An empty table with room for `fields` fields before its first resize;
   * its index never shrinks below `slotsMin` slots (a large set's floor is
   * its own, core/types/set/large-set.ts).
   */
  static withCapacity(fields: number, slotsMin = HASH_TABLE_SLOTS_MIN, onMove: ((addr: number) => void) | null = null): HashTable {
    // Byte 0 of page 0 stays unused: address 0 means an empty slot.
    return new HashTable(
      { pages: [new Uint8Array(HASH_PAGE_MIN_BYTES)], bumpPage: 0, bumpOffset: 1, evacuatePage: 1, garbageBytes: 0, liveBytes: 0 }, fields, slotsMin, onMove,
    );
  }

  /** The table an image describes (hash-table-image.ts), laid out identically; an error text when the bytes are not a valid image. */
  static fromImage(bytes: Uint8Array, slotsMin = HASH_TABLE_SLOTS_MIN): HashTable | string {
    const image = decodeHashTable(bytes);
    if (typeof image === 'string') return image;
    let table: HashTable;
    if ('slotOrder' in image) {
      // A version 1 image: its addresses into a fresh index, in their old slot order (alike on every replica).
      const problem = checkEntries(image.layout.pages, image.slotOrder);
      if (problem !== null) return problem;
      table = new HashTable(image.layout, image.count, slotsMin);
      for (const addr of image.slotOrder) {
        const hash = table.hashOf(addr);
        if (table.index.find(table.entryAt(addr).field(), hash) !== 0) return 'a hash table image holds a field twice';
        table.index.insert(hash, addr);
      }
    } else {
      table = new HashTable(image.layout, 0, slotsMin);
      const read = HashIndex.readImage(table, slotsMin, image.view, image.indexAt);
      if (typeof read === 'string') return read;
      if (read.end !== bytes.length) return 'a hash table image whose length does not match its header';
      table.index = read.index;
    }
    if (table.size !== image.count) return `a hash table image counts ${image.count} fields but has ${table.size}`;
    return table.countLive() ?? table;
  }

  /**
   * pageLive from the index (a restored table), in the same pass checking
   * that every address is an entry inside its page and that the live bytes
   * add up to the layout's count; what is wrong, or null.
   */
  private countLive(): string | null {
    const { pages } = this.s;
    const view = this.probeView;
    const live = this.pageLive;
    let total = 0;
    let outside = false;
    this.index.forEach((addr) => {
      if (outside || !view.locate(pages, addr)) {
        outside = true;
        return;
      }
      live[addr >>> HASH_PAGE_SHIFT] += view.entryBytes;
      total += view.entryBytes;
    });
    if (outside) return 'a hash table image points outside its pages';
    return total === this.s.liveBytes ? null : 'a hash table image whose live bytes do not add up';
  }

  get size(): number {
    return this.index.count;
  }

  /** Slots of the index's larger table (two while it resizes). */
  get slots(): number {
    return this.index.slotsLargest;
  }

  /** The index is moving entries to a new table, a few per write. */
  get isResizing(): boolean {
    return this.index.isRehashing;
  }

  get memoryBytes(): number {
    return TABLE_OBJECT_BYTES + this.index.bytes + this.pagesBytes;
  }

  encode(): Uint8Array {
    return encodeHashTable(this.s, this.size, this.index.imageBytes, (out, at) => this.index.writeImage(out, at));
  }

  /** Where `field`'s entry is (0: absent); valid until the table changes (reclaim moves entries: onMove). */
  addressOf(field: Uint8Array): number {
    return this.index.find(field, hashFieldHash(field, 0, field.length));
  }

  /** The entry at `addr` (from addressOf or onMove), in a view of its own, valid until the table changes. */
  entryAt(addr: number): EntryView {
    const found = this.readView.locate(this.s.pages, addr);
    assert(found, 'an address the table gave out');
    return this.readView;
  }

  /** The value of `field` (a view, valid until the table changes), or null. */
  get(field: Uint8Array): Uint8Array | null {
    const addr = this.index.find(field, hashFieldHash(field, 0, field.length));
    if (addr === 0) return null;
    this.view.locate(this.s.pages, addr);
    return this.view.value();
  }

  /** Set `field` to `value`; true when the field is new. */
  set(field: Uint8Array, value: Uint8Array): boolean {
    const hash = hashFieldHash(field, 0, field.length);
    const addr = this.index.find(field, hash);
    if (addr !== 0) {
      const view = this.view;
      view.locate(this.s.pages, addr);
      if (view.valueLength === value.length) {
        view.bytes.set(value, view.valueAt);
      } else {
        // The index first: it finds the field by reading the old entry, whose page release() may free.
        const updated = this.index.update(field, hash, this.append(field, value));
        assert(updated, 'a field found a moment ago is in the index');
        this.release(addr, view);
        this.index.step();
        this.evacuateIfWasteful();
      }
      return false;
    }
    this.index.insert(hash, this.append(field, value));
    this.index.step();
    this.evacuateIfWasteful();
    return true;
  }

  /** Remove `field`; true when it was there. */
  delete(field: Uint8Array): boolean {
    const addr = this.index.remove(field, hashFieldHash(field, 0, field.length));
    if (addr === 0) return false;
    this.view.locate(this.s.pages, addr);
    this.release(addr, this.view);
    this.index.step();
    this.evacuateIfWasteful();
    return true;
  }

  /** Every entry in slot order; `fn` gets views valid until the table changes. */
  forEach(fn: (field: Uint8Array, value: Uint8Array) => void): void {
    const { pages } = this.s;
    const view = this.view;
    this.index.forEach((addr) => {
      view.locate(pages, addr);
      fn(view.field(), view.value());
    });
  }

  /**
   * Emit the entries whose home is the cursor's bucket (in each table while
   * the index resizes) and return the next cursor (0: the scan is
   * complete). Changes nothing.
   */
  scanStep(cursor: number, emit: (field: Uint8Array, value: Uint8Array) => void): number {
    const { pages } = this.s;
    const view = this.view;
    return this.index.scanStep(cursor, (addr) => {
      view.locate(pages, addr);
      emit(view.field(), view.value());
    });
  }

  /**
   * A random entry (the table is not empty): a random slot, then the next
   * occupied one. Fields after long empty runs are likelier, as with Redis's
   * dictGetFairRandomKey's bias; at load >= 1/8 the walk is short.
   */
  random(random: Random, fn: (field: Uint8Array, value: Uint8Array) => void): void {
    assert(this.size > 0, 'a random field of an empty hash');
    this.view.locate(this.s.pages, this.index.randomAddr(random));
    fn(this.view.field(), this.view.value());
  }

  // ---- IndexedRecords: what the index asks of the pages ---------------------

  hashOf(addr: number): number {
    const view = this.probeView;
    // Only a damaged image has an address outside its pages; fromImage then refuses it (checkEntries, countLive).
    if (!view.locate(this.s.pages, addr)) return 0;
    return hashFieldHash(view.bytes, view.fieldAt, view.fieldLength);
  }

  keyEquals(addr: number, field: Uint8Array): boolean {
    return this.probeView.locate(this.s.pages, addr) && this.probeView.fieldEquals(field);
  }

  // ---- internals ------------------------------------------------------------

  /** Store an entry in the pages; returns its address. */
  private append(field: Uint8Array, value: Uint8Array): number {
    const s = this.s;
    const bytes = entryBytes(field.length, value.length);
    let page: number;
    let offset: number;
    if (bytes >= HASH_PAGE_BYTES) {
      page = this.takePage(bytes);
      offset = 0;
    } else {
      if (s.bumpOffset + bytes > s.pages[s.bumpPage]!.length) {
        const retired = s.bumpPage;
        s.garbageBytes += s.pages[retired]!.length - s.bumpOffset;
        s.bumpPage = this.takePage(this.ordinaryPageBytes(bytes));
        s.bumpOffset = 0;
        this.freeIfDead(retired);
      }
      page = s.bumpPage;
      offset = s.bumpOffset;
      s.bumpOffset += bytes;
    }
    const out = s.pages[page]!;
    let at = putVarint(out, offset, field.length);
    at = putVarint(out, at, value.length);
    out.set(field, at);
    out.set(value, at + field.length);
    s.liveBytes += bytes;
    this.pageLive[page] += bytes;
    return (page << HASH_PAGE_SHIFT | offset) >>> 0;
  }

  /** The entry at `addr` (located in `view`) is no longer pointed at: its bytes are garbage; a page left with nothing live is freed at once. */
  private release(addr: number, view: EntryView): void {
    const s = this.s;
    const page = addr >>> HASH_PAGE_SHIFT;
    const bytes = view.entryBytes;
    s.liveBytes -= bytes;
    this.pageLive[page] -= bytes;
    if (bytes >= HASH_PAGE_BYTES) {
      // A long entry's own page: not counted as garbage, freed with it.
      this.freePage(page);
      return;
    }
    s.garbageBytes += bytes;
    this.freeIfDead(page);
  }

  /** An ordinary page other than the newest (and page 0, whose byte 0 keeps address 0 unused) with nothing live goes free. */
  private freeIfDead(page: number): void {
    if (page === 0 || page === this.s.bumpPage || this.pageLive[page] !== 0) return;
    this.s.garbageBytes -= this.s.pages[page]!.length;
    this.freePage(page);
  }

  /** The size of a new ordinary page for an entry of `bytes` (below HASH_PAGE_BYTES): a power of two, larger as the hash grows. */
  private ordinaryPageBytes(bytes: number): number {
    let size = HASH_PAGE_MIN_BYTES;
    while (size < HASH_PAGE_BYTES && (size < bytes || size * LIVE_BYTES_PER_PAGE_MAX < this.s.liveBytes)) size *= 2;
    return size;
  }

  /** A page of `bytes`: the lowest free page number, or a new one (so the numbering depends only on the operations). */
  private takePage(bytes: number): number {
    const s = this.s;
    const page = new Uint8Array(bytes);
    const free = this.freePages.shift();
    if (free !== undefined) {
      s.pages[free] = page;
      this.pageLive[free] = 0;
      this.pagesBytes += bytes;
      return free;
    }
    assert(s.pages.length < HASH_PAGES_MAX, 'a hash table is out of page numbers');
    s.pages.push(page);
    this.pageLive.push(0);
    this.pagesBytes += bytes + PAGE_OBJECT_BYTES;
    return s.pages.length - 1;
  }

  private freePage(page: number): void {
    this.pagesBytes -= this.s.pages[page]!.length;
    this.s.pages[page] = EMPTY_PAGE;
    const free = this.freePages;
    let at = free.length;
    while (at > 0 && free[at - 1]! > page) at--;
    free.splice(at, 0, page);
  }

  /**
   * While garbage outweighs the live bytes, each write empties one page that
   * is at least half garbage, looked for from a cursor a few pages at a
   * time: its live entries move to the newest page and it goes free. A page
   * per write, never the whole table at once (a million-field hash paid
   * 136 ms in one HDEL when it was copied whole).
   */
  private evacuateIfWasteful(): void {
    const s = this.s;
    if (s.garbageBytes < COMPACT_GARBAGE_BYTES_MIN || s.garbageBytes <= s.liveBytes) return;
    for (let looked = 0; looked < EVACUATE_PAGES_LOOKED_AT_MAX; looked++) {
      const page = s.evacuatePage;
      s.evacuatePage = page + 1 < s.pages.length ? page + 1 : 1;
      // A free page has length 0; a long entry's page is all live, so never half garbage.
      if (page >= s.pages.length || page === s.bumpPage || s.pages[page]!.length === 0) continue;
      if (this.pageLive[page]! * 2 > s.pages[page]!.length) continue;
      this.evacuate(page);
      return;
    }
  }

  /** Move the live entries of ordinary page `page` (in offset order) to the newest page; then free it. */
  private evacuate(page: number): void {
    const s = this.s;
    const view = this.view;
    for (let offset = 0; this.pageLive[page]! > 0;) {
      const addr = (page << HASH_PAGE_SHIFT | offset) >>> 0;
      const found = view.locate(s.pages, addr);
      assert(found, 'a page holds entries back to back up to its last live one');
      const bytes = view.entryBytes;
      const field = view.field();
      const hash = hashFieldHash(field, 0, field.length);
      if (this.index.find(field, hash) === addr) {
        const moved = this.append(field, view.value());
        this.index.update(field, hash, moved);
        this.onMove?.(moved);
        s.liveBytes -= bytes;
        this.pageLive[page] -= bytes;
        s.garbageBytes += bytes;
      }
      offset += bytes;
    }
    this.freeIfDead(page);
  }
}

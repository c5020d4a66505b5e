// A large hash (one grown past its compact encoding, hash-compact.ts): its
// field/value entries in byte pages and an open-addressing index over them,
// typed arrays only (hash-table-layout.ts), so a field costs its bytes, two
// length bytes and ~7 bytes of index, with no JS object per field.
//
// Changes: a new entry is appended to the newest page; a value set again
// with the same length is overwritten in place, otherwise the new entry is
// appended and the old one becomes garbage, as a deleted one does. When
// garbage outweighs the live entries, `compact` copies the live ones into
// fresh pages in slot order. The index doubles past 3/4 load and shrinks
// below 1/8 (each a whole rehash in slot order: a hash is one key, and a
// shard's hashes are bounded by its memory). Deletion shifts entries back
// (no tombstones), as core/store/hash-index.ts does.
//
// Determinism, the replication invariant: every change depends only on the
// layout and the arguments, and the image (`encode`, hash-table-image.ts) is
// the layout itself, so a replica restored from a snapshot changes, scans
// and draws exactly as the one that wrote it.
//
// HSCAN uses Redis's reverse-binary cursor over home buckets
// (core/store/scan-cursor.ts): a field present for the whole scan is
// returned at least once across any number of resizes.

import { assert } from '../../assert.js';
import type { Random } from '../../random.js';
import type { Collection } from '../../store/collection.js';
import { keyHashSeeded, type KeyHash } from '../../store/key-hash.js';
import { deleteShiftingBack } from '../../store/linear-probing.js';
import { scanCursorNext } from '../../store/scan-cursor.js';
import { ValueType } from '../../store/value-type.js';
import { encodeHashTable } from './hash-table-image.js';
import {
  EntryView, HASH_PAGE_BYTES, HASH_PAGE_SHIFT, HASH_PAGES_MAX, entryBytes, type HashTableLayout,
} from './hash-table-layout.js';
import { putVarint } from '../varint.js';

/** The field hash; seeded apart from the key hash so a hash's layout does not mirror the keyspace's. */
export const hashFieldHash: KeyHash = keyHashSeeded(0x68617368);

/** Fewest index slots: a table starts from a compact hash past hash-max-listpack-entries fields (128 by default), so this is only a floor for shrinking. */
export const HASH_TABLE_SLOTS_MIN = 16;
/** Load past which the index doubles: linear probing's probes lengthen steeply beyond ~3/4. */
const LOAD_MAX_NUMERATOR = 3;
const LOAD_MAX_DENOMINATOR = 4;
/** Load below which it shrinks, to 1/4 load: far from the grow threshold, so the size never flaps. */
const LOAD_SHRINK_DENOMINATOR = 8;
const SHRINK_SLOTS_PER_FIELD = 4;
/** Garbage below a page is never worth a compaction. */
const COMPACT_GARBAGE_BYTES_MIN = HASH_PAGE_BYTES;
/** What a table costs beyond its arrays: the JS objects of the table, its layout and one per page (an estimate, for memory accounting). */
const TABLE_OBJECT_BYTES = 256;
const PAGE_OBJECT_BYTES = 96;

const EMPTY_PAGE = new Uint8Array(0);

export class HashTable implements Collection {
  readonly type = ValueType.HASH;
  private readonly view = new EntryView();

  /** Bytes of the pages and their objects, kept as pages come and go (memoryBytes is read on every write). */
  private pagesBytes = 0;

  private constructor(private s: HashTableLayout) {
    for (const page of s.pages) this.pagesBytes += page.length + PAGE_OBJECT_BYTES;
  }

  /** An empty table with room for `fields` fields before its first resize. */
  static withCapacity(fields: number): HashTable {
    let slots = HASH_TABLE_SLOTS_MIN;
    while (slots * LOAD_MAX_NUMERATOR < fields * LOAD_MAX_DENOMINATOR) slots *= 2;
    return new HashTable({
      // Byte 0 of page 0 stays unused: address 0 means an empty slot.
      pages: [new Uint8Array(HASH_PAGE_BYTES)], bumpPage: 0, bumpOffset: 1,
      addrs: new Uint32Array(slots), tags: new Uint8Array(slots), count: 0, garbageBytes: 0, liveBytes: 0,
    });
  }

  /** The table an image's layout describes (hash-table-image.ts checked it). */
  static fromLayout(layout: HashTableLayout): HashTable {
    return new HashTable(layout);
  }

  /** The layout, for the image (read only). */
  get layout(): Readonly<HashTableLayout> {
    return this.s;
  }

  get size(): number {
    return this.s.count;
  }

  get slots(): number {
    return this.s.addrs.length;
  }

  get memoryBytes(): number {
    return TABLE_OBJECT_BYTES + this.s.addrs.length * 5 + this.pagesBytes;
  }

  encode(): Uint8Array {
    return encodeHashTable(this.s);
  }

  /** The value of `field` (a view, valid until the table changes), or null. */
  get(field: Uint8Array): Uint8Array | null {
    const slot = this.find(field, hashFieldHash(field, 0, field.length));
    if (slot < 0) return null;
    this.view.locate(this.s.pages, this.s.addrs[slot]!);
    return this.view.value();
  }

  /** Set `field` to `value`; true when the field is new. */
  set(field: Uint8Array, value: Uint8Array): boolean {
    const hash = hashFieldHash(field, 0, field.length);
    const slot = this.find(field, hash);
    const s = this.s;
    if (slot >= 0) {
      const view = this.view;
      view.locate(s.pages, s.addrs[slot]!);
      if (view.valueLength === value.length) {
        view.bytes.set(value, view.valueAt);
      } else {
        this.release(s.addrs[slot]!, view);
        s.addrs[slot] = this.append(field, value);
        this.compactIfWasteful();
      }
      return false;
    }
    if ((s.count + 1) * LOAD_MAX_DENOMINATOR > s.addrs.length * LOAD_MAX_NUMERATOR) this.resize(s.addrs.length * 2);
    this.place(hash, this.append(field, value));
    s.count++;
    this.compactIfWasteful();
    return true;
  }

  /** Remove `field`; true when it was there. */
  delete(field: Uint8Array): boolean {
    const slot = this.find(field, hashFieldHash(field, 0, field.length));
    if (slot < 0) return false;
    const s = this.s;
    this.view.locate(s.pages, s.addrs[slot]!);
    this.release(s.addrs[slot]!, this.view);
    this.deleteAt(slot);
    s.count--;
    const slots = s.addrs.length;
    if (slots > HASH_TABLE_SLOTS_MIN && s.count * LOAD_SHRINK_DENOMINATOR < slots) {
      let smaller = HASH_TABLE_SLOTS_MIN;
      while (smaller < s.count * SHRINK_SLOTS_PER_FIELD) smaller *= 2;
      if (smaller < slots) this.resize(smaller);
    }
    this.compactIfWasteful();
    return true;
  }

  /** Every entry in slot order; `fn` gets views valid until the table changes. */
  forEach(fn: (field: Uint8Array, value: Uint8Array) => void): void {
    const { addrs, pages } = this.s;
    const view = this.view;
    for (let i = 0; i < addrs.length; i++) {
      if (addrs[i] === 0) continue;
      view.locate(pages, addrs[i]!);
      fn(view.field(), view.value());
    }
  }

  /**
   * Emit the entries whose home is the cursor's bucket and return the next
   * cursor (0: the scan is complete). Changes nothing.
   */
  scanStep(cursor: number, emit: (field: Uint8Array, value: Uint8Array) => void): number {
    const { addrs, pages } = this.s;
    const mask = addrs.length - 1;
    const bucket = cursor & mask;
    const view = this.view;
    for (let i = bucket, n = 0; addrs[i] !== 0 && n < addrs.length; i = (i + 1) & mask, n++) {
      view.locate(pages, addrs[i]!);
      if ((hashFieldHash(view.bytes, view.fieldAt, view.fieldLength) & mask) === bucket) emit(view.field(), view.value());
    }
    return scanCursorNext(cursor, mask);
  }

  /**
   * A random entry (the table is not empty): a random slot, then the next
   * occupied one. Fields after long empty runs are likelier, as with Redis's
   * dictGetFairRandomKey's bias; at load >= 1/8 the walk is short.
   */
  random(random: Random, fn: (field: Uint8Array, value: Uint8Array) => void): void {
    const { addrs, pages } = this.s;
    assert(this.s.count > 0, 'a random field of an empty hash');
    let i = random.int(0, addrs.length - 1);
    while (addrs[i] === 0) i = (i + 1) & (addrs.length - 1);
    this.view.locate(pages, addrs[i]!);
    fn(this.view.field(), this.view.value());
  }

  // ---- internals ------------------------------------------------------------

  private find(field: Uint8Array, hash: number): number {
    const { addrs, tags, pages } = this.s;
    const mask = addrs.length - 1;
    const tag = hash >>> 24;
    const view = this.view;
    for (let i = hash & mask; addrs[i] !== 0; i = (i + 1) & mask) {
      if (tags[i] === tag && view.locate(pages, addrs[i]!) && view.fieldEquals(field)) return i;
    }
    return -1;
  }

  private place(hash: number, addr: number): void {
    const { addrs, tags } = this.s;
    const mask = addrs.length - 1;
    let i = hash & mask;
    while (addrs[i] !== 0) i = (i + 1) & mask;
    addrs[i] = addr;
    tags[i] = hash >>> 24;
  }

  /** Store an entry in the pages; returns its address. */
  private append(field: Uint8Array, value: Uint8Array): number {
    const s = this.s;
    const bytes = entryBytes(field.length, value.length);
    let page: number;
    let offset: number;
    if (bytes >= HASH_PAGE_BYTES) {
      assert(s.pages.length < HASH_PAGES_MAX, 'a hash table is out of page numbers');
      page = s.pages.length;
      offset = 0;
      s.pages.push(new Uint8Array(bytes));
      this.pagesBytes += bytes + PAGE_OBJECT_BYTES;
    } else {
      if (s.bumpOffset + bytes > HASH_PAGE_BYTES) {
        assert(s.pages.length < HASH_PAGES_MAX, 'a hash table is out of page numbers');
        s.garbageBytes += HASH_PAGE_BYTES - s.bumpOffset;
        s.bumpPage = s.pages.length;
        s.bumpOffset = 0;
        s.pages.push(new Uint8Array(HASH_PAGE_BYTES));
        this.pagesBytes += HASH_PAGE_BYTES + PAGE_OBJECT_BYTES;
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
    return (page << HASH_PAGE_SHIFT | offset) >>> 0;
  }

  /** The entry at `addr` (located in `view`) is no longer pointed at: its bytes are garbage, a long entry's page is freed at once. */
  private release(addr: number, view: EntryView): void {
    const s = this.s;
    const bytes = view.entryBytes;
    s.liveBytes -= bytes;
    if (bytes >= HASH_PAGE_BYTES) {
      s.pages[addr >>> HASH_PAGE_SHIFT] = EMPTY_PAGE;
      this.pagesBytes -= bytes;
      s.garbageBytes += HASH_PAGE_BYTES;
    } else {
      s.garbageBytes += bytes;
    }
  }

  /** Empty slot `i`, shifting back the entries after it (core/store/linear-probing.ts). */
  private deleteAt(i: number): void {
    const { pages } = this.s;
    const view = this.view;
    deleteShiftingBack(this.s.addrs, this.s.tags, i, (addr) => {
      view.locate(pages, addr);
      return hashFieldHash(view.bytes, view.fieldAt, view.fieldLength);
    });
  }

  /** A new index of `slots` slots, entries placed in the old slot order. */
  private resize(slots: number): void {
    const s = this.s;
    const old = s.addrs;
    s.addrs = new Uint32Array(slots);
    s.tags = new Uint8Array(slots);
    const view = this.view;
    for (let i = 0; i < old.length; i++) {
      if (old[i] === 0) continue;
      view.locate(s.pages, old[i]!);
      this.place(hashFieldHash(view.bytes, view.fieldAt, view.fieldLength), old[i]!);
    }
  }

  private compactIfWasteful(): void {
    const s = this.s;
    if (s.garbageBytes >= COMPACT_GARBAGE_BYTES_MIN && s.garbageBytes > s.liveBytes) this.compact();
  }

  /** Copy the live entries, in slot order, into fresh pages; slots keep their places. */
  private compact(): void {
    const s = this.s;
    const oldPages = s.pages;
    s.pages = [new Uint8Array(HASH_PAGE_BYTES)];
    this.pagesBytes = HASH_PAGE_BYTES + PAGE_OBJECT_BYTES;
    s.bumpPage = 0;
    s.bumpOffset = 1;
    s.garbageBytes = 0;
    s.liveBytes = 0;
    const view = this.view;
    for (let i = 0; i < s.addrs.length; i++) {
      if (s.addrs[i] === 0) continue;
      view.locate(oldPages, s.addrs[i]!);
      s.addrs[i] = this.append(view.field(), view.value());
    }
  }
}

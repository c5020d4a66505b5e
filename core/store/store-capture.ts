// A capture: the store's entries as they were at one version (the applied
// index a snapshot covers), handed out a bounded slice at a time while the
// store keeps changing between slices. The store side of an incremental
// snapshot (core/shard/snapshot-job.ts encodes what it hands out).
//
// How it stays exact without stopping the writer (versioned records plus
// pre-images, in the manner of Dragonfly's versioned buckets):
// - Every write stamps its record with its log index, which is above the
//   capture's version V. So a record whose version is <= V has not changed
//   since V, and one above V was written after it (and is not ours to emit).
// - The capture walks the arena's records in address order, from the first
//   page to where the arena ended when the capture began (records later are
//   all newer than V). Addresses are stable: records never move (a rewrite
//   either changes a record in place or writes a new one and frees the old),
//   and a free slot keeps its size class. So "visited" is just `address <
//   cursor`, and the index's incremental rehash, which only moves index
//   slots, cannot make the walk miss or repeat a key.
// - The walk emits each live record with version <= V (free slots carry
//   FLAG_FREE and are skipped).
// - Before the store changes or frees a record that is not yet visited and
//   still has version <= V (its first change since V), it calls `preserve`,
//   which emits the record's old contents at once (the pre-image). The write
//   then stamps the record above V or frees it, so the walk skips it later.
//   Either way every key present at V is emitted exactly once.
// - FLUSHALL (store.clear) replaces the arena: the capture keeps reading the
//   old one, which nothing writes any more (the store detaches it).
//
// Memory: the capture holds no copy of the store. What it adds is the
// pre-images emitted between two slices, at most one per key changed during
// the capture, each the size of that key's record at V; so it is bounded by
// what was written during the capture, never by the store's size (and the
// snapshot job hands them out at its next step). After a FLUSHALL it also
// keeps the dropped arena alive until it ends.

import { assert } from '../assert.js';
import { ContentDigest } from './content-digest.js';
import { FLAG_FREE } from './record-layout.js';
import { readRecord, recordAllocBytes, recordFlags, recordKeyLength, recordVersion, type EntryFields, type LargeValue } from './record-read.js';
import { SIZE_CLASS_BYTES, sizeClassOf, RECORD_ALIGN_BYTES } from './size-classes.js';
import { pageFirstUnit, PAGE_UNITS, type SlabArena } from './slab-arena.js';

/** Receives each captured entry (record-read.ts's EntryFields: views of the store's memory, valid during the call). */
export type CaptureSink = EntryFields;

/** What the store hands a capture when it begins: its memory and its key count at the capture's version. */
export interface CaptureStart {
  arena: SlabArena;
  largeValues: readonly (LargeValue | null)[];
  version: number;
  count: number;
}

export class StoreCapture {
  /** The version captured: entries as they were once every write up to it was applied. */
  readonly version: number;
  /** Keys stored at that version: how many entries the capture emits in all. */
  readonly count: number;
  /** The order-free digest (content-digest.ts) of the entries emitted so far: the state's at the version once walked. */
  readonly digest = new ContentDigest();
  private readonly arena: SlabArena;
  private readonly largeValues: readonly (LargeValue | null)[];
  /** Where the walk ends: the arena's last page and its carved units when the capture began. */
  private readonly endPage: number;
  private readonly endUnit: number;
  private page = 0;
  private unit = 0;
  /** page * PAGE_UNITS + unit: records below it were visited. */
  private cursorAddr = 0;
  private emittedCount = 0;
  private preservedCount = 0;
  private preservedBytesTotal = 0;
  /** False once the store stopped telling this capture about writes (FLUSHALL, or the capture ended). */
  private attached = true;
  /** Each emitted entry goes to the digest and to the caller's sink. */
  private readonly emitFields: EntryFields;

  constructor(start: CaptureStart, sink: CaptureSink) {
    this.emitFields = (k, ks, kl, v, vs, vl, version, expireAtMs, type) => {
      this.digest.add(k, ks, kl, v, vs, vl, version, expireAtMs, type);
      sink(k, ks, kl, v, vs, vl, version, expireAtMs, type);
    };
    this.arena = start.arena;
    this.largeValues = start.largeValues;
    this.version = start.version;
    this.count = start.count;
    this.endPage = this.arena.pageCount - 1;
    this.endUnit = this.endPage >= 0 ? this.arena.unitsCarvedOf(this.endPage) : 0;
    this.unit = pageFirstUnit(0);
    this.cursorAddr = this.unit;
  }

  /** Entries emitted so far (walk and pre-images). */
  get emitted(): number {
    return this.emittedCount;
  }

  /** Entries emitted as pre-images (a write reached them before the walk). */
  get preserved(): number {
    return this.preservedCount;
  }

  /** Bytes of keys and values emitted as pre-images, in all. */
  get preservedBytes(): number {
    return this.preservedBytesTotal;
  }

  /** Whether the walk has passed every record that existed at the capture's version. */
  get walked(): boolean {
    return this.endPage < 0 || this.page > this.endPage || (this.page === this.endPage && this.unit >= this.endUnit);
  }

  /**
   * Walk on until about `workBytesMax` bytes of work were done (each visited
   * record's size, plus its value's length when it is emitted, since that is
   * hashed and encoded; the record that crosses the limit is finished);
   * returns whether the walk is over. After it is, every entry at the
   * version has been emitted.
   */
  step(workBytesMax: number): boolean {
    assert(workBytesMax > 0, 'a capture step needs a positive budget');
    let work = 0;
    while (work < workBytesMax && !this.walked) {
      const pageEnd = this.page === this.endPage ? this.endUnit : this.arena.unitsCarvedOf(this.page);
      if (this.unit >= pageEnd) {
        this.page++;
        this.unit = pageFirstUnit(this.page);
        this.cursorAddr = this.page * PAGE_UNITS + this.unit;
        continue;
      }
      const addr = this.cursorAddr;
      const classBytes = SIZE_CLASS_BYTES[sizeClassOf(recordAllocBytes(this.arena, addr))]!;
      // Advance first: a record at or past the cursor is one the walk has yet to reach.
      this.unit += classBytes / RECORD_ALIGN_BYTES;
      this.cursorAddr += classBytes / RECORD_ALIGN_BYTES;
      work += classBytes;
      if ((recordFlags(this.arena, addr) & FLAG_FREE) === 0 && recordVersion(this.arena, addr) <= this.version) {
        work += this.emit(addr);
      }
    }
    return this.walked;
  }

  /**
   * The store is about to change or free the live record at `addr`: if the
   * walk has not reached it and it still holds its contents at the capture's
   * version, emit them now.
   */
  preserve(addr: number): void {
    assert(this.attached, 'a detached capture was told about a write');
    if (addr < this.cursorAddr || recordVersion(this.arena, addr) > this.version) return;
    assert((recordFlags(this.arena, addr) & FLAG_FREE) === 0, 'preserving a freed record');
    this.preservedCount++;
    this.preservedBytesTotal += recordKeyLength(this.arena, addr) + this.emit(addr);
  }

  /** The store stops reporting writes: the capture ended, or the store dropped this arena (FLUSHALL). */
  detach(): void {
    this.attached = false;
  }

  /** Hand the record at `addr` to the sink (and the digest); returns the bytes of its value (the work it cost beyond the record). */
  private emit(addr: number): number {
    this.emittedCount++;
    assert(this.emittedCount <= this.count, 'a capture emitted more entries than the store held');
    return readRecord(this.arena, this.largeValues, addr, this.emitFields);
  }
}

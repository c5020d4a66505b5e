// The slab arena: the memory a shard's records live in. Records are carved
// from large pages (one ArrayBuffer each) instead of one allocation per key,
// so a key costs its bytes and no JS object, and the garbage collector sees a
// few hundred buffers however many keys there are.
//
// An address is a 32-bit number: page index * PAGE_UNITS + offset in 8-byte
// units. Address 0 is never handed out (the first unit of page 0 is skipped),
// so 0 can mean "none" in the hash index and in free lists.
//
// Allocation: a record goes in a size class (size-classes.ts); a freed record
// is pushed on its class's free list (the next pointer is written into the
// freed record itself), and the next allocation of that class pops it. Only
// when its list is empty is a record cut from the end of the newest page; the
// few bytes left at a page's end when the next record does not fit are
// counted as waste. Pages are never returned: memory freed by deletes is kept
// for later records of the same classes (as an allocator keeps its arenas).
//
// Everything is deterministic: the same sequence of alloc/free gives the
// same addresses, so replicas lay out their records identically.

import { assert } from '../assert.js';
import { RECORD_ALIGN_BYTES, SIZE_CLASS_BYTES, SIZE_CLASS_COUNT, sizeClassOf } from './size-classes.js';

/**
 * Bytes per page: large enough that a page's end waste (< one record, at most
 * 32 KiB) is a small share and that a million keys need a few hundred
 * buffers, small enough that a fresh shard does not reserve much (pages are
 * zero-filled lazily by the OS, so only touched parts count in RSS).
 */
export const PAGE_BYTES = 1024 * 1024;
export const PAGE_UNITS = PAGE_BYTES / RECORD_ALIGN_BYTES;
/** Addresses are 32-bit, so at most 2^32 / PAGE_UNITS pages (32 GiB of records per shard). */
export const PAGES_MAX = 0x1_0000_0000 / PAGE_UNITS;
/**
 * Bytes a page's buffer starts with. A page keeps its PAGE_UNITS of address
 * space, but its buffer doubles as records fill it, up to PAGE_BYTES: a
 * small shard (and every shard at boot, restart and snapshot restore)
 * would otherwise zero a whole 1 MiB page, which costs time and drives the
 * old-space collections of a process with many shards.
 */
export const PAGE_BUFFER_BYTES_MIN = 4 * 1024;

export class SlabArena {
  /** The pages, three views each: bytes, 32-bit words and 64-bit floats over the same buffer. */
  readonly pagesU8: Uint8Array[] = [];
  readonly pagesU32: Uint32Array[] = [];
  readonly pagesF64: Float64Array[] = [];
  /** Head of each class's free list (an address; 0 = empty). */
  private readonly freeHeads = new Uint32Array(SIZE_CLASS_COUNT);
  /** Next free unit in the newest page; PAGE_UNITS when there is no page yet. */
  private bumpUnit = PAGE_UNITS;
  /** Units the newest page's buffer holds (PAGE_UNITS once it is full size; every older page is). */
  private bufferUnits = PAGE_UNITS;
  /** Units carved from each page before the newest (its records end there; the rest is waste). */
  private readonly closedPageUnits: number[] = [];
  private classBytesInUse = 0;
  private pageEndWasteBytes = 0;

  /**
   * Bytes of all pages (what the arena holds from the system, touched or
   * not), counting the newest page at full size although its buffer may
   * still be smaller: the memory accounting stays what it was before pages
   * grew, a bound rather than the exact bytes.
   */
  get pageBytes(): number {
    return this.pagesU8.length * PAGE_BYTES;
  }

  /** Bytes of live records, rounded to their classes. */
  get recordBytes(): number {
    return this.classBytesInUse;
  }

  /** Bytes lost at the ends of full pages. */
  get wasteBytes(): number {
    return this.pageEndWasteBytes;
  }

  get pageCount(): number {
    return this.pagesU8.length;
  }

  /**
   * Units carved into records (live or free) from page `page`: records tile
   * [first unit, this) with no gaps, so a walk in address order can step
   * from one record to the next by their sizes (store-capture.ts).
   */
  unitsCarvedOf(page: number): number {
    assert(page >= 0 && page < this.pagesU8.length, 'no such page');
    return page === this.pagesU8.length - 1 ? this.bumpUnit : this.closedPageUnits[page]!;
  }

  /** A record of at least `bytes` bytes (its contents are whatever was there); returns its address. */
  alloc(bytes: number): number {
    const cls = sizeClassOf(bytes);
    const classBytes = SIZE_CLASS_BYTES[cls]!;
    this.classBytesInUse += classBytes;
    const head = this.freeHeads[cls]!;
    if (head !== 0) {
      this.freeHeads[cls] = this.pagesU32[head >>> 17]![(head & (PAGE_UNITS - 1)) * 2]!;
      return head;
    }
    const units = classBytes / RECORD_ALIGN_BYTES;
    if (this.bumpUnit + units > PAGE_UNITS) this.addPage();
    if (this.bumpUnit + units > this.bufferUnits) this.growNewestPage(this.bumpUnit + units);
    const addr = (this.pagesU8.length - 1) * PAGE_UNITS + this.bumpUnit;
    this.bumpUnit += units;
    return addr;
  }

  /** Give back the record at `addr`, allocated for `bytes` bytes (the same count alloc was given, or one of its class). */
  free(addr: number, bytes: number): void {
    assert(addr > 0 && (addr >>> 17) < this.pagesU8.length, 'freeing an address outside the arena');
    const cls = sizeClassOf(bytes);
    this.classBytesInUse -= SIZE_CLASS_BYTES[cls]!;
    assert(this.classBytesInUse >= 0, 'freed more than was allocated');
    this.pagesU32[addr >>> 17]![(addr & (PAGE_UNITS - 1)) * 2] = this.freeHeads[cls]!;
    this.freeHeads[cls] = addr;
  }

  private addPage(): void {
    assert(this.pagesU8.length < PAGES_MAX, 'slab arena is out of addresses');
    if (this.pagesU8.length > 0) {
      this.pageEndWasteBytes += (PAGE_UNITS - this.bumpUnit) * RECORD_ALIGN_BYTES;
      this.closedPageUnits.push(this.bumpUnit);
    }
    const buffer = new ArrayBuffer(PAGE_BUFFER_BYTES_MIN);
    this.pagesU8.push(new Uint8Array(buffer));
    this.pagesU32.push(new Uint32Array(buffer));
    this.pagesF64.push(new Float64Array(buffer));
    this.bufferUnits = PAGE_BUFFER_BYTES_MIN / RECORD_ALIGN_BYTES;
    this.bumpUnit = pageFirstUnit(this.pagesU8.length - 1);
  }

  /**
   * Doubles the newest page's buffer until it holds `unitsNeeded` units; the
   * records move with their bytes and keep their addresses. Callers look a
   * page's views up per access (pagesU8[addr >>> 17]), never across an alloc.
   */
  private growNewestPage(unitsNeeded: number): void {
    assert(unitsNeeded <= PAGE_UNITS, 'a page grows to PAGE_BYTES at most');
    let units = this.bufferUnits;
    while (units < unitsNeeded) units *= 2;
    const page = this.pagesU8.length - 1;
    const buffer = new ArrayBuffer(units * RECORD_ALIGN_BYTES);
    const bytes = new Uint8Array(buffer);
    bytes.set(this.pagesU8[page]!);
    this.pagesU8[page] = bytes;
    this.pagesU32[page] = new Uint32Array(buffer);
    this.pagesF64[page] = new Float64Array(buffer);
    this.bufferUnits = units;
  }
}

/** The unit a page's first record starts at: unit 0 of page 0 is never used, so that address 0 means "none". */
export function pageFirstUnit(page: number): number {
  return page === 0 ? 1 : 0;
}

// Address arithmetic above uses `>>> 17` and `& (PAGE_UNITS - 1)` for speed.
assert(PAGE_UNITS === 1 << 17, 'address arithmetic assumes 2^17 units per page');
// Doubling from the first buffer size lands exactly on a full page.
assert(PAGE_BYTES % PAGE_BUFFER_BYTES_MIN === 0 && Number.isInteger(Math.log2(PAGE_BYTES / PAGE_BUFFER_BYTES_MIN)), 'page buffers double up to PAGE_BYTES');

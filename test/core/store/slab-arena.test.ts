// The slab arena and its size classes (core/store/slab-arena.ts,
// size-classes.ts): classes cover every record size with bounded rounding;
// random alloc/free sequences never hand out overlapping live records (each
// live record is filled with its own pattern and all are checked after every
// step); freed records are reused before new space is cut; the accounting
// adds up.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PAGE_BUFFER_BYTES_MIN, PAGE_BYTES, PAGE_UNITS, SlabArena } from '../../../core/store/slab-arena.js';
import {
  RECORD_BYTES_MAX, RECORD_BYTES_MIN, SIZE_CLASS_BYTES, SIZE_CLASS_COUNT, sizeClassOf,
} from '../../../core/store/size-classes.js';

function fill(arena: SlabArena, addr: number, bytes: number, tag: number): void {
  const page = arena.pagesU8[addr >>> 17]!;
  const start = (addr & (PAGE_UNITS - 1)) * 8;
  for (let i = 0; i < bytes; i++) page[start + i] = (tag + i) & 0xff;
}

function intact(arena: SlabArena, addr: number, bytes: number, tag: number): boolean {
  const page = arena.pagesU8[addr >>> 17]!;
  const start = (addr & (PAGE_UNITS - 1)) * 8;
  for (let i = 0; i < bytes; i++) if (page[start + i] !== ((tag + i) & 0xff)) return false;
  return true;
}

describe('size classes', () => {
  it('give every size a class at least as large, within 25% (or 8 bytes) of it', () => {
    for (let bytes = 1; bytes <= RECORD_BYTES_MAX; bytes++) {
      const cls = sizeClassOf(bytes);
      const size = SIZE_CLASS_BYTES[cls]!;
      expect(size).toBeGreaterThanOrEqual(bytes);
      if (cls > 0) expect(SIZE_CLASS_BYTES[cls - 1]!).toBeLessThan(bytes);
      expect(size - Math.max(bytes, RECORD_BYTES_MIN)).toBeLessThanOrEqual(Math.max(7, bytes / 4));
    }
    expect(sizeClassOf(128)).toBe(sizeClassOf(121));
    expect(SIZE_CLASS_BYTES[sizeClassOf(128)]).toBe(128);
    expect(SIZE_CLASS_COUNT).toBeLessThan(255);
  });

  it('refuse sizes outside 1..RECORD_BYTES_MAX', () => {
    expect(() => sizeClassOf(0)).toThrow(/outside/);
    expect(() => sizeClassOf(RECORD_BYTES_MAX + 1)).toThrow(/outside/);
  });
});

describe('slab arena', () => {
  it('never hands out overlapping live records, under random alloc/free', () => {
    const arbSize = fc.oneof(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 301, max: RECORD_BYTES_MAX }));
    const arbOp = fc.oneof(
      { weight: 3, arbitrary: arbSize.map((bytes) => ({ alloc: bytes })) },
      { weight: 2, arbitrary: fc.nat().map((pick) => ({ free: pick })) },
    );
    fc.assert(fc.property(fc.array(arbOp, { maxLength: 300 }), (ops) => {
      const arena = new SlabArena();
      const live: { addr: number; bytes: number; tag: number }[] = [];
      let tag = 0;
      for (const op of ops) {
        if ('alloc' in op) {
          const addr = arena.alloc(op.alloc);
          expect(addr).toBeGreaterThan(0);
          // A record never crosses its page's end.
          expect((addr & (PAGE_UNITS - 1)) * 8 + SIZE_CLASS_BYTES[sizeClassOf(op.alloc)]!).toBeLessThanOrEqual(PAGE_BYTES);
          fill(arena, addr, op.alloc, ++tag);
          live.push({ addr, bytes: op.alloc, tag });
        } else if (live.length > 0) {
          const [gone] = live.splice(op.free % live.length, 1);
          arena.free(gone!.addr, gone!.bytes);
        }
        for (const r of live) expect(intact(arena, r.addr, r.bytes, r.tag)).toBe(true);
        expect(arena.recordBytes).toBe(live.reduce((sum, r) => sum + SIZE_CLASS_BYTES[sizeClassOf(r.bytes)]!, 0));
      }
    }), { numRuns: 200 });
  });

  it('reuses freed records of a class before cutting new space', () => {
    const arena = new SlabArena();
    const sizes = Array.from({ length: 5000 }, (_, i) => 16 + ((i * 97) % 900));
    const first = sizes.map((bytes) => arena.alloc(bytes));
    const pages = arena.pageBytes;
    expect(pages).toBeGreaterThan(PAGE_BYTES); // more than one page, so reuse is visible in pageBytes
    first.forEach((addr, i) => arena.free(addr, sizes[i]!));
    expect(arena.recordBytes).toBe(0);
    const second = sizes.map((bytes) => arena.alloc(bytes));
    expect(arena.pageBytes).toBe(pages);
    expect(new Set(second)).toEqual(new Set(first));
  });

  it('counts the space left at the end of a full page as waste', () => {
    const arena = new SlabArena();
    const big = RECORD_BYTES_MAX;
    const perPage = Math.floor((PAGE_BYTES - 8) / big);
    for (let i = 0; i <= perPage; i++) arena.alloc(big);
    expect(arena.pageBytes).toBe(2 * PAGE_BYTES);
    expect(arena.wasteBytes).toBe(PAGE_BYTES - 8 - perPage * big);
  });

  it('starts a page with a small buffer and doubles it as records fill it, keeping their bytes and addresses', () => {
    const arena = new SlabArena();
    const first = arena.alloc(64);
    fill(arena, first, 64, 7);
    expect(arena.pagesU8[0]!.length).toBe(PAGE_BUFFER_BYTES_MIN);
    expect(arena.pageBytes).toBe(PAGE_BYTES); // accounted at full size, as before pages grew
    const records = [{ addr: first, tag: 7 }];
    // Fill page 0 and start page 1: every record carved stays intact through each doubling.
    while (arena.pageCount < 2) {
      const addr = arena.alloc(4096);
      fill(arena, addr, 4096, records.length);
      records.push({ addr, tag: records.length });
    }
    expect(arena.pagesU8[0]!.length).toBe(PAGE_BYTES);
    expect(arena.pagesU32[0]!.buffer).toBe(arena.pagesU8[0]!.buffer);
    expect(arena.pagesF64[0]!.buffer).toBe(arena.pagesU8[0]!.buffer);
    expect(arena.pagesU8[1]!.length).toBe(PAGE_BUFFER_BYTES_MIN);
    expect(intact(arena, first, 64, 7)).toBe(true);
    for (const r of records.slice(1)) expect(intact(arena, r.addr, 4096, r.tag)).toBe(true);
  });
});

// SCAN over the shard store (core/store/store.ts, hash-index.ts,
// scan-cursor.ts): a key present for the whole scan is returned at least
// once, whatever happens between pages (inserts that grow the index, deletes
// that shrink it, rehash steps, deletes of other keys), with weak hashes that
// make long probe runs; every returned key was stored when its page was taken;
// the scan ends (cursor back to 0) within as many calls as the largest table
// had slots. And the same operations give the same pages (determinism).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { reverseBits32, scanCursorNext } from '../../../core/store/scan-cursor.js';
import type { ShardStore } from '../../../core/store/store.js';
import { keyBytes, latin1, tinyStore, valueBytes, weakHash } from './store-helpers.js';

describe('reverse-binary cursor', () => {
  it('reverses bits', () => {
    expect(reverseBits32(1)).toBe(0x80000000);
    expect(reverseBits32(0x80000000)).toBe(1);
    expect(reverseBits32(0x0000ff01)).toBe(0x80ff0000);
    fc.assert(fc.property(fc.nat({ max: 0xffffffff }), (v) => reverseBits32(reverseBits32(v)) === v));
  });

  it('visits every bucket of a table exactly once, then returns 0', () => {
    for (const slots of [2, 4, 8, 64, 1024]) {
      const seen = new Set<number>();
      let cursor = 0;
      do {
        seen.add(cursor & (slots - 1));
        cursor = scanCursorNext(cursor, slots - 1);
      } while (cursor !== 0 && seen.size <= slots);
      expect(cursor).toBe(0);
      expect(seen.size).toBe(slots);
    }
  });
});

type Between =
  | { kind: 'insert'; count: number }
  | { kind: 'deleteVolatile'; count: number }
  | { kind: 'step'; moves: number };

const arbBetween: fc.Arbitrary<Between> = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), count: fc.integer({ min: 1, max: 120 }) }),
  fc.record({ kind: fc.constant('deleteVolatile' as const), count: fc.integer({ min: 1, max: 200 }) }),
  fc.record({ kind: fc.constant('step' as const), moves: fc.integer({ min: 1, max: 50 }) }),
);

interface ScanCase {
  hashDistinct: number | null;
  stable: number;
  volatile: number;
  between: Between[];
  counts: number[];
}

const arbCase: fc.Arbitrary<ScanCase> = fc.record({
  hashDistinct: fc.constantFrom(null, null, 2, 5, 40),
  stable: fc.integer({ min: 0, max: 40 }),
  volatile: fc.integer({ min: 0, max: 300 }),
  between: fc.array(arbBetween, { maxLength: 40 }),
  counts: fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 10 }),
});

/** Runs a scan with the case's disturbances between pages; returns the pages (as key strings) and checks the properties. */
function scanCase(c: ScanCase): string[][] {
  const store = tinyStore(c.hashDistinct === null ? undefined : weakHash(c.hashDistinct));
  let version = 0;
  let nextId = 0;
  const stored = new Map<string, Uint8Array>();
  const put = (): string => {
    const id = nextId++;
    const key = keyBytes(id, 2 + (id % 7));
    store.set(key, valueBytes(++version, id % 50), version, 0);
    stored.set(latin1(key), key);
    return latin1(key);
  };
  const stable = new Set<string>();
  for (let i = 0; i < c.stable; i++) stable.add(put());
  const volatile: string[] = [];
  for (let i = 0; i < c.volatile; i++) volatile.push(put());
  // Interleave so that stable keys are not all in the first records.
  const pages: string[][] = [];
  const returned = new Set<string>();
  let slotsMax = store.indexSlots;
  let cursor = 0;
  let calls = 0;
  do {
    const page: number[] = [];
    cursor = store.scan(cursor, c.counts[calls % c.counts.length]!, page);
    const keys = page.map((h) => latin1(store.keyOf(h)));
    for (const k of keys) {
      expect(stored.has(k), 'scan returned a key that is not stored').toBe(true);
      returned.add(k);
    }
    pages.push(keys);
    const action = c.between[calls];
    calls++;
    if (action?.kind === 'insert') for (let i = 0; i < action.count; i++) volatile.push(put());
    if (action?.kind === 'deleteVolatile') {
      for (let i = 0; i < action.count && volatile.length > 0; i++) {
        const k = volatile.splice((i * 7919) % volatile.length, 1)[0]!;
        expect(store.delete(stored.get(k)!)).toBe(true);
        stored.delete(k);
      }
    }
    if (action?.kind === 'step') store.step(action.moves);
    slotsMax = Math.max(slotsMax, store.indexSlots);
    expect(calls, 'scan did not end within the largest table size').toBeLessThanOrEqual(slotsMax);
  } while (cursor !== 0);
  for (const k of stable) expect(returned.has(k), 'a key present for the whole scan was missed').toBe(true);
  return pages;
}

describe('scan', () => {
  it('returns every key present for the whole scan, across resizes, and ends', () => {
    fc.assert(fc.property(arbCase, (c) => { scanCase(c); }), { numRuns: 300 });
  });

  it('returns each key exactly once when nothing changes', () => {
    const store = tinyStore(weakHash(50));
    for (let id = 0; id < 500; id++) store.set(keyBytes(id, 4), valueBytes(id + 1, 3), id + 1, 0);
    const seen: string[] = [];
    let cursor = 0;
    do {
      const page: number[] = [];
      cursor = store.scan(cursor, 7, page);
      seen.push(...page.map((h) => latin1(store.keyOf(h))));
    } while (cursor !== 0);
    expect(seen.length).toBe(500);
    expect(new Set(seen).size).toBe(500);
  });

  it('does O(page) work: a page over a sparse table stops after a bounded number of buckets', () => {
    const store = tinyStore(undefined, 1 << 16);
    store.set(keyBytes(1, 4), valueBytes(1, 3), 1, 0);
    const page: number[] = [];
    const next = store.scan(0, 5, page);
    expect(next).not.toBe(0);
    expect(page.length).toBeLessThanOrEqual(1);
  });

  it('gives the same pages for the same operations (determinism)', () => {
    fc.assert(fc.property(arbCase, (c) => {
      expect(scanCase(c)).toEqual(scanCase(c));
    }), { numRuns: 60 });
  });

  it('iterates in the same order for the same operations', () => {
    const order = (): string[] => {
      const store: ShardStore = tinyStore();
      for (let id = 0; id < 400; id++) store.set(keyBytes(id, 6), valueBytes(id + 1, 9), id + 1, 0);
      for (let id = 0; id < 400; id += 3) store.delete(keyBytes(id, 6));
      const keys: string[] = [];
      store.forEach((h) => keys.push(latin1(store.keyOf(h))));
      return keys;
    };
    const first = order();
    expect(first.length).toBe(400 - 134);
    expect(order()).toEqual(first);
  });
});

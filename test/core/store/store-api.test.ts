// The rest of the shard store's API (core/store/store.ts): RANDOMKEY with an
// injected seeded PRNG (only stored keys, every key reachable, the same seed
// gives the same keys), and memory accounting (usedBytes is the sum of its
// parts, grows with keys, and a million-key-scale fill costs close to the
// record bytes plus the index).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Random } from '../../../core/random.js';
import { compareBytes } from '../../../core/shard/snapshot.js';
import { VALUE_INLINE_BYTES_MAX } from '../../../core/store/record-layout.js';
import { PAGE_BYTES } from '../../../core/store/slab-arena.js';
import { keyBytes, latin1, tinyStore, valueBytes } from './store-helpers.js';

describe('randomKey', () => {
  it('is -1 on an empty store', () => {
    expect(tinyStore().randomKey(Random.fromSeed(1))).toBe(-1);
  });

  it('picks stored keys, reaches all of them, and repeats for the same seed (also mid-resize)', () => {
    const store = tinyStore();
    const names = new Set<string>();
    for (let id = 0; id < 100; id++) {
      store.set(keyBytes(id, 4), valueBytes(id + 1, 4), id + 1, 0);
      names.add(latin1(keyBytes(id, 4)));
    }
    const draw = (seed: number, n: number): string[] => {
      const random = Random.fromSeed(seed);
      return Array.from({ length: n }, () => latin1(store.keyOf(store.randomKey(random))));
    };
    const picks = draw(7, 5000);
    for (const p of picks) expect(names.has(p)).toBe(true);
    expect(new Set(picks).size).toBe(100);
    expect(draw(7, 50)).toEqual(picks.slice(0, 50));
    // Grow past a resize and draw while both tables hold keys.
    let id = 100;
    while (!store.isRehashing) store.set(keyBytes(id, 4), valueBytes(id + 1, 4), ++id, 0);
    const random = Random.fromSeed(3);
    for (let i = 0; i < 200; i++) expect(store.lookup(store.keyOf(store.randomKey(random)))).toBeGreaterThan(0);
  });
});

describe('key order and prefix without a view', () => {
  it('agree with comparing the key bytes', () => {
    const arbBytes = fc.uint8Array({ maxLength: 6 }).map((a) => a.map((x) => x % 3));
    fc.assert(fc.property(arbBytes, arbBytes, fc.boolean(), (key, other, withExpiry) => {
      const store = tinyStore();
      const h = store.set(key, valueBytes(1, 3), 1, withExpiry ? 5 : 0);
      expect(Math.sign(store.compareKey(h, other))).toBe(Math.sign(compareBytes(key, other)));
      expect(store.keyHasPrefix(h, other)).toBe(other.length <= key.length && other.every((x, i) => key[i] === x));
    }), { numRuns: 300 });
  });
});

describe('memory accounting', () => {
  it('usedBytes is the sum of index, pages, large values and expiry index', () => {
    const store = tinyStore();
    const empty = store.memory();
    expect(empty.usedBytes).toBe(store.usedBytes);
    for (let id = 0; id < 1000; id++) store.set(keyBytes(id, 8), valueBytes(id + 1, 100), id + 1, id % 2 === 0 ? 99 : 0);
    store.set(keyBytes(5000, 8), valueBytes(1, VALUE_INLINE_BYTES_MAX + 1), 1001, 0);
    const m = store.memory();
    expect(m.usedBytes).toBe(m.indexBytes + m.pageBytes + m.largeValueBytes + m.expiryIndexBytes);
    expect(m.usedBytes).toBe(store.usedBytes);
    expect(m.largeValueBytes).toBe(VALUE_INLINE_BYTES_MAX + 1);
    // 500 records of 15 + 8 + 100 = 123 -> 128 bytes, 500 of 28 + 8 + 100 = 136 bytes, and the large value's record.
    expect(m.recordBytes).toBe(500 * 128 + 500 * 136 + 24);
    expect(m.pageBytes).toBe(PAGE_BYTES);
    expect(m.expiryIndexBytes).toBeGreaterThanOrEqual(500 * 4);
    store.delete(keyBytes(5000, 8));
    expect(store.memory().largeValueBytes).toBe(0);
  });

  it('costs about the record plus 5-10 bytes of index per key (no per-key objects)', () => {
    const store = tinyStore();
    const n = 50_000;
    for (let id = 0; id < n; id++) store.set(keyBytes(id, 13), valueBytes(id + 1, 100), id + 1, 0);
    // Mid-resize both tables exist; finish it (as idle ticks would) to see the steady state.
    while (store.step(1000));
    const m = store.memory();
    expect(m.recordBytes / n).toBe(128);
    expect(m.indexBytes / n).toBeLessThanOrEqual(2 * 5 * 1.34);
    // Beyond the records and the index: only the unused part of the newest page.
    expect(store.usedBytes - m.recordBytes - m.indexBytes - m.expiryIndexBytes).toBeLessThan(PAGE_BYTES);
  });
});

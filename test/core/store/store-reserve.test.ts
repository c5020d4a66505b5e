// A store sized ahead for N keys (ShardStore.reserve, what a snapshot
// restore does with the snapshot's count): it holds and finds all N without
// resizing, grows past N as any store does (collisions included), shrinks
// back when its keys go, and a SCAN over it still returns every key.

import { describe, expect, it } from 'vitest';
import { HashIndex, INDEX_SLOTS_MAX } from '../../../core/store/hash-index.js';
import { expectStoreMatches, keyBytes, latin1, tinyStore, valueBytes, weakHash, type StoreModel } from './store-helpers.js';

function fill(model: StoreModel, store: ReturnType<typeof tinyStore>, from: number, to: number): void {
  for (let id = from; id < to; id++) {
    const key = keyBytes(id, 3 + (id % 5));
    const value = valueBytes(id + 1, id % 40);
    store.set(key, value, id + 1, 0);
    model.set(latin1(key), { value, version: id + 1, expireAtMs: 0 });
  }
}

describe('HashIndex.slotsFor', () => {
  it('is the smallest power of two, at least the minimum, that holds the keys at load 3/4', () => {
    expect(HashIndex.slotsFor(0, 64)).toBe(64);
    expect(HashIndex.slotsFor(48, 64)).toBe(64);
    expect(HashIndex.slotsFor(49, 64)).toBe(128);
    expect(HashIndex.slotsFor(786_432, 4)).toBe(1 << 20);
    expect(HashIndex.slotsFor(786_433, 4)).toBe(1 << 21);
    expect(HashIndex.slotsFor((INDEX_SLOTS_MAX / 4) * 3, 64)).toBe(INDEX_SLOTS_MAX);
    expect(() => HashIndex.slotsFor((INDEX_SLOTS_MAX / 4) * 3 + 1, 64)).toThrow();
  });
});

describe('ShardStore.reserve', () => {
  it('holds and finds every reserved key without ever resizing', () => {
    const store = tinyStore();
    store.reserve(3000);
    const slots = store.indexSlots;
    expect(slots).toBe(4096);
    const model: StoreModel = new Map();
    for (let id = 0; id < 3000; id++) {
      fill(model, store, id, id + 1);
      expect(store.isRehashing).toBe(false);
    }
    expect(store.indexSlots).toBe(slots);
    expectStoreMatches(store, model);
  });

  it('grows past the reserved count, and shrinks back as keys leave, with colliding hashes too', () => {
    for (const hash of [undefined, weakHash(97)]) {
      const store = tinyStore(hash);
      store.reserve(100);
      const model: StoreModel = new Map();
      fill(model, store, 0, 1000);
      while (store.step(64)) { /* finish the resize */ }
      expect(store.indexSlots).toBeGreaterThanOrEqual(2048);
      expectStoreMatches(store, model);
      for (let id = 0; id < 990; id++) {
        const key = keyBytes(id, 3 + (id % 5));
        expect(store.delete(key)).toBe(true);
        model.delete(latin1(key));
      }
      while (store.step(64)) { /* finish the shrink */ }
      expect(store.indexSlots).toBeLessThanOrEqual(64);
      expectStoreMatches(store, model);
    }
  });

  it('scans every key of a reserved store once per bucket walk', () => {
    const store = tinyStore(weakHash(211));
    store.reserve(500);
    const model: StoreModel = new Map();
    fill(model, store, 0, 500);
    const seen = new Set<string>();
    const page: number[] = [];
    let cursor = 0;
    do {
      page.length = 0;
      cursor = store.scan(cursor, 10, page);
      for (const h of page) seen.add(latin1(store.keyOf(h)));
    } while (cursor !== 0);
    expect(seen).toEqual(new Set(model.keys()));
  });

  it('is refused on a store that holds keys', () => {
    const store = tinyStore();
    store.set(keyBytes(1, 4), valueBytes(1, 4), 1, 0);
    expect(() => store.reserve(10)).toThrow(/empty store/);
  });
});

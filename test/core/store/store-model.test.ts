// Model-based test of the shard store (core/store/store.ts) against a plain
// Map: random insert / replace / delete / lookup / step sequences over a
// small key space, with a weak injected hash (so keys collide and probe runs
// are long) and a tiny minimum table (so the index grows and shrinks, and
// resizes are often in flight, mid-sequence). Values of many sizes, inline
// and large, are freed and reused: after every step every stored value is
// checked byte for byte, so a record overlapping another shows up at once.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeLimits } from '../../../core/limits.js';
import { STORE_KEY_BYTES_MAX, VALUE_INLINE_BYTES_MAX } from '../../../core/store/record-layout.js';
import { ShardStore } from '../../../core/store/store.js';
import {
  expectStoreMatches, keyBytes, latin1, tinyStore, valueBytes, weakHash, type StoreModel,
} from './store-helpers.js';

type Op =
  | { kind: 'set'; id: number; keyLength: number; valueLength: number; expireAtMs: number }
  | { kind: 'delete'; id: number; keyLength: number }
  | { kind: 'deleteMany'; fromId: number }
  | { kind: 'lookup'; id: number; keyLength: number }
  | { kind: 'step'; moves: number };

const KEY_IDS = 48;
const arbKeyLength = fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 4, max: 40 }), fc.constant(300));
const arbValueLength = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 120 }) },
  { weight: 2, arbitrary: fc.integer({ min: 121, max: 2000 }) },
  { weight: 1, arbitrary: fc.integer({ min: VALUE_INLINE_BYTES_MAX - 2, max: VALUE_INLINE_BYTES_MAX + 300 }) },
);
const arbOp: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({
    kind: fc.constant('set' as const), id: fc.nat(KEY_IDS - 1), keyLength: arbKeyLength, valueLength: arbValueLength,
    expireAtMs: fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 1, max: 2 ** 53 - 1 })),
  }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('delete' as const), id: fc.nat(KEY_IDS - 1), keyLength: arbKeyLength }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteMany' as const), fromId: fc.nat(KEY_IDS - 1) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('lookup' as const), id: fc.nat(KEY_IDS - 1), keyLength: arbKeyLength }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('step' as const), moves: fc.integer({ min: 1, max: 64 }) }) },
);

/** Apply one op to store and model; returns whether a resize was under way after it. */
function run(store: ShardStore, model: StoreModel, op: Op, version: number): void {
  switch (op.kind) {
    case 'set': {
      const key = keyBytes(op.id, op.keyLength);
      const value = valueBytes(version, op.valueLength);
      const h = store.set(key, value, version, op.expireAtMs);
      expect(store.lookup(key)).toBe(h);
      model.set(latin1(key), { value, version, expireAtMs: op.expireAtMs });
      return;
    }
    case 'delete': {
      const key = keyBytes(op.id, op.keyLength);
      expect(store.delete(key)).toBe(model.delete(latin1(key)));
      expect(store.lookup(key)).toBe(-1);
      return;
    }
    case 'deleteMany': {
      // Empty most of the store at once, so the index shrinks.
      for (const k of [...model.keys()]) {
        if (k.length > 0 && (k.charCodeAt(0) % KEY_IDS) < op.fromId) continue;
        expect(store.delete(Uint8Array.from(k, (c) => c.charCodeAt(0)))).toBe(true);
        model.delete(k);
      }
      return;
    }
    case 'lookup': {
      const key = keyBytes(op.id, op.keyLength);
      expect(store.lookup(key) > 0).toBe(model.has(latin1(key)));
      return;
    }
    case 'step':
      store.step(op.moves);
      return;
  }
}

function check(hashDistinct: number | null, ops: Op[]): void {
  const store = tinyStore(hashDistinct === null ? undefined : weakHash(hashDistinct));
  const model: StoreModel = new Map();
  let version = 0;
  for (const op of ops) {
    run(store, model, op, ++version);
    expectStoreMatches(store, model);
  }
}

describe('shard store against a Map model', () => {
  it('agrees with the default hash', () => {
    fc.assert(fc.property(fc.array(arbOp, { maxLength: 150 }), (ops) => check(null, ops)), { numRuns: 150 });
  });

  it('agrees when most keys collide (weak hash, 3 and 17 distinct hashes)', () => {
    fc.assert(fc.property(fc.constantFrom(1, 3, 17), fc.array(arbOp, { maxLength: 150 }), check), { numRuns: 150 });
  });

  it('grows and shrinks through many resizes, reusing freed records', () => {
    const store = tinyStore(weakHash(1000));
    const model: StoreModel = new Map();
    let version = 0;
    let resizesSeen = 0;
    let wasRehashing = false;
    for (let round = 0; round < 4; round++) {
      for (let id = 0; id < 300; id++) run(store, model, { kind: 'set', id, keyLength: 2 + (id % 9), valueLength: (id * 37) % 300, expireAtMs: id % 3 === 0 ? 1000 + id : 0 }, ++version);
      expect(store.indexSlots).toBeGreaterThanOrEqual(512);
      const pagesAfterFill = store.memory().pageBytes;
      for (let id = 0; id < 300; id++) {
        run(store, model, { kind: 'delete', id, keyLength: 2 + (id % 9) }, ++version);
        if (store.isRehashing !== wasRehashing) resizesSeen++;
        wasRehashing = store.isRehashing;
        if (id % 50 === 0) expectStoreMatches(store, model);
      }
      while (store.step(64));
      expect(store.indexSlots).toBeLessThanOrEqual(16);
      expectStoreMatches(store, model);
      // Freed records are reused: refilling with the same sizes takes no new page.
      if (round > 0) expect(store.memory().pageBytes).toBe(pagesAfterFill);
    }
    expect(resizesSeen).toBeGreaterThan(4);
    expect(store.memory().recordBytes).toBe(0);
  });

  it('clear() empties the store and it works afterwards', () => {
    const store = tinyStore();
    for (let id = 0; id < 100; id++) store.set(keyBytes(id, 5), valueBytes(id + 1, 50), id + 1, id % 2 === 0 ? 5 : 0);
    store.clear();
    expectStoreMatches(store, new Map());
    expect(store.memory().recordBytes).toBe(0);
    store.set(keyBytes(1, 5), valueBytes(9, 5), 9, 0);
    expect(store.count).toBe(1);
  });

  it('replacing a value with a view of itself keeps it (in place and when the record moves)', () => {
    const store = tinyStore();
    const key = keyBytes(3, 10);
    let h = store.set(key, valueBytes(1, 100), 1, 0);
    h = store.set(store.keyOf(h), store.valueOf(h), 2, 0);
    expect(store.valueOf(h)).toEqual(valueBytes(1, 100));
    // Adding an expiry changes the record's shape: it moves, copying from its old self.
    h = store.set(store.keyOf(h), store.valueOf(h), 3, 77);
    expect(store.valueOf(h)).toEqual(valueBytes(1, 100));
    expect(store.keyOf(h)).toEqual(key);
    expect(store.expireAtOf(h)).toBe(77);
    const big = valueBytes(4, VALUE_INLINE_BYTES_MAX + 10);
    h = store.set(key, big, 4, 0);
    h = store.set(key, store.valueOf(h), 5, 0);
    expect(store.valueOf(h)).toEqual(big);
    expect(store.versionOf(h)).toBe(5);
  });

  it('refuses keys and values over its limits (assertions: the shard validates first)', () => {
    const store = tinyStore();
    expect(() => store.set(new Uint8Array(1025), new Uint8Array(1), 1, 0)).toThrow(/key over the key limit/);
    expect(() => store.set(new Uint8Array(1), new Uint8Array(64 * 1024 + 1), 1, 0)).toThrow(/value over the value limit/);
    expect(() => store.set(new Uint8Array(1), new Uint8Array(1), 0, 0)).toThrow(/positive log index/);
    expect(store.count).toBe(0);
  });

  it('keyBytesMax is checked at load against what a record can hold', () => {
    expect(() => makeLimits({ keyBytesMax: STORE_KEY_BYTES_MAX + 1 })).toThrow(/keyBytesMax must be at most/);
    const limits = makeLimits({ keyBytesMax: STORE_KEY_BYTES_MAX });
    const store = new ShardStore({ keyBytesMax: limits.keyBytesMax, valueBytesMax: limits.valueBytesMax });
    const key = new Uint8Array(STORE_KEY_BYTES_MAX).fill(7);
    const big = new Uint8Array(VALUE_INLINE_BYTES_MAX + 1).fill(9);
    const h = store.set(key, big, 1, 1234);
    expect(store.keyOf(h)).toEqual(key);
    expect(store.valueOf(h)).toEqual(big);
    expect(store.expireAtOf(h)).toBe(1234);
  });
});

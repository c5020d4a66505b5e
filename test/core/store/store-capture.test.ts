// The store's capture (core/store/store-capture.ts) and the order-free
// content digest (content-digest.ts). A capture begun at version V, stepped
// with small budgets while random sets (inline, large, with and without
// expiry), deletes, rehash steps and clears go on between steps (tiny index
// and weak hashes, so resizes are in flight and probe runs long), emits
// exactly the entries of a Map model frozen at V: each key once, with V's
// value, version and expiry. The pre-images it emits stay within the bytes
// the writes during the capture replaced. Equal contents reached by other
// histories (orders, extra keys, resizes) give equal digests.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VALUE_INLINE_BYTES_MAX } from '../../../core/store/record-layout.js';
import type { ShardStore } from '../../../core/store/store.js';
import { keyBytes, latin1, tinyStore, valueBytes, weakHash, type ModelEntry, type StoreModel } from './store-helpers.js';

type Op =
  | { kind: 'set'; id: number; valueLength: number; expireAtMs: number }
  | { kind: 'delete'; id: number }
  | { kind: 'step'; moves: number }
  | { kind: 'clear' }
  | { kind: 'capture'; budget: number };

const KEY_IDS = 300;
const keyOf = (id: number): Uint8Array => keyBytes(id, 3 + (id % 9));
const arbValueLength = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 120 }) },
  { weight: 1, arbitrary: fc.integer({ min: 121, max: 1500 }) },
  { weight: 1, arbitrary: fc.integer({ min: VALUE_INLINE_BYTES_MAX - 2, max: VALUE_INLINE_BYTES_MAX + 200 }) },
);
const arbWrite: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({
    kind: fc.constant('set' as const), id: fc.nat(KEY_IDS - 1), valueLength: arbValueLength,
    expireAtMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2 ** 53 - 1 })),
  }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('delete' as const), id: fc.nat(KEY_IDS - 1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('step' as const), moves: fc.integer({ min: 1, max: 64 }) }) },
);
const arbDuring: fc.Arbitrary<Op> = fc.oneof(
  { weight: 10, arbitrary: arbWrite },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('capture' as const), budget: fc.integer({ min: 1, max: 600 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
);

function apply(store: ShardStore, model: StoreModel, op: Op, version: number): void {
  switch (op.kind) {
    case 'set': {
      const key = keyOf(op.id);
      const value = valueBytes(version, op.valueLength);
      store.set(key, value, version, op.expireAtMs);
      model.set(latin1(key), { value, version, expireAtMs: op.expireAtMs });
      return;
    }
    case 'delete': {
      const key = keyOf(op.id);
      if (store.delete(key) !== model.delete(latin1(key))) throw new Error('delete disagrees with the model');
      return;
    }
    case 'step': store.step(op.moves); return;
    case 'clear': store.clear(); model.clear(); return;
    case 'capture': return;
    default: throw new Error('unknown op');
  }
}

/** What a capture emitted, by key; a key emitted twice fails the test. */
function collector(): { entries: StoreModel; sink: Parameters<ShardStore['beginCapture']>[1] } {
  const entries: StoreModel = new Map();
  return {
    entries,
    sink: (k, ks, kl, v, vs, vl, version, expireAtMs) => {
      const key = latin1(k.subarray(ks, ks + kl));
      if (entries.has(key)) throw new Error(`key ${JSON.stringify(key)} emitted twice`);
      entries.set(key, { value: v.slice(vs, vs + vl), version, expireAtMs });
    },
  };
}

/** The model as one sorted list of strings (fast to compare, readable when it differs). */
function plainModel(model: StoreModel): string[] {
  const line = (k: string, e: ModelEntry): string => `${JSON.stringify(k)} v${e.version} x${e.expireAtMs} ${latin1(e.value)}`;
  return [...model].map(([k, e]) => line(k, e)).sort();
}

/** An order-free digest computed from scratch: the model's entries inserted, in the given order, into a fresh store. */
function digestOf(model: StoreModel, reverse: boolean): [number, number] {
  const store = tinyStore();
  const entries = [...model];
  if (reverse) entries.reverse();
  for (const [k, e] of entries) store.set(Uint8Array.from(k, (c) => c.charCodeAt(0)), e.value, e.version, e.expireAtMs);
  return lanes(store);
}

function lanes(store: ShardStore): [number, number] {
  const digest = store.contentDigest();
  return [digest.lo, digest.hi];
}

describe('store capture', () => {
  it('emits exactly the entries at its version while writes, resizes and clears go on between steps', () => {
    let rehashingDuringCapture = 0;
    let preservedAny = 0;
    fc.assert(fc.property(
      fc.array(arbWrite, { maxLength: 300, size: 'max' }), fc.array(arbDuring, { maxLength: 300, size: 'max' }), fc.boolean(),
      (before, during, weak) => {
        const store = tinyStore(weak ? weakHash(7) : undefined, 4);
        const model: StoreModel = new Map();
        let version = 0;
        for (const op of before) apply(store, model, op, ++version);
        const atCapture = new Map(model);
        const { entries, sink } = collector();
        const capture = store.beginCapture(version, sink);
        expect(capture.count).toBe(atCapture.size);
        // The bound on pre-images: each key changed during the capture, once, at its size at the capture's version.
        let preImageBound = 0;
        const changed = new Set<string>();
        let cleared = false;
        for (const op of during) {
          if (op.kind === 'capture') {
            capture.step(op.budget);
            continue;
          }
          if ((op.kind === 'set' || op.kind === 'delete') && !cleared) {
            const k = latin1(keyOf(op.id));
            const old = atCapture.get(k);
            if (!changed.has(k) && old !== undefined) preImageBound += k.length + old.value.length;
            changed.add(k);
          }
          if (op.kind === 'clear') cleared = true;
          apply(store, model, op, ++version);
          if (store.isRehashing) rehashingDuringCapture++;
          if (capture.preservedBytes > preImageBound) throw new Error(`pre-images of ${capture.preservedBytes} bytes, over ${preImageBound}`);
        }
        while (!capture.step(64));
        if (capture.preserved > 0) preservedAny++;
        store.endCapture(capture);
        expect(capture.emitted).toBe(atCapture.size);
        expect(plainModel(entries)).toEqual(plainModel(atCapture));
        expect([capture.digest.lo, capture.digest.hi], 'the digest of what was emitted').toEqual(digestOf(atCapture, true));
        // The store itself is unharmed, and its digest follows its contents.
        expect(lanes(store)).toEqual(digestOf(model, false));
      },
    ), { numRuns: 80 });
    expect(rehashingDuringCapture, 'resizes were under way during captures').toBeGreaterThan(0);
    expect(preservedAny, 'writes reached records before the walk').toBeGreaterThan(0);
  });

  it('a capture of an empty store, and one stepped to the end at once, emit what was there', () => {
    const store = tinyStore();
    const empty = collector();
    const c0 = store.beginCapture(0, empty.sink);
    expect(c0.step(1)).toBe(true);
    store.endCapture(c0);
    expect(empty.entries.size).toBe(0);
    for (let i = 0; i < 500; i++) store.set(keyOf(i % KEY_IDS), valueBytes(i + 1, i % 200), i + 1, 0);
    const all = collector();
    const c1 = store.beginCapture(500, all.sink);
    expect(c1.step(Infinity)).toBe(true);
    store.endCapture(c1);
    expect(all.entries.size).toBe(store.count);
  });

  it('refuses a write at or below a running capture\'s version, and too many captures at once', () => {
    const store = tinyStore();
    store.set(keyOf(1), valueBytes(1, 4), 1, 0);
    const capture = store.beginCapture(1, () => {});
    expect(() => store.set(keyOf(2), valueBytes(1, 4), 1, 0)).toThrow(/while capturing/);
    store.endCapture(capture);
    store.set(keyOf(2), valueBytes(1, 4), 1, 0);
    const many = [0, 1, 2, 3].map(() => store.beginCapture(1, () => {}));
    expect(() => store.beginCapture(1, () => {})).toThrow(/captures at once/);
    for (const c of many) store.endCapture(c);
  });
});

describe('content digest', () => {
  it('equal contents give equal digests whatever the history: order, extra keys since deleted, resizes', () => {
    fc.assert(fc.property(
      fc.uniqueArray(fc.nat(KEY_IDS - 1), { maxLength: 40 }), fc.array(fc.nat(KEY_IDS - 1), { maxLength: 60 }), fc.nat(),
      (ids, extra, seed) => {
        const one = tinyStore();
        const two = tinyStore(weakHash(5), 4);
        const write = (store: ShardStore, id: number): void => { store.set(keyOf(id), valueBytes(id + 1, id * 5), id + 1, id % 3 === 0 ? 0 : id); };
        for (const id of ids) write(one, id);
        // Two: extra keys first (then deleted, shrinking the table), the same keys in another order, one rewritten twice.
        for (const id of extra) if (!ids.includes(id)) two.set(keyOf(id), valueBytes(7, 300), 99, 0);
        const order = ids.slice().sort((a, b) => ((a * 31 + seed) % 97) - ((b * 31 + seed) % 97));
        for (const id of order) {
          two.set(keyOf(id), valueBytes(3, 10), 50, 5);
          write(two, id);
        }
        for (const id of extra) if (!ids.includes(id)) two.delete(keyOf(id));
        expect(lanes(two)).toEqual(lanes(one));
        if (ids.length > 0) {
          two.set(keyOf(ids[0]!), valueBytes(ids[0]! + 1, ids[0]! * 5), ids[0]! + 2, 0); // another version: another digest
          expect(lanes(two)).not.toEqual(lanes(one));
        }
        for (const id of ids) {
          one.delete(keyOf(id));
          two.delete(keyOf(id));
        }
        expect([...lanes(one), ...lanes(two)]).toEqual([0, 0, 0, 0]);
      },
    ), { numRuns: 200 });
  });
});

// Active expiry support in the shard store (core/store/expiry-index.ts via
// store.collectExpired): only keys with an expiry are examined, only due ones
// are reported, none twice in one cycle, the budget holds, the cycle repeats
// while samples are mostly due and stops when they are not, successive cycles
// (with the reported keys deleted, as the log would) remove every due key,
// and the expiry index follows records that move or lose their expiry.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EXPIRY_SAMPLE_KEYS } from '../../../core/store/expiry-index.js';
import { keyBytes, latin1, tinyStore, valueBytes, weakHash } from './store-helpers.js';

describe('collectExpired', () => {
  it('reports due keys only, each once per cycle, within the budget; cycles drain every due key', () => {
    fc.assert(fc.property(
      fc.array(fc.record({ expireAtMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 100 })), valueLength: fc.nat(300) }),
        { maxLength: 300 }),
      fc.integer({ min: 0, max: 110 }),
      fc.integer({ min: 1, max: 64 }),
      (keys, nowMs, budget) => {
        const store = tinyStore(weakHash(97));
        keys.forEach((k, id) => store.set(keyBytes(id, 3), valueBytes(id + 1, k.valueLength), id + 1, k.expireAtMs));
        const due = new Set(keys.flatMap((k, id) => (k.expireAtMs !== 0 && k.expireAtMs <= nowMs ? [latin1(keyBytes(id, 3))] : [])));
        const expiring = keys.filter((k) => k.expireAtMs !== 0).length;
        expect(store.expiringCount).toBe(expiring);
        let cycles = 0;
        while (due.size > 0) {
          const out: number[] = [];
          const examined = store.collectExpired(nowMs, out, budget);
          expect(examined).toBeLessThanOrEqual(Math.min(budget, store.expiringCount));
          const names = out.map((h) => latin1(store.keyOf(h)));
          expect(new Set(names).size).toBe(names.length);
          for (const n of names) expect(due.has(n), 'reported a key that is not due').toBe(true);
          // Remove them as the log would; the next cycle must not see them.
          for (const n of names) {
            expect(store.delete(Uint8Array.from(n, (c) => c.charCodeAt(0)))).toBe(true);
            due.delete(n);
          }
          cycles++;
          // A cycle examines at least min(budget, one sample) keys, and one downward round finds every due key.
          expect(cycles).toBeLessThanOrEqual(Math.ceil(expiring / Math.min(budget, EXPIRY_SAMPLE_KEYS)));
        }
        expect(store.expiringCount).toBe(expiring - keys.filter((k) => k.expireAtMs !== 0 && k.expireAtMs <= nowMs).length);
      },
    ), { numRuns: 200 });
  });

  it('keeps sampling while samples are mostly due, and stops after a sample that is not', () => {
    const store = tinyStore();
    for (let id = 0; id < 200; id++) store.set(keyBytes(id, 4), valueBytes(id + 1, 8), id + 1, 10);
    const out: number[] = [];
    expect(store.collectExpired(50, out, 1000)).toBe(200);
    expect(out.length).toBe(200);
    const fresh = tinyStore();
    for (let id = 0; id < 200; id++) fresh.set(keyBytes(id, 4), valueBytes(id + 1, 8), id + 1, 1000);
    expect(fresh.collectExpired(50, [], 1000)).toBe(EXPIRY_SAMPLE_KEYS);
  });

  it('follows keys whose expiry is set, changed, cleared, or whose record moves', () => {
    const store = tinyStore();
    const key = keyBytes(1, 5);
    store.set(key, valueBytes(1, 10), 1, 0);
    expect(store.expiringCount).toBe(0);
    store.set(key, valueBytes(2, 10), 2, 30);
    store.set(keyBytes(2, 5), valueBytes(3, 10), 3, 40);
    expect(store.expiringCount).toBe(2);
    // A value of another size class moves the record; its expiry entry follows.
    store.set(key, valueBytes(4, 500), 4, 35);
    const out: number[] = [];
    store.collectExpired(36, out, 10);
    expect(out.map((h) => latin1(store.keyOf(h)))).toEqual([latin1(key)]);
    store.set(key, valueBytes(5, 500), 5, 0);
    expect(store.expiringCount).toBe(1);
    expect(store.collectExpired(100, [], 10)).toBe(1);
    store.delete(keyBytes(2, 5));
    expect(store.expiringCount).toBe(0);
  });
});

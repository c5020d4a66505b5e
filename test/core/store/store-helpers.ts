// Helpers for the shard store's tests: store constructors with weak hashes
// (to force collisions and long probe runs), deterministic key and value
// bytes, and a full check of a store against a plain-Map model.

import { expect } from 'vitest';
import type { KeyHash } from '../../../core/store/key-hash.js';
import { ShardStore } from '../../../core/store/store.js';

export interface ModelEntry {
  value: Uint8Array;
  version: number;
  expireAtMs: number;
}

/** The store's reference model: key (latin1 image of the bytes) -> entry. */
export type StoreModel = Map<string, ModelEntry>;

/** A hash with only `distinct` values: most keys collide, runs get long, fingerprints mostly match. */
export function weakHash(distinct: number): KeyHash {
  return (bytes, start, length) => {
    let h = length;
    for (let i = start; i < start + length; i++) h = (h * 31 + bytes[i]!) % distinct;
    // Spread the few values over high and low bits so both home slot and fingerprint collide.
    return (Math.imul(h, 0x9e3779b1) >>> 0);
  };
}

export function tinyStore(keyHash?: KeyHash, indexSlotsMin = 4): ShardStore {
  return new ShardStore({ keyBytesMax: 1024, valueBytesMax: 64 * 1024, indexSlotsMin, ...(keyHash ? { keyHash } : {}) });
}

export function keyBytes(id: number, length: number): Uint8Array {
  const key = new Uint8Array(length);
  for (let i = 0; i < length; i++) key[i] = (id * 7 + i * 13 + (i === 0 ? id : 0)) & 0xff;
  // The id in the first bytes makes keys of equal length distinct.
  if (length >= 1) key[0] = id & 0xff;
  if (length >= 2) key[1] = (id >>> 8) & 0xff;
  return key;
}

/** A value whose bytes depend on its version, so a value overwritten by another record is detected. */
export function valueBytes(version: number, length: number): Uint8Array {
  const value = new Uint8Array(length);
  for (let i = 0; i < length; i++) value[i] = (version * 31 + i * 7) & 0xff;
  return value;
}

export function latin1(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes);
}

/** Every model key is stored with its value, version and expiry intact, and nothing else is stored. */
export function expectStoreMatches(store: ShardStore, model: StoreModel): void {
  expect(store.count).toBe(model.size);
  let expiring = 0;
  for (const [k, entry] of model) {
    const key = Uint8Array.from(k, (c) => c.charCodeAt(0));
    const h = store.lookup(key);
    expect(h, `key ${JSON.stringify(k)} missing`).toBeGreaterThan(0);
    expect(store.keyOf(h)).toEqual(key);
    expect(store.valueOf(h)).toEqual(entry.value);
    expect(store.versionOf(h)).toBe(entry.version);
    expect(store.expireAtOf(h)).toBe(entry.expireAtMs);
    if (entry.expireAtMs !== 0) expiring++;
  }
  expect(store.expiringCount).toBe(expiring);
  const seen = new Set<string>();
  store.forEach((h) => {
    const k = latin1(store.keyOf(h));
    expect(seen.has(k), 'forEach gave a key twice').toBe(false);
    seen.add(k);
  });
  expect(seen.size).toBe(model.size);
}

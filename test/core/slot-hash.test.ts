// core/routing/slot-hash.ts: Redis Cluster's key -> slot function. The slot
// of a key is part of the contract (data placement across releases), so a
// fixed table pins it: any change to the function fails this test.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc16, SLOT_COUNT, slotOf } from '../../core/routing/slot-hash.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** CRC16-CCITT (XMODEM) bit by bit, as in the spec: poly 0x1021, init 0, no reflection, no final xor. */
function referenceCrc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** Redis cluster.c keyHashSlot, transcribed: hash tags need a '}' after the first '{' with bytes between. */
function referenceSlot(key: Uint8Array): number {
  let s = 0;
  while (s < key.length && key[s] !== 0x7b) s++;
  if (s === key.length) return referenceCrc16(key) & 0x3fff;
  let e = s + 1;
  while (e < key.length && key[e] !== 0x7d) e++;
  if (e === key.length || e === s + 1) return referenceCrc16(key) & 0x3fff;
  return referenceCrc16(key.subarray(s + 1, e)) & 0x3fff;
}

describe('slot hashing', () => {
  it('matches CRC16-XMODEM check value and Redis Cluster vectors', () => {
    expect(crc16(utf8('123456789'))).toBe(0x31c3);
    expect(SLOT_COUNT).toBe(16384);
    // From the Redis documentation (CLUSTER KEYSLOT, cluster spec).
    expect(slotOf(utf8('foo'))).toBe(12182);
    expect(slotOf(utf8('somekey'))).toBe(11058);
    expect(slotOf(utf8('foo{hash_tag}'))).toBe(2515);
    expect(slotOf(utf8('bar{hash_tag}'))).toBe(2515);
  });

  it('hash tags: {user1000} keys share a slot; empty or unclosed tags hash the whole key', () => {
    const following = slotOf(utf8('{user1000}.following'));
    expect(slotOf(utf8('{user1000}.followers'))).toBe(following);
    expect(slotOf(utf8('user1000'))).toBe(following);
    expect(slotOf(utf8('{}'))).toBe(crc16(utf8('{}')) & 0x3fff);
    expect(slotOf(utf8('foo{}{bar}'))).toBe(crc16(utf8('foo{}{bar}')) & 0x3fff); // first tag empty: whole key
    expect(slotOf(utf8('foo{{bar}}zap'))).toBe(crc16(utf8('{bar')) & 0x3fff); // "{bar" is the tag
    expect(slotOf(utf8('foo{bar}{zap}'))).toBe(slotOf(utf8('bar'))); // only the first tag counts
    expect(slotOf(utf8('a{b'))).toBe(crc16(utf8('a{b')) & 0x3fff);
    expect(slotOf(utf8('a}b{c}'))).toBe(slotOf(utf8('c')));
  });

  it('is stable: a fixed table of keys and slots', () => {
    const table: [string, number][] = [
      ['foo', 12182], ['bar', 5061], ['hello', 866], ['somekey', 11058], ['foo{hash_tag}', 2515],
      ['{user1000}.following', 3443], ['user1000', 3443], ['123456789', 12739], ['', 0], ['a', 15495],
      ['{}', 15257], ['{}foo', 9500], ['foo{}{bar}', 8363], ['foo{{bar}}zap', 4015], ['{a}b', 15495],
      ['a{b', 13340], ['a}b{c}', 7365], ['key:1', 6657], ['key:2', 10850], ['user:1000:profile', 8918],
      ['{user:1000}:profile', 1649], ['été', 10087], ['piccolo', 719], ['x'.repeat(100), 2134],
    ];
    for (const [key, slot] of table) expect(slotOf(utf8(key)), JSON.stringify(key)).toBe(slot);
  });

  it('agrees with the bitwise reference on arbitrary bytes, brace-heavy keys and sub-ranges', () => {
    const braceHeavy = fc.array(fc.constantFrom(0x7b, 0x7d, 0x61, 0x62, 0x00, 0xff), { maxLength: 12 }).map((a) => Uint8Array.from(a));
    fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), braceHeavy), (key) => {
      expect(crc16(key)).toBe(referenceCrc16(key));
      const slot = slotOf(key);
      expect(slot).toBe(referenceSlot(key));
      expect(slot >= 0 && slot < SLOT_COUNT).toBe(true);
    }), { numRuns: 3000 });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), fc.nat(), fc.nat(), (bytes, x, y) => {
      const start = bytes.length === 0 ? 0 : x % (bytes.length + 1);
      const end = start + (bytes.length === 0 ? 0 : y % (bytes.length - start + 1));
      expect(crc16(bytes, start, end)).toBe(referenceCrc16(bytes.subarray(start, end)));
    }));
  });

  it('spreads keys over all slots', () => {
    const hit = new Uint8Array(SLOT_COUNT);
    for (let i = 0; i < 200_000; i++) hit[slotOf(utf8(`key:${i}`))] = 1;
    expect(hit.reduce((a, b) => a + b, 0)).toBe(SLOT_COUNT);
  });
});

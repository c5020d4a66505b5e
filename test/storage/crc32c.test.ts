// CRC32C against published vectors (RFC 3720 B.4, and the standard check
// value for "123456789"), and chaining over chunks.

import { describe, expect, it } from 'vitest';
import { crc32c } from '../../core/storage/crc32c.js';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('crc32c', () => {
  it('matches the known vectors', () => {
    expect(crc32c(new Uint8Array(0))).toBe(0);
    expect(crc32c(ascii('123456789'))).toBe(0xe3069283);
    expect(crc32c(ascii('a'))).toBe(0xc1d04330);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c);
  });

  it('chains over chunks and honours a range', () => {
    const bytes = ascii('The quick brown fox jumps over the lazy dog');
    const whole = crc32c(bytes);
    expect(whole).toBe(0x22620404);
    expect(crc32c(bytes.subarray(10), crc32c(bytes.subarray(0, 10)))).toBe(whole);
    expect(crc32c(bytes, 0, 10, bytes.length)).toBe(crc32c(bytes.subarray(10)));
  });

  it('changes for every single-bit flip of a record-sized buffer', () => {
    const bytes = Uint8Array.from({ length: 64 }, (_, i) => (i * 37) & 0xff);
    const crc = crc32c(bytes);
    for (let i = 0; i < bytes.length * 8; i++) {
      bytes[i >> 3]! ^= 1 << (i & 7);
      expect(crc32c(bytes)).not.toBe(crc);
      bytes[i >> 3]! ^= 1 << (i & 7);
    }
  });
});

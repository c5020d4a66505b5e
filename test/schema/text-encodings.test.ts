import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { base64ToBytes, bytesToBase64 } from '../../schema/base64.js';
import { isWellFormedText, utf8DecodeExact, utf8Encode } from '../../schema/utf8.js';

describe('base64', () => {
  test('matches Node and round-trips', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      const text = bytesToBase64(bytes);
      expect(text).toBe(Buffer.from(bytes).toString('base64'));
      expect(base64ToBytes(text)).toEqual(bytes);
      expect(base64ToBytes(text.replace(/=+$/, ''))).toEqual(bytes); // padding is optional
    }), { numRuns: 300 });
  });

  test('large inputs are encoded in chunks without overflowing the call stack', () => {
    const bytes = new Uint8Array(1 << 20).map((_, i) => i * 7);
    expect(bytesToBase64(bytes)).toBe(Buffer.from(bytes).toString('base64'));
  });

  test('anything but standard base64 is refused', () => {
    for (const bad of ['A', 'AB=', 'A===', '====', 'AB==CD', 'ab-_', 'ab cd', 'YQ==\n', 'é', 'AAA=A']) {
      expect(base64ToBytes(bad), bad).toBeNull();
    }
    expect(base64ToBytes('')).toEqual(new Uint8Array(0));
  });
});

describe('utf8', () => {
  test('valid UTF-8 decodes to text that encodes back to the same bytes, BOM included', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 80 }), (text) => {
      const bytes = utf8Encode(text);
      expect(utf8DecodeExact(bytes)).toBe(text);
    }), { numRuns: 300 });
    expect(utf8DecodeExact(Uint8Array.of(0xef, 0xbb, 0xbf))).toBe('\uFEFF');
  });

  test('invalid UTF-8 is reported, never replaced', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
      const text = utf8DecodeExact(bytes);
      if (text !== null) expect(utf8Encode(text)).toEqual(bytes);
      else expect(Buffer.from(Buffer.from(bytes).toString('utf8'), 'utf8').equals(Buffer.from(bytes))).toBe(false);
    }), { numRuns: 500 });
  });

  test('lone surrogates are not well-formed text', () => {
    expect(isWellFormedText('a\uD800')).toBe(false);
    expect(isWellFormedText('\uDC00b')).toBe(false);
    expect(isWellFormedText('\uDC00\uD800')).toBe(false);
    expect(isWellFormedText('\uD83D\uDE00')).toBe(true);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseInt64 } from '../../core/int64.js';
import { parseFloatArg, parseInt64Number } from '../../core/resp/resp-numbers.js';

const u = (s: string): Uint8Array => new TextEncoder().encode(s);
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

describe('parseInt64 (Redis string2ll rules)', () => {
  it('accepts canonical int64 text', () => {
    for (const [text, value] of [['0', 0n], ['-1', -1n], ['42', 42n], ['9223372036854775807', INT64_MAX],
      ['-9223372036854775808', INT64_MIN]] as const) {
      expect(parseInt64(u(text))).toBe(value);
    }
  });

  it('refuses anything else', () => {
    for (const text of ['', '-', '-0', '01', '-01', '+1', ' 1', '1 ', '1.0', '1e3', '0x10', '9223372036854775808',
      '-9223372036854775809', '99999999999999999999', '１']) {
      expect(parseInt64(u(text)), text).toBeNull();
      expect(parseInt64Number(u(text)), text).toBeNull();
    }
  });

  it('agrees with the canonical form for any int64, as bigint and as number', () => {
    fc.assert(fc.property(fc.bigInt({ min: INT64_MIN, max: INT64_MAX }), (n) => {
      expect(parseInt64(u(n.toString()))).toBe(n);
      const asNumber = parseInt64Number(u(n.toString()));
      if (n > BigInt(Number.MAX_SAFE_INTEGER)) expect(asNumber).toBe(Infinity);
      else if (n < BigInt(Number.MIN_SAFE_INTEGER)) expect(asNumber).toBe(-Infinity);
      else expect(asNumber).toBe(Number(n));
    }));
  });

  it('accepts a string exactly when it is the canonical text of its value', () => {
    fc.assert(fc.property(fc.stringMatching(/^[-+ 0-9]{0,21}$/), (text) => {
      const parsed = parseInt64(u(text));
      if (parsed === null) {
        const canonical = /^(0|-?[1-9][0-9]*)$/.test(text) && BigInt(text) >= INT64_MIN && BigInt(text) <= INT64_MAX;
        expect(canonical).toBe(false);
      } else {
        expect(parsed.toString()).toBe(text);
      }
    }));
  });

  it('reads a range of a buffer', () => {
    expect(parseInt64Number(u('$123\r\n'), 1, 4)).toBe(123);
  });
});

describe('parseFloatArg', () => {
  it('reads decimal floats and infinities, refuses the rest', () => {
    const cases: [string, number | null][] = [
      ['1.5', 1.5], ['-2', -2], ['+.5', 0.5], ['3.', 3], ['1e3', 1000], ['-2.5E-1', -0.25], ['inf', Infinity],
      ['-Infinity', -Infinity], ['nan', null], ['', null], [' 1', null], ['1 ', null], ['0x10', null], ['1e', null],
      ['.', null], ['1..2', null],
    ];
    for (const [text, want] of cases) expect(parseFloatArg(u(text)), text).toBe(want);
  });
});

// core/shard/numbers.ts: Redis-strict integer parsing for INCR, float parsing
// and formatting for INCRBYFLOAT.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { INT64_MAX, INT64_MIN, parseInt64 } from '../../core/int64.js';
import { formatFloat, parseFiniteFloat } from '../../core/shard/numbers.js';
import { b, latin1 } from './bytes-helpers.js';
import { modelParseFloat, modelParseInt64 } from './shard-model.js';

describe('parseInt64', () => {
  it('accepts canonical signed 64-bit decimals', () => {
    expect(parseInt64(b('0'))).toBe(0n);
    expect(parseInt64(b('7'))).toBe(7n);
    expect(parseInt64(b('-1'))).toBe(-1n);
    expect(parseInt64(b('1234567890'))).toBe(1234567890n);
    expect(parseInt64(b('9223372036854775807'))).toBe(INT64_MAX);
    expect(parseInt64(b('-9223372036854775808'))).toBe(INT64_MIN);
  });

  it('rejects everything Redis rejects', () => {
    for (const text of [
      '', '-', '+', '01', '00', '-01', '-0', '+1', ' 1', '1 ', '\t1', '1\n', '1.0', '1e3', '0x10', '1_000',
      '9223372036854775808', '-9223372036854775809', '18446744073709551616', '99999999999999999999',
      '100000000000000000000', '-100000000000000000000', '--1', '1-', 'abc', '\u0000',
    ]) {
      expect(parseInt64(b(text)), JSON.stringify(text)).toBeNull();
    }
    expect(parseInt64(Uint8Array.of(0xd9, 0xa1))).toBeNull(); // Arabic-Indic digit one, UTF-8
  });

  it('round-trips every int64', () => {
    fc.assert(fc.property(fc.bigInt({ min: INT64_MIN, max: INT64_MAX }), (v) => {
      expect(parseInt64(b(v.toString()))).toBe(v);
    }));
  });

  it('agrees with the canonical-decimal definition on arbitrary digit-ish bytes', () => {
    const digitish = fc.array(fc.constantFrom(...'0123456789-+ .e'.split('').map((c) => c.charCodeAt(0)), 0x00, 0xff), { maxLength: 22 })
      .map((a) => Uint8Array.from(a));
    fc.assert(fc.property(fc.oneof(digitish, fc.uint8Array({ maxLength: 24 })), (bytes) => {
      expect(parseInt64(bytes)).toBe(modelParseInt64(bytes));
    }), { numRuns: 2000 });
  });
});

describe('parseFiniteFloat', () => {
  it('accepts decimal floats', () => {
    expect(parseFiniteFloat(b('1.5'))).toBe(1.5);
    expect(parseFiniteFloat(b('-0.25'))).toBe(-0.25);
    expect(parseFiniteFloat(b('+3'))).toBe(3);
    expect(parseFiniteFloat(b('1e3'))).toBe(1000);
    expect(parseFiniteFloat(b('2.5E-3'))).toBe(0.0025);
    expect(parseFiniteFloat(b('.5'))).toBe(0.5);
    expect(parseFiniteFloat(b('5.'))).toBe(5);
    expect(parseFiniteFloat(b('1.7976931348623157e308'))).toBe(Number.MAX_VALUE);
  });

  it('rejects non-numbers, non-finite values and lenient syntax', () => {
    for (const text of ['', '.', '-', '+', 'e5', '1e', '1e+', ' 1', '1 ', 'inf', 'Infinity', '-Infinity', 'NaN', 'nan',
      '0x10', '1.2.3', '--1', '1e400', '-1e400', '1,5', '1_0']) {
      expect(parseFiniteFloat(b(text)), JSON.stringify(text)).toBeNull();
    }
    expect(parseFiniteFloat(new Uint8Array(5121).fill(0x31))).toBeNull(); // longer than Redis accepts
  });

  it('agrees with the decimal-float definition on arbitrary float-ish bytes', () => {
    const floatish = fc.array(fc.constantFrom(...'0123456789-+.eE '.split('').map((c) => c.charCodeAt(0))), { maxLength: 12 })
      .map((a) => Uint8Array.from(a));
    fc.assert(fc.property(floatish, (bytes) => {
      expect(parseFiniteFloat(bytes)).toBe(modelParseFloat(bytes));
    }), { numRuns: 2000 });
  });
});

describe('formatFloat', () => {
  it('prints what a human expects', () => {
    expect(formatFloat(0.1 + 0.2)).toBe('0.3');
    expect(formatFloat(3)).toBe('3');
    expect(formatFloat(-2.5)).toBe('-2.5');
    expect(formatFloat(10.5 + 0.1)).toBe('10.6');
    expect(formatFloat(1e20)).toBe('100000000000000000000');
    expect(formatFloat(1e-6)).toBe('0.000001');
  });

  it('never prints -0', () => {
    expect(formatFloat(-0)).toBe('0');
    expect(formatFloat(-1e-300 * 1e-300)).toBe('0');
  });

  it('prints values near the largest double as finite text (not Infinity)', () => {
    // Regression: toPrecision(15) rounds these up past MAX_VALUE.
    for (const v of [Number.MAX_VALUE, -Number.MAX_VALUE, Number.MAX_VALUE * (1 - 2 ** -52), 1.797693134862315e308]) {
      const text = formatFloat(v);
      expect(Number.isFinite(Number(text)), text).toBe(true);
      expect(parseFiniteFloat(b(text))).toBe(Number(text));
    }
  });

  it('gives text INCRBYFLOAT parses back to within 15 significant digits', () => {
    fc.assert(fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (v) => {
      const text = formatFloat(v);
      const back = parseFiniteFloat(b(text));
      expect(back, `${v} -> ${text}`).not.toBeNull();
      expect(Math.abs(back! - v)).toBeLessThanOrEqual(Math.abs(v) * 1e-14);
      expect(latin1(b(text))).toBe(text); // plain ASCII
    }), { numRuns: 2000 });
  });
});

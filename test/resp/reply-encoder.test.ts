import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RETAINED_BYTES_MAX, ReplyWriter, type RespProtocol, type RespValue } from '../../core/resp/reply-encoder.js';
import { decodeAll, decodeOne, type Decoded } from './resp-decoder.js';

const latin1 = (b: Uint8Array): string => Buffer.from(b).toString('latin1');

function encode(protocol: RespProtocol, write: (w: ReplyWriter) => void): string {
  const w = new ReplyWriter(protocol);
  write(w);
  return latin1(w.take());
}

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
/** What a value decodes to under each protocol (RESP2 degrades RESP3 types as Redis does). */
function expected(v: RespValue, protocol: RespProtocol): Decoded {
  const sanitize = (s: string): string => s.replace(/[\r\n]/g, ' ');
  switch (v.type) {
    case 'simple': return { t: 'simple', text: sanitize(v.text) };
    case 'error': return { t: 'error', text: sanitize(v.text) };
    case 'integer': return { t: 'integer', value: BigInt(v.value) };
    case 'bulk': return { t: 'bulk', value: typeof v.value === 'string' ? utf8(v.value) : v.value };
    case 'null': return protocol === 3 ? { t: 'null' } : { t: 'nullBulk' };
    case 'nullArray': return protocol === 3 ? { t: 'null' } : { t: 'nullArray' };
    case 'array': return { t: 'array', items: v.items.map((i) => expected(i, protocol)) };
    case 'set': return protocol === 3
      ? { t: 'set', items: v.items.map((i) => expected(i, protocol)) }
      : { t: 'array', items: v.items.map((i) => expected(i, protocol)) };
    case 'map': return protocol === 3
      ? { t: 'map', entries: v.entries.map(([k, x]) => [expected(k, protocol), expected(x, protocol)] as [Decoded, Decoded]) }
      : { t: 'array', items: v.entries.flatMap(([k, x]) => [expected(k, protocol), expected(x, protocol)]) };
    case 'double': {
      const text = Number.isNaN(v.value) ? 'nan' : v.value === Infinity ? 'inf' : v.value === -Infinity ? '-inf' : String(v.value);
      return protocol === 3 ? { t: 'double', text } : { t: 'bulk', value: utf8(text) };
    }
    case 'boolean': return protocol === 3 ? { t: 'boolean', value: v.value } : { t: 'integer', value: v.value ? 1n : 0n };
    case 'verbatim': return protocol === 3 ? { t: 'verbatim', format: v.format, text: v.text } : { t: 'bulk', value: utf8(v.text) };
    case 'push': return { t: protocol === 3 ? 'push' : 'array', items: v.items.map((i) => expected(i, protocol)) };
  }
}

const int64 = fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n });
const { value: respValue } = fc.letrec<{ value: RespValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.string({ unit: 'grapheme' }).map((text): RespValue => ({ type: 'simple', text })),
    fc.string().map((text): RespValue => ({ type: 'error', text: 'ERR ' + text })),
    fc.oneof(int64, fc.maxSafeInteger(), fc.integer()).map((value): RespValue => ({ type: 'integer', value })),
    fc.uint8Array({ maxLength: 64 }).map((value): RespValue => ({ type: 'bulk', value })),
    fc.string({ unit: 'grapheme', maxLength: 20 }).map((value): RespValue => ({ type: 'bulk', value })),
    fc.constant<RespValue>({ type: 'null' }),
    fc.constant<RespValue>({ type: 'nullArray' }),
    fc.array(tie('value'), { maxLength: 4 }).map((items): RespValue => ({ type: 'array', items })),
    fc.array(tie('value'), { maxLength: 3 }).map((items): RespValue => ({ type: 'set', items })),
    fc.array(tie('value'), { maxLength: 3 }).map((items): RespValue => ({ type: 'push', items })),
    fc.array(fc.tuple(tie('value'), tie('value')), { maxLength: 3 }).map((entries): RespValue => ({ type: 'map', entries })),
    fc.double().map((value): RespValue => ({ type: 'double', value })),
    fc.boolean().map((value): RespValue => ({ type: 'boolean', value })),
    fc.string({ unit: 'grapheme', maxLength: 30 }).map((text): RespValue => ({ type: 'verbatim', format: 'txt', text })),
  ),
}));

describe('ReplyWriter', () => {
  it('writes the RESP2 wire format', () => {
    expect(encode(2, (w) => w.writeSimpleString('OK'))).toBe('+OK\r\n');
    expect(encode(2, (w) => w.writeError('ERR bad\r\nthing'))).toBe('-ERR bad  thing\r\n');
    expect(encode(2, (w) => w.writeInteger(0))).toBe(':0\r\n');
    expect(encode(2, (w) => w.writeInteger(-42))).toBe(':-42\r\n');
    expect(encode(2, (w) => w.writeInteger(-(1n << 63n)))).toBe(':-9223372036854775808\r\n');
    expect(encode(2, (w) => w.writeInteger(Number.MAX_SAFE_INTEGER))).toBe(':9007199254740991\r\n');
    expect(encode(2, (w) => w.writeBulk(utf8('hé')))).toBe('$3\r\nh\xc3\xa9\r\n');
    expect(encode(2, (w) => w.writeBulk(new Uint8Array(0)))).toBe('$0\r\n\r\n');
    expect(encode(2, (w) => w.writeBulkString('abc'))).toBe('$3\r\nabc\r\n');
    expect(encode(2, (w) => w.writeNull())).toBe('$-1\r\n');
    expect(encode(2, (w) => w.writeNullArray())).toBe('*-1\r\n');
    expect(encode(2, (w) => { w.writeArrayHeader(2); w.writeInteger(1); w.writeNull(); })).toBe('*2\r\n:1\r\n$-1\r\n');
    expect(encode(2, (w) => w.writeMapHeader(2))).toBe('*4\r\n');
    expect(encode(2, (w) => w.writeBoolean(true))).toBe(':1\r\n');
    expect(encode(2, (w) => w.writeDouble(1.5))).toBe('$3\r\n1.5\r\n');
    expect(encode(2, (w) => w.writeVerbatim('a\r\nb'))).toBe('$4\r\na\r\nb\r\n');
  });

  it('writes the RESP3 wire format', () => {
    expect(encode(3, (w) => w.writeNull())).toBe('_\r\n');
    expect(encode(3, (w) => w.writeNullArray())).toBe('_\r\n');
    expect(encode(3, (w) => w.writeMapHeader(2))).toBe('%2\r\n');
    expect(encode(3, (w) => w.writeSetHeader(3))).toBe('~3\r\n');
    expect(encode(3, (w) => w.writeBoolean(false))).toBe('#f\r\n');
    expect(encode(3, (w) => w.writeDouble(-Infinity))).toBe(',-inf\r\n');
    expect(encode(3, (w) => w.writeDouble(NaN))).toBe(',nan\r\n');
    expect(encode(3, (w) => w.writeVerbatim('hi'))).toBe('=6\r\ntxt:hi\r\n');
  });

  it('switches protocol for later replies', () => {
    const w = new ReplyWriter();
    w.writeNull();
    w.protocol = 3;
    w.writeNull();
    expect(latin1(w.take())).toBe('$-1\r\n_\r\n');
  });

  for (const protocol of [2, 3] as const) {
    it(`round-trips any value (RESP${protocol})`, () => {
      fc.assert(fc.property(fc.array(respValue, { minLength: 1, maxLength: 8 }), (values) => {
        const w = new ReplyWriter(protocol);
        for (const v of values) w.writeValue(v);
        expect(decodeAll(w.take())).toEqual(values.map((v) => expected(v, protocol)));
      }), { numRuns: 200 });
    });
  }

  it('taken bytes never change, however writing and taking interleave', () => {
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.uint8Array({ maxLength: 40_000 }), fc.boolean()), { minLength: 1, maxLength: 12 }),
      (steps) => {
        const w = new ReplyWriter();
        const taken: Uint8Array[] = [];
        for (const [value, takeNow] of steps) {
          w.writeBulk(value);
          if (takeNow) taken.push(w.take());
        }
        taken.push(w.take());
        expect(w.pendingBytes).toBe(0);
        // Decode only at the end: any overwrite of an earlier view would show here.
        const all = decodeAll(Buffer.concat(taken));
        expect(all).toEqual(steps.map(([value]) => ({ t: 'bulk', value })));
      },
    ), { numRuns: 100 });
  });

  it('lets go of a buffer grown past the retained maximum', () => {
    const w = new ReplyWriter();
    const big = new Uint8Array(RETAINED_BYTES_MAX + 10).fill(7);
    w.writeBulk(big);
    const out = w.take();
    w.writeSimpleString('OK');
    expect(latin1(w.take())).toBe('+OK\r\n');
    const decoded = decodeOne(out);
    expect(decoded.t === 'bulk' && decoded.value.length).toBe(big.length);
  });

  it('encodes non-ASCII simple strings as UTF-8 without CR/LF', () => {
    const d = decodeOne(new Uint8Array(Buffer.from(encode(3, (w) => w.writeError('ERR ключ\nплохой')), 'latin1')));
    expect(d).toEqual({ t: 'error', text: 'ERR ключ плохой' });
  });
});

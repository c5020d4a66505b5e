import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { DEFAULT_LIMITS, makeLimits } from '../../core/limits.js';
import { OP_NAMES } from '../../core/protocol/ops.js';
import { validateRequest } from '../../core/protocol/validate.js';
import {
  decodeJsonRequest, decodeJsonResponse, encodeJsonRequest, encodeJsonResponse, JSON_ID_CHARS_MAX, replyFromJson, replyToJson,
  requestFromJson, WireDecodeError, type DecodedJsonRequest,
} from '../../schema/json-codec.js';
import type { DataValue } from '../../core/protocol/data-value.js';
import { DATA_VALUE_DEPTH_MAX } from '../../schema/data-value-limits.js';
import { dataValueFromJson, dataValueToJson } from '../../schema/json-data-value.js';
import { utf8DecodeExact } from '../../schema/utf8.js';
import { arbDataValue, arbJsonId, arbValue, arbWireReplyOf, arbWireRequest } from './arbitraries.js';

/**
 * Trees JSON carries exactly (schema/json-data-value.ts): no nilArray or
 * set, ints within 2^53, non-integral finite doubles, maps with distinct
 * text keys that could not pass for a wrapper.
 */
const arbJsonDataValue: fc.Arbitrary<DataValue> = fc.letrec<{ value: DataValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: DATA_VALUE_DEPTH_MAX - 1 },
    fc.constant<DataValue>({ t: 'nil' }),
    fc.maxSafeInteger().map((v): DataValue => ({ t: 'int', v: BigInt(v) })),
    arbValue.map((v): DataValue => ({ t: 'bytes', v })),
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isSafeInteger(d)).map((v): DataValue => ({ t: 'double', v })),
    fc.constantFrom('OK', 'QUEUED').map((v): DataValue => ({ t: 'status', v })),
    fc.array(tie('value'), { maxLength: 4 }).map((v): DataValue => ({ t: 'array', v })),
    fc.uniqueArray(fc.tuple(fc.string({ maxLength: 6 }), tie('value')), { maxLength: 3, selector: ([k]) => k })
      // Integer-like keys are left out: a JSON object lists them first, whatever their order in the map.
      .filter((pairs) => !(pairs.length === 1 && (pairs[0]![0] === 'status' || pairs[0]![0] === 'base64')) && pairs.every(([k]) => !/^\d+$/.test(k)))
      .map((pairs): DataValue => ({ t: 'map', v: pairs.flatMap(([k, v]): DataValue[] => [{ t: 'bytes', v: utf8(k) }, v]) })),
  ),
})).value;

/** What the JSON form of any tree reads back as: the losses listed in schema/json-data-value.ts, spelled out. */
function throughJson(value: DataValue): DataValue {
  const text = (s: string): DataValue => ({ t: 'bytes', v: utf8(s) });
  switch (value.t) {
    case 'nil': case 'nilArray': return { t: 'nil' };
    case 'int': return value.v >= -(2n ** 53n - 1n) && value.v <= 2n ** 53n - 1n ? value : text(value.v.toString());
    case 'bytes': case 'status': return value;
    case 'double':
      if (Number.isNaN(value.v)) return text('nan');
      if (!Number.isFinite(value.v)) return text(value.v > 0 ? 'inf' : '-inf');
      return Number.isSafeInteger(value.v) ? { t: 'int', v: BigInt(value.v) } : value;
    case 'array': case 'set': case 'pairs': return { t: 'array', v: value.v.map(throughJson) };
    case 'map': {
      const keys = value.v.filter((_, i) => i % 2 === 0).map((k) => (k.t === 'bytes' ? utf8DecodeExact(k.v) : null));
      const asObject = keys.every((k) => k !== null) && new Set(keys).size === keys.length
        && !(keys.length === 1 && (keys[0] === 'status' || keys[0] === 'base64'));
      if (asObject) {
        // JSON objects do not keep order: JavaScript lists integer-like keys first.
        const byKey = new Map(keys.map((k, i) => [k!, throughJson(value.v[2 * i + 1]!)]));
        const ordered = Object.keys(Object.fromEntries(byKey));
        return { t: 'map', v: ordered.flatMap((k): DataValue[] => [text(k), byKey.get(k)!]) };
      }
      const pairs: DataValue[] = [];
      for (let i = 0; i < value.v.length; i += 2) pairs.push({ t: 'array', v: [throughJson(value.v[i]!), throughJson(value.v[i + 1]!)] });
      return { t: 'array', v: pairs };
    }
  }
}

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const decode = (json: unknown): DecodedJsonRequest => decodeJsonRequest(JSON.stringify(json), DEFAULT_LIMITS);

function expectWellFormed(result: DecodedJsonRequest): void {
  if (result.ok) {
    // `?? null`: before the core's data commands, validation has no case for a call (undefined).
    expect(validateRequest(result.request, DEFAULT_LIMITS) ?? null).toBeNull();
  } else {
    expect(result.error.ok).toBe(false);
    expect(typeof result.error.message).toBe('string');
    expect(result.fatal).toBe(false);
  }
}

describe('JSON requests', () => {
  test('every op round-trips', () => {
    fc.assert(fc.property(arbJsonId, arbWireRequest, (id, request) => {
      expect(decodeJsonRequest(encodeJsonRequest(id, request), DEFAULT_LIMITS)).toStrictEqual({ ok: true, id, request });
    }), { numRuns: 400 });
  });

  test('the documented shape of a call: args as text, or all as base64', () => {
    expect(decode({ id: 1, op: 'call', name: 'hset', args: ['h', 'f', 'v'] })).toStrictEqual({
      ok: true, id: 1, request: { op: 'call', name: 'hset', args: [utf8('h'), utf8('f'), utf8('v')] },
    });
    expect(decode({ id: 2, op: 'call', name: 'hget', argsBase64: ['aA==', '/w=='] })).toStrictEqual({
      ok: true, id: 2, request: { op: 'call', name: 'hget', args: [utf8('h'), Uint8Array.of(0xff)] },
    });
    expect(JSON.parse(encodeJsonRequest(3, { op: 'call', name: 'sadd', args: [utf8('s'), Uint8Array.of(0xff)] })))
      .toEqual({ id: 3, op: 'call', name: 'sadd', argsBase64: ['cw==', '/w=='] });
  });

  test('a malformed call is BAD_REQUEST naming the field, and keeps its id', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ args: ['h'] }, /name is required/],
      [{ name: 7, args: ['h'] }, /name must be a string/],
      [{ name: 'x'.repeat(65), args: ['h'] }, /name is longer than 64/],
      [{ name: 'hget', args: 'h' }, /args must be an array/],
      [{ name: 'hget', args: ['h', 3] }, /args\[1\] must be a string/],
      [{ name: 'hget', args: ['h'], argsBase64: ['aA=='] }, /args or argsBase64, not both/],
      [{ name: 'hget', argsBase64: ['not base64!'] }, /argsBase64\[0\]/],
      [{ name: 'hget', args: ['h'], key: 'k' }, /unknown field "key" for op "call"/],
    ];
    for (const [fields, message] of cases) {
      const result = decode({ id: 9, op: 'call', ...fields });
      expect(result, JSON.stringify(fields)).toMatchObject({ ok: false, id: 9, fatal: false, error: { code: 'BAD_REQUEST' } });
      if (!result.ok) expect(result.error.message).toMatch(message);
    }
  });

  test('the documented shape of a set', () => {
    const result = decode({ id: 1, op: 'set', key: 'k', value: 'v', ttlMs: 1000, ifAbsent: true, expectedVersion: 3 });
    expect(result).toStrictEqual({
      ok: true, id: 1, request: { op: 'set', key: utf8('k'), value: utf8('v'), ifAbsent: true, expectedVersion: 3, ttlMs: 1000 },
    });
  });

  test('bytes that are not text travel as base64, and text as text', () => {
    const key = Uint8Array.of(0xff, 0x00, 0x41);
    const text = encodeJsonRequest('a', { op: 'set', key, value: utf8('héllo') });
    expect(JSON.parse(text)).toEqual({ id: 'a', op: 'set', keyBase64: '/wBB', value: 'héllo' });
    expect(decode({ id: 1, op: 'get', keyBase64: '/wBB' })).toMatchObject({ ok: true, request: { key } });
  });

  test('incr delta: a JSON integer, or a decimal string for the full 64-bit range', () => {
    expect(decode({ id: 1, op: 'incr', key: 'n', delta: -5 })).toMatchObject({ ok: true, request: { delta: -5n } });
    expect(decode({ id: 1, op: 'incr', key: 'n', delta: '-9223372036854775808' })).toMatchObject({ ok: true, request: { delta: -(1n << 63n) } });
    expect(JSON.parse(encodeJsonRequest(1, { op: 'incr', key: utf8('n'), delta: 1n << 62n })).delta).toBe('4611686018427387904');
    for (const delta of [1.5, 2 ** 60, '1e3', '9223372036854775808', '0x10', '', null, true]) {
      expect(decode({ id: 1, op: 'incr', key: 'n', delta }), String(delta)).toMatchObject({ ok: false, id: 1, error: { code: 'BAD_REQUEST' } });
    }
  });

  test('ids: numbers and strings are echoed; a bad id gets BAD_REQUEST with id null', () => {
    expect(decode({ id: 'req-7', op: 'count' })).toMatchObject({ ok: true, id: 'req-7' });
    expect(decode({ id: 0, op: 'count' })).toMatchObject({ ok: true, id: 0 });
    for (const id of [undefined, null, -1, 1.5, 2 ** 53, true, [], {}, 'x'.repeat(JSON_ID_CHARS_MAX + 1)]) {
      expect(decode({ id, op: 'count' }), JSON.stringify(id)).toMatchObject({ ok: false, id: null, fatal: false, error: { code: 'BAD_REQUEST' } });
    }
    expect(encodeJsonResponse('req-7', { ok: true })).toBe('{"id":"req-7","ok":true}');
    expect(encodeJsonResponse(null, { ok: true })).toBe('{"id":null,"ok":true}');
    expect(encodeJsonResponse(12n, { ok: true })).toBe('{"id":12,"ok":true}');
  });

  test('a text frame that is not JSON is BAD_FRAME, id null, and not fatal', () => {
    expect(decodeJsonRequest('{"id":1,', DEFAULT_LIMITS)).toMatchObject({ ok: false, id: null, fatal: false, error: { code: 'BAD_FRAME' } });
    expect(decodeJsonRequest('[1,2]', DEFAULT_LIMITS)).toMatchObject({ ok: false, id: null, fatal: false, error: { code: 'BAD_REQUEST' } });
  });

  test('wrong requests are answered with the id', () => {
    const cases: [unknown, string][] = [
      [{ id: 5, op: 'frobnicate' }, 'UNKNOWN_OP'],
      [{ id: 5, op: 'toString' }, 'UNKNOWN_OP'],
      [{ id: 5 }, 'BAD_REQUEST'],
      [{ id: 5, op: 'get' }, 'BAD_REQUEST'],
      [{ id: 5, op: 'get', key: '' }, 'BAD_REQUEST'],
      [{ id: 5, op: 'get', key: 'a', keyBase64: 'YQ==' }, 'BAD_REQUEST'],
      [{ id: 5, op: 'get', key: 7 }, 'BAD_REQUEST'],
      [{ id: 5, op: 'get', keyBase64: 'not base64!' }, 'BAD_REQUEST'],
      [{ id: 5, op: 'get', key: 'a', ttl: 5 }, 'BAD_REQUEST'],
      [{ id: 5, op: 'set', key: 'a' }, 'BAD_REQUEST'],
      [{ id: 5, op: 'set', key: 'a', value: 'v', ttlMs: '1000' }, 'BAD_REQUEST'],
      [{ id: 5, op: 'set', key: 'a', value: 'v', ttlMs: 0 }, 'BAD_REQUEST'],
      [{ id: 5, op: 'set', key: 'a', value: 'v', ifAbsent: 'yes' }, 'BAD_REQUEST'],
      [{ id: 5, op: 'set', key: 'a', value: 'v', keepTtl: true, ttlMs: 5 }, 'BAD_REQUEST'],
      [{ id: 5, op: 'scan', limit: 10, cursor: '%%%' }, 'BAD_REQUEST'],
      [{ id: 5, op: 'scan' }, 'BAD_REQUEST'],
      [{ id: 5, op: 'mget', keys: [] }, 'BAD_REQUEST'],
      [{ id: 5, op: 'mget', keys: ['a', 1] }, 'BAD_REQUEST'],
      [{ id: 5, op: 'mget', keys: 'a' }, 'BAD_REQUEST'],
      [{ id: 5, op: 'mset', entries: [{ key: 'a', value: 'b', ttlMs: 1 }] }, 'BAD_REQUEST'],
      [{ id: 5, op: 'mset', entries: ['a'] }, 'BAD_REQUEST'],
      [{ id: 5, op: 'getRange', key: 'a', start: 0 }, 'BAD_REQUEST'],
      [{ id: 5, op: 'incrFloat', key: 'a' }, 'BAD_REQUEST'],
    ];
    for (const [json, code] of cases) {
      const text = JSON.stringify(json);
      expect(decodeJsonRequest(text, DEFAULT_LIMITS), text).toMatchObject({ ok: false, id: 5, fatal: false, error: { code } });
    }
    // JSON numbers too large for a double parse as Infinity.
    expect(decodeJsonRequest('{"id":5,"op":"incrFloat","key":"a","delta":1e400}', DEFAULT_LIMITS))
      .toMatchObject({ ok: false, id: 5, error: { code: 'BAD_REQUEST', message: 'delta must be a finite number' } });
    // An own "__proto__" key (JSON.parse makes one) is just an unknown field.
    expect(decodeJsonRequest('{"id":5,"op":"get","key":"a","__proto__":{"x":1}}', DEFAULT_LIMITS))
      .toMatchObject({ ok: false, id: 5, error: { code: 'BAD_REQUEST' } });
  });

  test('a key with an unpaired surrogate is refused rather than silently altered', () => {
    const result = decodeJsonRequest('{"id":1,"op":"get","key":"a\\ud800b"}', DEFAULT_LIMITS);
    expect(result).toMatchObject({ ok: false, id: 1, error: { code: 'BAD_REQUEST' } });
    expect(decodeJsonRequest('{"id":1,"op":"get","key":"\\ud83d\\ude00"}', DEFAULT_LIMITS))
      .toMatchObject({ ok: true, request: { key: utf8('😀') } });
  });

  test('limits give their codes', () => {
    const limits = makeLimits({ keyBytesMax: 16, valueBytesMax: 1024, batchKeysMax: 4 });
    const run = (json: unknown) => decodeJsonRequest(JSON.stringify(json), limits);
    expect(run({ id: 1, op: 'get', key: 'k'.repeat(17) })).toMatchObject({ ok: false, id: 1, error: { code: 'KEY_TOO_LONG' } });
    expect(run({ id: 1, op: 'get', key: 'é'.repeat(9) })).toMatchObject({ ok: false, error: { code: 'KEY_TOO_LONG' } }); // 18 bytes
    expect(run({ id: 1, op: 'set', key: 'k', value: 'v'.repeat(1025) })).toMatchObject({ ok: false, error: { code: 'VALUE_TOO_LARGE' } });
    expect(run({ id: 1, op: 'mget', keys: ['a', 'b', 'c', 'd', 'e'] })).toMatchObject({ ok: false, error: { code: 'LIMIT_EXCEEDED' } });
    expect(run({ id: 1, op: 'mset', entries: new Array(5).fill({ key: 'a', value: 'b' }) }))
      .toMatchObject({ ok: false, error: { code: 'LIMIT_EXCEEDED' } });
    expect(run({ id: 1, op: 'scan', limit: DEFAULT_LIMITS.scanLimitMax + 1 })).toMatchObject({ ok: false, error: { code: 'LIMIT_EXCEEDED' } });
    expect(decodeJsonRequest(' '.repeat(limits.frameBytesMax + 1), limits))
      .toMatchObject({ ok: false, id: null, fatal: true, error: { code: 'FRAME_TOO_LARGE' } });
  });

  test('requestFromJson serves other envelopes with the same rules', () => {
    expect(requestFromJson({ op: 'exists', key: 'a' }, DEFAULT_LIMITS)).toStrictEqual({ ok: true, request: { op: 'exists', key: utf8('a') } });
    expect(requestFromJson('nope', DEFAULT_LIMITS)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
  });

  describe('garbage never throws', () => {
    test('random strings and truncated requests', () => {
      const arbText = fc.oneof(
        fc.string({ maxLength: 200 }),
        // Any UTF-16 code units, lone surrogates included.
        fc.string({ unit: fc.nat({ max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 100 }),
        fc.tuple(arbWireRequest, fc.nat()).map(([request, cut]) => {
          const text = encodeJsonRequest(1, request);
          return text.slice(0, cut % text.length);
        }),
      );
      fc.assert(fc.property(arbText, (text) => {
        expectWellFormed(decodeJsonRequest(text, DEFAULT_LIMITS));
      }), { numRuns: 500 });
    });

    test('random JSON values', () => {
      fc.assert(fc.property(fc.jsonValue(), (value) => {
        expectWellFormed(decodeJsonRequest(JSON.stringify(value), DEFAULT_LIMITS));
      }), { numRuns: 500 });
    });

    test('requests with random values in every field', () => {
      const fields = ['key', 'keyBase64', 'value', 'valueBase64', 'ttlMs', 'expireAtMs', 'expectedVersion', 'ifAbsent', 'ifPresent',
        'keepTtl', 'returnPrevious', 'delta', 'start', 'end', 'offset', 'persist', 'prefix', 'prefixBase64', 'cursor', 'limit',
        'withValues', 'keys', 'keysBase64', 'entries', 'ifNoneExist'];
      const arbFields = fc.dictionary(fc.constantFrom(...fields), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 6 });
      fc.assert(fc.property(fc.constantFrom(...OP_NAMES, 'nope'), arbFields, (op, rest) => {
        expectWellFormed(decodeJsonRequest(JSON.stringify({ id: 1, op, ...rest }), DEFAULT_LIMITS));
      }), { numRuns: 1000 });
    });

    test('valid requests with one field replaced by a random value', () => {
      fc.assert(fc.property(arbWireRequest, fc.nat(), fc.jsonValue({ maxDepth: 2 }), (request, pick, junk) => {
        const json = JSON.parse(encodeJsonRequest(1, request)) as Record<string, unknown>;
        const names = Object.keys(json);
        json[names[pick % names.length]!] = junk;
        expectWellFormed(decodeJsonRequest(JSON.stringify(json), DEFAULT_LIMITS));
      }), { numRuns: 500 });
    });
  });
});

describe('JSON responses', () => {
  test('every reply round-trips', () => {
    fc.assert(fc.property(arbJsonId, arbWireReplyOf(arbJsonDataValue), (id, reply) => {
      expect(decodeJsonResponse(encodeJsonResponse(id, reply))).toStrictEqual({ id, reply });
    }), { numRuns: 400 });
  });

  test('replyToJson and replyFromJson are inverse', () => {
    fc.assert(fc.property(arbWireReplyOf(arbJsonDataValue), (reply) => {
      expect(replyFromJson(JSON.parse(JSON.stringify(replyToJson(reply))))).toStrictEqual(reply);
    }), { numRuns: 200 });
  });

  test('values: text when valid UTF-8 (a BOM included), base64 otherwise', () => {
    expect(replyToJson({ ok: true, value: utf8('\uFEFFhi') })).toEqual({ ok: true, value: '\uFEFFhi' });
    expect(replyToJson({ ok: true, value: Uint8Array.of(0xc3) })).toEqual({ ok: true, valueBase64: 'ww==' });
    expect(replyToJson({ ok: true, items: [{ found: true, value: Uint8Array.of(0xff), version: 2 }, { found: false }] }))
      .toEqual({ ok: true, items: [{ found: true, valueBase64: '/w==', version: 2 }, { found: false }] });
  });

  test('integers: numbers while exact, decimal strings beyond 2^53', () => {
    expect(replyToJson({ ok: true, integer: 42n })).toEqual({ ok: true, integer: 42 });
    expect(replyToJson({ ok: true, integer: -(2n ** 53n) })).toEqual({ ok: true, integer: '-9007199254740992' });
  });

  test('reply data: any tree reads back as JSON can tell it (the losses documented in json-data-value.ts)', () => {
    fc.assert(fc.property(arbDataValue, (data) => {
      const json = replyToJson({ ok: true, data });
      expect(replyFromJson(JSON.parse(JSON.stringify(json)))).toStrictEqual({ ok: true, data: throughJson(data) });
    }), { numRuns: 400 });
  });

  test('reply data: the documented renderings', () => {
    const b = (s: string): DataValue => ({ t: 'bytes', v: utf8(s) });
    const cases: [DataValue, unknown][] = [
      [{ t: 'nil' }, null],
      [{ t: 'nilArray' }, null],
      [{ t: 'int', v: 3n }, 3],
      [{ t: 'int', v: 2n ** 60n }, '1152921504606846976'],
      [b('héllo'), 'héllo'],
      [{ t: 'bytes', v: Uint8Array.of(0xff, 0x00) }, { base64: '/wA=' }],
      [{ t: 'double', v: 1.5 }, 1.5],
      [{ t: 'double', v: -Infinity }, '-inf'],
      [{ t: 'double', v: Number.NaN }, 'nan'],
      [{ t: 'status', v: 'OK' }, { status: 'OK' }],
      [{ t: 'set', v: [b('a'), b('b')] }, ['a', 'b']],
      [{ t: 'map', v: [b('f1'), b('v1'), b('f2'), { t: 'int', v: 2n }] }, { f1: 'v1', f2: 2 }],
      [{ t: 'map', v: [{ t: 'int', v: 1n }, b('x')] }, [[1, 'x']]],
      [{ t: 'map', v: [b('status'), b('x')] }, [['status', 'x']]], // an object {"status": "x"} would read as a status line
      [{ t: 'map', v: [b('k'), b('1'), b('k'), b('2')] }, [['k', '1'], ['k', '2']]],
    ];
    for (const [data, json] of cases) expect(JSON.parse(JSON.stringify(dataValueToJson(data))), JSON.stringify(json)).toEqual(json);
    // A field named __proto__ is a field like any other.
    const proto: DataValue = { t: 'map', v: [b('__proto__'), b('x')] };
    expect(JSON.stringify(dataValueToJson(proto))).toBe('{"__proto__":"x"}');
    expect(dataValueFromJson(JSON.parse('{"__proto__":"x"}'))).toStrictEqual(proto);
    // "data": null is a nil reply, not an absent field.
    expect(decodeJsonResponse('{"id":1,"ok":true,"data":null}').reply).toStrictEqual({ ok: true, data: { t: 'nil' } });
  });

  test('reply data: what no server sends is a WireDecodeError, deep nesting included', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 2 * DATA_VALUE_DEPTH_MAX; i++) deep = [deep]; // pairs-form maps double a tree's JSON levels
    expect(() => replyFromJson({ ok: true, data: deep })).toThrow(new WireDecodeError(`reply data nests deeper than ${DATA_VALUE_DEPTH_MAX} levels`));
    for (const data of [true, { status: 5 }, { base64: '!!' }]) {
      expect(() => replyFromJson({ ok: true, data }), JSON.stringify(data)).toThrow(WireDecodeError);
    }
  });

  test('errors carry name, number, message and currentVersion', () => {
    expect(encodeJsonResponse(1, { ok: false, code: 'VERSION_MISMATCH', message: 'version is 7', currentVersion: 7 }))
      .toBe('{"id":1,"ok":false,"error":{"code":"VERSION_MISMATCH","number":8,"message":"version is 7","currentVersion":7}}');
    expect(decodeJsonResponse('{"id":1,"ok":false,"error":{"code":"NEWER","number":99,"message":"m"}}').reply)
      .toEqual({ ok: false, code: 'INTERNAL', message: 'unknown error 99 (NEWER): m' });
  });

  test('garbage throws WireDecodeError and nothing else', () => {
    fc.assert(fc.property(fc.oneof(fc.string(), fc.jsonValue().map((v) => JSON.stringify(v))), (text) => {
      try {
        decodeJsonResponse(text);
      } catch (e) {
        expect(e).toBeInstanceOf(WireDecodeError);
      }
    }), { numRuns: 500 });
  });
});

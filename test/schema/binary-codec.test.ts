import fc from 'fast-check';
import * as capnp from 'capnp-ts';
import { describe, expect, test } from 'vitest';
import { DEFAULT_LIMITS, makeLimits } from '../../core/limits.js';
import type { Reply, Request } from '../../core/protocol/ops.js';
import { TX_OPS_MAX } from '../../core/protocol/transaction.js';
import { validateRequest } from '../../core/protocol/validate.js';
import {
  decodeRequest, decodeResponse, encodeRequest, encodeResponse, WireDecodeError, WireEncodeError, type DecodedRequest,
} from '../../schema/binary-codec.js';
import * as wire from '../../schema/generated/piccolo.capnp.js';
import { arbBinaryId, arbWireReply, arbWireRequest } from './arbitraries.js';
import { ElementSize, listPointer, requestFrame, RequestTag, structPointer } from './capnp-raw.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** The shape every decodeRequest result must have, whatever the input. */
function expectWellFormed(result: DecodedRequest): void {
  if (result.ok) {
    expect(typeof result.id).toBe('bigint');
    // `?? null`: before the core's data commands, validation has no case for a call (undefined).
    expect(validateRequest(result.request, DEFAULT_LIMITS) ?? null).toBeNull();
  } else {
    expect(result.error.ok).toBe(false);
    expect(typeof result.error.message).toBe('string');
    expect(typeof result.fatal).toBe('boolean');
    if (!result.fatal) expect(typeof result.id).toBe('bigint');
  }
}

describe('binary requests', () => {
  test('every op round-trips', () => {
    fc.assert(fc.property(arbBinaryId, arbWireRequest, (id, request) => {
      expect(decodeRequest(encodeRequest(id, request), DEFAULT_LIMITS)).toStrictEqual({ ok: true, id, request });
    }), { numRuns: 400 });
  });

  test('a frame inside a larger buffer decodes, and its fields outlive the buffer', () => {
    const frame = encodeRequest(5n, { op: 'set', key: utf8('k'), value: utf8('v1') });
    const big = new Uint8Array(frame.length + 16);
    big.set(frame, 8);
    const decoded = decodeRequest(big.subarray(8, 8 + frame.length), DEFAULT_LIMITS);
    big.fill(0xff); // a server reuses its receive buffer
    expect(decoded).toStrictEqual({ ok: true, id: 5n, request: { op: 'set', key: utf8('k'), value: utf8('v1') } });
  });

  test('messages larger than the encoder\'s scratch buffer, and the ones after them, are intact', () => {
    const big = new Uint8Array(20_000).map((_, i) => i % 251); // well over the 8 KiB scratch
    const sequence: Request[] = [
      { op: 'set', key: utf8('big'), value: big },
      { op: 'get', key: utf8('small') },
      { op: 'mset', entries: Array.from({ length: 500 }, (_, i) => ({ key: utf8(`key-${i}`), value: utf8(`value-${i}`) })) },
      { op: 'del', key: utf8('k') },
    ];
    for (const request of sequence) {
      expect(decodeRequest(encodeRequest(1n, request), DEFAULT_LIMITS)).toStrictEqual({ ok: true, id: 1n, request });
    }
    // An encode that fails part-way must not leave its bytes for the next one
    // (the encoder relies on fresh memory being zero: a stale flag would read as set).
    for (const value of [utf8('v'), big]) {
      const failing: Request = { op: 'set', key: utf8('a'), value, ifAbsent: true, expectedVersion: 5, keepTtl: true, ttlMs: 0.5 };
      expect(() => encodeRequest(1n, failing)).toThrow(WireEncodeError);
      const plain: Request = { op: 'set', key: utf8('a'), value: utf8('v') };
      expect(decodeRequest(encodeRequest(2n, plain), DEFAULT_LIMITS)).toStrictEqual({ ok: true, id: 2n, request: plain });
    }
  });

  test('encoding refuses numbers the schema cannot carry', () => {
    expect(() => encodeRequest(1n, { op: 'set', key: utf8('k'), value: utf8('v'), ttlMs: 1.5 })).toThrow(WireEncodeError);
    expect(() => encodeRequest(1n, { op: 'expire', key: utf8('k'), ttlMs: -1 })).toThrow(WireEncodeError);
    // 0 is how the schema says "no TTL"; sending it would silently drop the option.
    expect(() => encodeRequest(1n, { op: 'getEx', key: utf8('k'), expireAtMs: 0 })).toThrow(WireEncodeError);
    expect(() => encodeRequest(-1n, { op: 'count' })).toThrow(WireEncodeError);
    expect(() => encodeRequest(1n, { op: 'incr', key: utf8('k'), delta: 1n << 63n })).toThrow(WireEncodeError);
    // A failed encode leaves nothing behind for the next one.
    expect(decodeRequest(encodeRequest(2n, { op: 'get', key: utf8('a') }), DEFAULT_LIMITS))
      .toStrictEqual({ ok: true, id: 2n, request: { op: 'get', key: utf8('a') } });
  });

  test('an unknown union tag is UNKNOWN_OP, not fatal, with the id', () => {
    const message = new capnp.Message();
    const root = message.initRoot(wire.Request);
    root.setId(77n);
    root.initGet().initKey(1).copyBuffer(utf8('k'));
    capnp.Struct.setUint16(8, 99, root); // the union discriminant sits after the 8-byte id
    const result = decodeRequest(new Uint8Array(message.toArrayBuffer()), DEFAULT_LIMITS);
    expect(result).toMatchObject({ ok: false, id: 77n, fatal: false, error: { code: 'UNKNOWN_OP' } });
  });

  test('validation errors keep the id and the connection', () => {
    const limits = makeLimits({ keyBytesMax: 16, valueBytesMax: 1024, batchKeysMax: 4 });
    const cases: [Request, string][] = [
      [{ op: 'get', key: new Uint8Array(17) }, 'KEY_TOO_LONG'],
      [{ op: 'set', key: utf8('k'), value: new Uint8Array(1025) }, 'VALUE_TOO_LARGE'],
      [{ op: 'set', key: new Uint8Array(0), value: utf8('v') }, 'BAD_REQUEST'],
      [{ op: 'set', key: utf8('k'), value: utf8('v'), ifAbsent: true, ifPresent: true }, 'BAD_REQUEST'],
      [{ op: 'mget', keys: [utf8('a'), utf8('b'), utf8('c'), utf8('d'), utf8('e')] }, 'LIMIT_EXCEEDED'],
      [{ op: 'mget', keys: [] }, 'BAD_REQUEST'],
      [{ op: 'scan', prefix: utf8(''), cursor: utf8(''), limit: 0 }, 'BAD_REQUEST'],
      [{ op: 'incrFloat', key: utf8('k'), delta: Number.NaN }, 'BAD_REQUEST'],
    ];
    for (const [request, code] of cases) {
      expect(decodeRequest(encodeRequest(9n, request), limits), code).toMatchObject({ ok: false, id: 9n, fatal: false, error: { code } });
    }
  });

  test('64-bit numbers beyond 2^53 are BAD_REQUEST, not rounded', () => {
    const message = new capnp.Message();
    const root = message.initRoot(wire.Request);
    root.setId(3n);
    const set = root.initSet();
    set.initKey(1).copyBuffer(utf8('k'));
    set.setHasExpectedVersion(true);
    set.setExpectedVersion(1n << 60n);
    const result = decodeRequest(new Uint8Array(message.toArrayBuffer()), DEFAULT_LIMITS);
    expect(result).toMatchObject({ ok: false, id: 3n, fatal: false, error: { code: 'BAD_REQUEST' } });
  });

  test('a frame over frameBytesMax is fatal FRAME_TOO_LARGE', () => {
    const limits = makeLimits({ valueBytesMax: 1024 });
    const frame = new Uint8Array(limits.frameBytesMax + 1);
    expect(decodeRequest(frame, limits)).toMatchObject({ ok: false, id: null, fatal: true, error: { code: 'FRAME_TOO_LARGE' } });
  });

  test('an empty or headerless frame is fatal BAD_FRAME', () => {
    for (const bytes of [new Uint8Array(0), Uint8Array.of(1, 2, 3), Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0)]) {
      expect(decodeRequest(bytes, DEFAULT_LIMITS)).toMatchObject({ ok: false, id: null, fatal: true, error: { code: 'BAD_FRAME' } });
    }
  });

  describe('huge declared lengths', () => {
    test('a key list declaring 2^29-1 keys is LIMIT_EXCEEDED before any key is read', () => {
      const frame = requestFrame(11n, RequestTag.MGET, [
        structPointer(0, 0, 1), // -> MGetRequest { keys }
        listPointer(0, ElementSize.POINTER, 2 ** 29 - 1),
      ]);
      expect(decodeRequest(frame, DEFAULT_LIMITS)).toMatchObject({ ok: false, id: 11n, fatal: false, error: { code: 'LIMIT_EXCEEDED' } });
    });

    test('a key list running past the end of the frame is fatal BAD_FRAME', () => {
      const frame = requestFrame(12n, RequestTag.MGET, [structPointer(0, 0, 1), listPointer(0, ElementSize.POINTER, 5000)]);
      expect(decodeRequest(frame, DEFAULT_LIMITS)).toMatchObject({ ok: false, id: 12n, fatal: true, error: { code: 'BAD_FRAME' } });
    });

    test('an entry list declaring 2^29-1 words is refused', () => {
      const frame = requestFrame(13n, RequestTag.MSET, [
        structPointer(0, 1, 1), 0n, // -> MSetRequest { ifNoneExist; entries }
        listPointer(0, ElementSize.COMPOSITE, 2 ** 29 - 1),
        structPointer(2 ** 27, 0, 2), // tag word: element count 2^27, two pointers each
      ]);
      const result = decodeRequest(frame, DEFAULT_LIMITS);
      expect(result.ok).toBe(false);
      expect(result).toMatchObject({ id: 13n });
    });

    test('a key declaring 2^29-1 bytes is fatal BAD_FRAME', () => {
      const frame = requestFrame(14n, RequestTag.GET, [structPointer(0, 0, 1), listPointer(0, ElementSize.BYTE, 2 ** 29 - 1)]);
      expect(decodeRequest(frame, DEFAULT_LIMITS)).toMatchObject({ ok: false, id: 14n, fatal: true, error: { code: 'BAD_FRAME' } });
    });

    test('keys that all point at the same bytes are fatal BAD_FRAME (no amplification)', () => {
      const keyCount = 100;
      const keyPointers = Array.from({ length: keyCount }, (_, i) => listPointer(keyCount - i - 1, ElementSize.BYTE, 64));
      const frame = requestFrame(15n, RequestTag.MGET, [
        structPointer(0, 0, 1),
        listPointer(0, ElementSize.POINTER, keyCount),
        ...keyPointers,
        ...new Array<bigint>(8).fill(0x6b6b6b6b6b6b6b6bn), // 64 bytes of "k"
      ]);
      expect(decodeRequest(frame, DEFAULT_LIMITS)).toMatchObject({ ok: false, id: 15n, fatal: true, error: { code: 'BAD_FRAME' } });
      // The same frame with distinct data per key is fine: the check counts bytes, not shapes.
      const honest = requestFrame(16n, RequestTag.MGET, [
        structPointer(0, 0, 1),
        listPointer(0, ElementSize.POINTER, 2),
        listPointer(1, ElementSize.BYTE, 8),
        listPointer(1, ElementSize.BYTE, 8),
        0x6161616161616161n,
        0x6262626262626262n,
      ]);
      expect(decodeRequest(honest, DEFAULT_LIMITS)).toStrictEqual({
        ok: true, id: 16n, request: { op: 'mget', keys: [utf8('aaaaaaaa'), utf8('bbbbbbbb')] },
      });
    });

    test('a segment table declaring millions of segments is refused at once', () => {
      for (const declared of [0xffffffff, 20_000_000]) {
        const bytes = new Uint8Array(16);
        new DataView(bytes.buffer).setUint32(0, declared, true);
        const started = performance.now();
        const result = decodeRequest(bytes, DEFAULT_LIMITS);
        // capnp-ts alone spends ~0.5 s allocating an array of the declared length.
        expect(performance.now() - started).toBeLessThan(50);
        expect(result).toMatchObject({ ok: false, id: null, fatal: true, error: { code: 'BAD_FRAME' } });
      }
    });
  });

  describe('garbage never throws', () => {
    test('random bytes', () => {
      fc.assert(fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
        expectWellFormed(decodeRequest(bytes, DEFAULT_LIMITS));
      }), { numRuns: 1000 });
    });

    test('random words behind a valid segment table', () => {
      fc.assert(fc.property(fc.array(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), { minLength: 1, maxLength: 24 }), (words) => {
        const bytes = new Uint8Array(8 + words.length * 8);
        const view = new DataView(bytes.buffer);
        view.setUint32(4, words.length, true);
        words.forEach((w, i) => view.setBigUint64(8 + i * 8, w, true));
        expectWellFormed(decodeRequest(bytes, DEFAULT_LIMITS));
      }), { numRuns: 1000 });
    });

    test('truncated valid frames', () => {
      fc.assert(fc.property(arbWireRequest, fc.nat(), (request, cut) => {
        const bytes = encodeRequest(1n, request);
        expectWellFormed(decodeRequest(bytes.subarray(0, cut % bytes.length), DEFAULT_LIMITS));
      }), { numRuns: 500 });
    });

    test('bit-flipped valid frames', () => {
      fc.assert(fc.property(arbWireRequest, fc.array(fc.nat(), { minLength: 1, maxLength: 8 }), (request, flips) => {
        const bytes = encodeRequest(1n, request).slice();
        for (const f of flips) bytes[Math.floor(f / 8) % bytes.length]! ^= 1 << (f % 8);
        expectWellFormed(decodeRequest(bytes, DEFAULT_LIMITS));
      }), { numRuns: 1000 });
    });
  });
});

describe('binary transactions', () => {
  const key = utf8('{t}k');
  /** A transaction frame built with capnp-ts, for shapes our encoder refuses to write. */
  const txFrame = (id: bigint, build: (tx: wire.TxRequest) => void): Uint8Array => {
    const message = new capnp.Message();
    const root = message.initRoot(wire.Request);
    root.setId(id);
    build(root.initTx());
    return new Uint8Array(message.toArrayBuffer());
  };

  test('a transaction round-trips with its ops, watched keys and versions', () => {
    const request: Request = {
      op: 'tx',
      ops: [{ op: 'set', key, value: utf8('v'), ttlMs: 5000 }, { op: 'incr', key: utf8('{t}n'), delta: -2n }, { op: 'get', key }],
      watch: [{ key, version: 0 }, { key: utf8('{t}n'), version: 2 ** 53 - 1 }],
    };
    expect(decodeRequest(encodeRequest(7n, request), DEFAULT_LIMITS)).toStrictEqual({ ok: true, id: 7n, request });
    const empty: Request = { op: 'tx', ops: [], watch: [] };
    expect(decodeRequest(encodeRequest(8n, empty), DEFAULT_LIMITS)).toStrictEqual({ ok: true, id: 8n, request: empty });
  });

  test('its reply round-trips with one nested reply per op, errors included', () => {
    const reply: Reply = {
      ok: true, found: true,
      replies: [{ ok: true, version: 3 }, { ok: false, code: 'WRONG_TYPE', message: 'value is not an integer' }, { ok: true, found: true, value: utf8('v'), version: 3 }],
    };
    expect(decodeResponse(encodeResponse(9n, reply))).toStrictEqual({ id: 9n, reply });
    const conflict: Reply = { ok: true, found: false };
    expect(decodeResponse(encodeResponse(10n, conflict))).toStrictEqual({ id: 10n, reply: conflict });
  });

  test('a transaction inside a transaction is BAD_REQUEST with the id, and the encoder refuses to write one', () => {
    const frame = txFrame(21n, (tx) => { tx.initOps(2).get(1).initTx().initOps(1); });
    expect(decodeRequest(frame, DEFAULT_LIMITS)).toMatchObject({
      ok: false, id: 21n, fatal: false, error: { code: 'BAD_REQUEST', message: 'a transaction cannot hold tx: it is keyless or nested' },
    });
    const nested: Request = { op: 'tx', ops: [{ op: 'tx', ops: [], watch: [] }], watch: [] };
    expect(() => encodeRequest(1n, nested)).toThrow(WireEncodeError);
  });

  test('keyless ops are refused as in JSON, with the same words', () => {
    const frame = encodeRequest(22n, { op: 'tx', ops: [{ op: 'set', key, value: key }, { op: 'count' }], watch: [] });
    expect(decodeRequest(frame, DEFAULT_LIMITS)).toMatchObject({
      ok: false, id: 22n, fatal: false, error: { code: 'BAD_REQUEST', message: 'a transaction cannot hold count: it is keyless or nested' },
    });
  });

  test('too many ops or watched keys are LIMIT_EXCEEDED before any is read', () => {
    const ops = txFrame(23n, (tx) => { tx.initOps(TX_OPS_MAX + 1); });
    expect(decodeRequest(ops, DEFAULT_LIMITS)).toMatchObject({
      ok: false, id: 23n, fatal: false, error: { code: 'LIMIT_EXCEEDED', message: `transaction holds ${TX_OPS_MAX + 1} commands; the limit is ${TX_OPS_MAX}` },
    });
    const limits = makeLimits({ batchKeysMax: 4 });
    const watch = txFrame(24n, (tx) => { tx.initWatch(5); });
    expect(decodeRequest(watch, limits)).toMatchObject({ ok: false, id: 24n, fatal: false, error: { code: 'LIMIT_EXCEEDED' } });
  });

  test('a watched version beyond 2^53 is BAD_REQUEST, not rounded', () => {
    const frame = txFrame(25n, (tx) => {
      const w = tx.initWatch(1).get(0);
      w.initKey(key.length).copyBuffer(key);
      w.setVersion(2n ** 60n);
    });
    expect(decodeRequest(frame, DEFAULT_LIMITS)).toMatchObject({ ok: false, id: 25n, fatal: false, error: { code: 'BAD_REQUEST' } });
  });

  test('ops that all point at one batch are fatal BAD_FRAME (no amplification)', () => {
    const opCount = 100;
    const keyCount = 1000;
    const shared = 7 + 3 * opCount; // the word of the one MGetRequest every op points at
    const ops = Array.from({ length: opCount }, (_, i) => [0n, BigInt(RequestTag.MGET), structPointer(shared - (10 + 3 * i), 0, 1)]).flat();
    const frame = requestFrame(26n, RequestTag.TX, [
      structPointer(0, 0, 2), // w3 -> TxRequest { ops, watch } at w4
      listPointer(1, ElementSize.COMPOSITE, 3 * opCount), // w4 -> tag word at w6
      0n, // w5: no watched keys
      structPointer(opCount, 2, 1), // w6: the list's tag: opCount Requests
      ...ops,
      listPointer(0, ElementSize.POINTER, keyCount), // the shared MGetRequest's keys
      ...new Array<bigint>(keyCount).fill(0n),
    ]);
    expect(decodeRequest(frame, DEFAULT_LIMITS)).toMatchObject({
      ok: false, id: 26n, fatal: true, error: { code: 'BAD_FRAME', message: expect.stringContaining('lists add up to more than the frame holds') as unknown },
    });
  });

  test('a reply nested in a transaction\'s reply is refused (replies never nest further)', () => {
    const message = new capnp.Message();
    const root = message.initRoot(wire.Response);
    const outer = root.initOk();
    outer.setHasReplies(true);
    const inner = outer.initReplies(1).get(0).initOk();
    inner.setHasReplies(true);
    inner.initReplies(1).get(0).initOk();
    expect(() => decodeResponse(new Uint8Array(message.toArrayBuffer()))).toThrow(WireDecodeError);
  });
});

describe('binary responses', () => {
  test('every reply round-trips', () => {
    fc.assert(fc.property(arbBinaryId, arbWireReply, (id, reply) => {
      expect(decodeResponse(encodeResponse(id, reply))).toStrictEqual({ id, reply });
    }), { numRuns: 400 });
  });

  test('an error carries its stable number and name', () => {
    const bytes = encodeResponse(4n, { ok: false, code: 'VERSION_MISMATCH', message: 'version is 7', currentVersion: 7 });
    const root = new capnp.Message(bytes, false).getRoot(wire.Response);
    const error = root.getError();
    expect([error.getCode(), error.getName(), error.getMessage(), error.getCurrentVersion()]).toEqual([8, 'VERSION_MISMATCH', 'version is 7', 7n]);
  });

  test('an error number this client does not know becomes INTERNAL with the detail kept', () => {
    const message = new capnp.Message();
    const root = message.initRoot(wire.Response);
    root.setId(1n);
    const error = root.initError();
    error.setCode(999);
    error.setName('FROM_THE_FUTURE');
    error.setMessage('new');
    const { reply } = decodeResponse(new Uint8Array(message.toArrayBuffer()));
    expect(reply).toEqual({ ok: false, code: 'INTERNAL', message: 'unknown error 999 (FROM_THE_FUTURE): new' });
  });

  test('garbage throws WireDecodeError and nothing else', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 128 }), (bytes) => {
      try {
        decodeResponse(bytes);
      } catch (e) {
        expect(e).toBeInstanceOf(WireDecodeError);
      }
    }), { numRuns: 500 });
  });
});

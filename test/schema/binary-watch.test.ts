// The Cap'n Proto watch frames (schema/binary-watch.ts): round trips, the
// layout against the generated capnp-ts code (each side reads the other's
// bytes), limits, and hostile frames (random bytes, mutated watch frames)
// that must become an error to answer or a close, never a throw.

import fc from 'fast-check';
import * as capnp from 'capnp-ts';
import { describe, expect, test } from 'vitest';
import { DEFAULT_LIMITS, makeLimits } from '../../core/limits.js';
import { CHANGE_KINDS } from '../../core/watch/change.js';
import { TOKEN_CHARS_MAX, TOKEN_GROUPS_MAX } from '../../core/watch/resume-token.js';
import { decodeRequest } from '../../schema/binary-codec.js';
import {
  decodeWatchRequest, decodeWatchResponse, encodeUnwatched, encodeUnwatchRequest, encodeWatchChange, encodeWatchError,
  encodeWatchLive, encodeWatchRequest, type WatchChangeFields, type WatchTarget,
} from '../../schema/binary-watch.js';
import * as layout from '../../schema/fast-capnp/piccolo-layout.js';
import * as wire from '../../schema/generated/piccolo.capnp.js';
import { WireDecodeError } from '../../schema/wire-errors.js';
import { arbBinaryId } from './arbitraries.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
/** A resume token's shape: lower-case hex, even length (the codec carries any text; the node judges it). */
const arbToken = fc.uint8Array({ minLength: 6, maxLength: 64 }).map((b) => Buffer.from(b).toString('hex'));
/** A valid group list: distinct group numbers below TOKEN_GROUPS_MAX. */
const arbGroups = fc.uniqueArray(fc.nat({ max: TOKEN_GROUPS_MAX - 1 }), { minLength: 1, maxLength: 24 });
/** A valid watch: a key watch names no groups; a prefix watch may. */
const arbTarget: fc.Arbitrary<WatchTarget> = fc.oneof(
  fc.record({ match: fc.constant('key' as const), bytes: fc.uint8Array({ maxLength: 64 }), after: fc.option(arbToken, { nil: null }) }),
  fc.record({
    match: fc.constant('prefix' as const), bytes: fc.uint8Array({ maxLength: 64 }), after: fc.option(arbToken, { nil: null }), groups: arbGroups,
  }, { requiredKeys: ['match', 'bytes', 'after'] }),
);
const arbChange: fc.Arbitrary<WatchChangeFields> = fc.oneof(
  fc.record({ key: fc.uint8Array({ maxLength: 64 }), kind: fc.constant('set' as const), value: fc.option(fc.uint8Array({ maxLength: 256 }), { nil: null }), version: fc.nat() }),
  fc.record({ key: fc.uint8Array({ maxLength: 64 }), kind: fc.constantFrom('delete' as const, 'expire' as const), value: fc.constant(null), version: fc.nat() }),
);

describe('the watch layout', () => {
  test('matches the generated code: struct sizes, union tags, enum order', () => {
    const sizeOf = (s: { _capnp: { size: { dataByteLength: number; pointerLength: number } } }): layout.StructSize => (
      { dataWords: s._capnp.size.dataByteLength / 8, pointers: s._capnp.size.pointerLength });
    expect(layout.WatchRequestLayout.size).toEqual(sizeOf(wire.WatchRequest));
    expect(layout.WatchLiveLayout.size).toEqual(sizeOf(wire.WatchLive));
    expect(layout.WatchChangeLayout.size).toEqual(sizeOf(wire.WatchChange));
    expect(layout.RequestTag.WATCH).toBe(wire.Request_Which.WATCH);
    expect(layout.RequestTag.UNWATCH).toBe(wire.Request_Which.UNWATCH);
    expect(layout.WatchResponseTag).toEqual({ WATCH_LIVE: wire.Response_Which.WATCH_LIVE, CHANGE: wire.Response_Which.CHANGE });
    expect(CHANGE_KINDS.map((k) => wire.ChangeKind[k.toUpperCase() as 'SET'])).toEqual([0, 1, 2]);
  });
});

describe('round trips', () => {
  test('a watch request: ours both ways, and capnp-ts reads what we write', () => {
    fc.assert(fc.property(arbBinaryId, arbTarget, (id, target) => {
      const bytes = encodeWatchRequest(id, target);
      expect(decodeWatchRequest(bytes, DEFAULT_LIMITS)).toEqual({ op: 'watch', id, ...target });
      const root = new capnp.Message(bytes, false).getRoot(wire.Request);
      expect(root.which()).toBe(wire.Request_Which.WATCH);
      const watch = root.getWatch();
      expect(new Uint8Array(watch.getKey().toUint8Array())).toEqual(target.bytes);
      expect(watch.getExactKey()).toBe(target.match === 'key');
      expect(watch.getAfter()).toBe(target.after ?? '');
      expect(watch.hasGroups()).toBe(target.groups !== undefined);
      expect(watch.getGroups().toArray()).toEqual(target.groups ?? []);
    }));
  });

  test('a watch request capnp-ts wrote reads the same', () => {
    fc.assert(fc.property(arbBinaryId, arbTarget, (id, target) => {
      const message = new capnp.Message();
      const root = message.initRoot(wire.Request);
      root.setId(id);
      const watch = root.initWatch();
      watch.initKey(target.bytes.length).copyBuffer(target.bytes);
      watch.setExactKey(target.match === 'key');
      if (target.after !== null) watch.setAfter(target.after);
      if (target.groups !== undefined) {
        const list = watch.initGroups(target.groups.length);
        target.groups.forEach((g, i) => list.set(i, g));
      }
      expect(decodeWatchRequest(new Uint8Array(message.toArrayBuffer()), DEFAULT_LIMITS)).toEqual({ op: 'watch', id, ...target });
    }));
  });

  test('an unwatch request', () => {
    fc.assert(fc.property(arbBinaryId, (id) => {
      expect(decodeWatchRequest(encodeUnwatchRequest(id), DEFAULT_LIMITS)).toEqual({ op: 'unwatch', id });
    }));
  });

  test('change frames: the same fields back, and capnp-ts reads them', () => {
    fc.assert(fc.property(arbBinaryId, arbChange, arbToken, (id, change, resume) => {
      const bytes = encodeWatchChange(id, change, resume);
      expect(decodeWatchResponse(bytes)).toEqual({ kind: 'change', id, change, resume });
      const root = new capnp.Message(bytes, false).getRoot(wire.Response);
      expect(root.which()).toBe(wire.Response_Which.CHANGE);
      const c = root.getChange();
      expect(new Uint8Array(c.getKey().toUint8Array())).toEqual(change.key);
      expect(c.getKind()).toBe(CHANGE_KINDS.indexOf(change.kind));
      expect(c.getHasValue()).toBe(change.value !== null);
      if (change.value !== null) expect(new Uint8Array(c.getValue().toUint8Array())).toEqual(change.value);
      expect(c.getVersion()).toBe(BigInt(change.version));
      expect(c.getResume()).toBe(resume);
    }));
  });

  test('live, error and unwatched frames', () => {
    fc.assert(fc.property(arbBinaryId, arbToken, (id, resume) => {
      expect(decodeWatchResponse(encodeWatchLive(id, resume))).toEqual({ kind: 'live', id, resume });
      expect(decodeWatchResponse(encodeWatchError(id, 'COMPACTED', 'gone'))).toEqual({ kind: 'reply', id, reply: { ok: false, code: 'COMPACTED', message: 'gone' } });
      expect(decodeWatchResponse(encodeUnwatched(id))).toEqual({ kind: 'reply', id, reply: { ok: true } });
    }));
  });

  test('decodeRequest leaves watch frames alone: UNKNOWN_OP, not fatal, with the id (the door then reads them as watches)', () => {
    expect(decodeRequest(encodeWatchRequest(9n, { match: 'prefix', bytes: utf8('a'), after: null }), DEFAULT_LIMITS))
      .toMatchObject({ ok: false, id: 9n, fatal: false, error: { code: 'UNKNOWN_OP' } });
    expect(decodeRequest(encodeUnwatchRequest(9n), DEFAULT_LIMITS)).toMatchObject({ ok: false, id: 9n, fatal: false, error: { code: 'UNKNOWN_OP' } });
  });

  test('other requests are not watch frames', () => {
    const message = new capnp.Message();
    const root = message.initRoot(wire.Request);
    root.setId(4n);
    root.initGet().initKey(1).copyBuffer(utf8('k'));
    expect(decodeWatchRequest(new Uint8Array(message.toArrayBuffer()), DEFAULT_LIMITS)).toBeNull();
  });
});

describe('limits and errors', () => {
  const limits = makeLimits({ keyBytesMax: 16 });

  test('a prefix or key over keyBytesMax is KEY_TOO_LONG under its id', () => {
    expect(decodeWatchRequest(encodeWatchRequest(3n, { match: 'prefix', bytes: new Uint8Array(17), after: null }), limits))
      .toMatchObject({ op: 'bad', id: 3n, code: 'KEY_TOO_LONG', fatal: false });
    expect(decodeWatchRequest(encodeWatchRequest(3n, { match: 'key', bytes: new Uint8Array(16), after: null }), limits))
      .toMatchObject({ op: 'watch', match: 'key' });
  });

  test('a token longer than TOKEN_CHARS_MAX is BAD_REQUEST', () => {
    const long = 'a'.repeat(TOKEN_CHARS_MAX + 1);
    expect(decodeWatchRequest(encodeWatchRequest(3n, { match: 'prefix', bytes: utf8('p'), after: long }), DEFAULT_LIMITS))
      .toMatchObject({ op: 'bad', id: 3n, code: 'BAD_REQUEST', fatal: false });
  });

  test('groups: empty, repeated, on a key watch, or longer than TOKEN_GROUPS_MAX is BAD_REQUEST under its id, not fatal', () => {
    const read = (target: Omit<WatchTarget, 'after'>): unknown => decodeWatchRequest(encodeWatchRequest(6n, { ...target, after: null }), DEFAULT_LIMITS);
    const refused = (message: RegExp): unknown => ({ op: 'bad', id: 6n, code: 'BAD_REQUEST', fatal: false, message: expect.stringMatching(message) });
    expect(read({ match: 'prefix', bytes: utf8('p'), groups: [] })).toEqual(refused(/groups must be a list of distinct group numbers/));
    expect(read({ match: 'prefix', bytes: utf8('p'), groups: [3, 1, 3] })).toEqual(refused(/distinct/));
    expect(read({ match: 'key', bytes: utf8('p'), groups: [0] })).toEqual(refused(/groups is for a prefix watch/));
    const tooMany = Array.from({ length: TOKEN_GROUPS_MAX + 1 }, (_, g) => g);
    expect(read({ match: 'prefix', bytes: utf8('p'), groups: tooMany })).toEqual(refused(new RegExp(`groups names ${TOKEN_GROUPS_MAX + 1}`)));
    // The most a token names is fine here (the node then refuses the groups it does not have).
    expect(read({ match: 'prefix', bytes: utf8('p'), groups: tooMany.slice(1) })).toMatchObject({ op: 'watch', groups: tooMany.slice(1) });
    // No groups field: every group (the field is absent, not empty).
    expect(read({ match: 'prefix', bytes: utf8('p') })).not.toHaveProperty('groups');
  });

  test('groups that are not a list of 32-bit numbers, or whose list overruns the frame: BAD_FRAME, fatal', () => {
    const message = new capnp.Message();
    const watch = message.initRoot(wire.Request).initWatch();
    message.getRoot(wire.Request).setId(7n);
    watch.initKey(1).copyBuffer(utf8('p'));
    watch.initGroups(2).set(0, 1);
    const bytes = new Uint8Array(message.toArrayBuffer());
    const view = new DataView(bytes.buffer);
    // The groups pointer is the watch struct's third pointer; find it by its tag (a list of FOUR_BYTES, 2 elements).
    const at = [...Array(bytes.length / 8).keys()].map((w) => w * 8).find((o) => (view.getUint32(o, true) & 3) === 1 && view.getUint32(o + 4, true) === ((2 << 3) | 4))!;
    expect(at).toBeDefined();
    view.setUint32(at + 4, (2 << 3) | 2, true); // element size: bytes
    expect(decodeWatchRequest(bytes, DEFAULT_LIMITS)).toMatchObject({ op: 'bad', id: 7n, code: 'BAD_FRAME', fatal: true });
    view.setUint32(at + 4, (1000 << 3) | 4, true); // 1,000 numbers in a frame of a few words
    expect(decodeWatchRequest(bytes, DEFAULT_LIMITS)).toMatchObject({ op: 'bad', id: 7n, code: 'BAD_FRAME', fatal: true });
  });

  test('a frame over frameBytesMax is FRAME_TOO_LARGE, fatal', () => {
    const small = { ...DEFAULT_LIMITS, frameBytesMax: 64 }; // below what checkLimits allows: only the frame size matters here
    expect(decodeWatchRequest(encodeWatchRequest(3n, { match: 'prefix', bytes: new Uint8Array(60), after: null }), small))
      .toMatchObject({ op: 'bad', code: 'FRAME_TOO_LARGE', fatal: true });
  });

  test('a watch whose body pointer leads out of the frame is BAD_FRAME, fatal, with the id', () => {
    const bytes = encodeWatchRequest(5n, { match: 'prefix', bytes: utf8('abc'), after: null });
    // The root's pointer (after the 8-byte header, the root pointer and two data words): point it far beyond the segment.
    new DataView(bytes.buffer).setUint32(8 + 8 + 16, 0x0000_fff0, true);
    expect(decodeWatchRequest(bytes, DEFAULT_LIMITS)).toMatchObject({ op: 'bad', id: 5n, code: 'BAD_FRAME', fatal: true });
  });

  test('a change of an unknown kind, a delete with a value, a version beyond 2^53: WireDecodeError', () => {
    const change = encodeWatchChange(1n, { key: utf8('k'), kind: 'set', value: utf8('v'), version: 3 }, 'ab');
    const message = new capnp.Message(change, false);
    const c = message.getRoot(wire.Response).getChange();
    c.setKind(7 as wire.ChangeKind);
    expect(() => decodeWatchResponse(new Uint8Array(message.toArrayBuffer()))).toThrow(/unknown change kind 7/);
    c.setKind(wire.ChangeKind.DELETE);
    expect(() => decodeWatchResponse(new Uint8Array(message.toArrayBuffer()))).toThrow(/delete change carries a value/);
    c.setKind(wire.ChangeKind.SET);
    c.setVersion(2n ** 60n);
    expect(() => decodeWatchResponse(new Uint8Array(message.toArrayBuffer()))).toThrow(WireDecodeError);
  });
});

describe('hostile frames', () => {
  /** What the door does with a binary frame: decodeRequest first, then the watch reader for UNKNOWN_OP. */
  const door = (bytes: Uint8Array): unknown => {
    const decoded = decodeRequest(bytes, DEFAULT_LIMITS);
    return !decoded.ok && decoded.error.code === 'UNKNOWN_OP' ? decodeWatchRequest(bytes, DEFAULT_LIMITS) : decoded;
  };

  test('random bytes never throw, on the server or the client', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      expect(() => door(bytes)).not.toThrow();
      expect(() => decodeWatchRequest(bytes, DEFAULT_LIMITS)).not.toThrow();
      try {
        decodeWatchResponse(bytes);
      } catch (error) {
        expect(error).toBeInstanceOf(WireDecodeError);
      }
    }), { numRuns: 2000 });
  });

  test('a watch frame with random bytes written over it is a watch, an error to answer, or a close: never a throw', () => {
    const arbMutation = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 });
    fc.assert(fc.property(arbBinaryId, arbTarget, arbMutation, (id, target, mutation) => {
      const bytes = encodeWatchRequest(id, target);
      for (const [at, value] of mutation) bytes[8 + (at % (bytes.length - 8))] = value; // past the segment table: the message itself
      const read = decodeWatchRequest(bytes, DEFAULT_LIMITS);
      if (read === null) return; // the union tag now names another member: decodeRequest's frame
      expect(['watch', 'unwatch', 'bad']).toContain(read.op);
      if (read.op === 'bad') expect(read.message.length).toBeGreaterThan(0);
      if (read.op === 'watch' && read.groups !== undefined) {
        // Whatever the bytes say, a watch read has groups that a node can check: a prefix's, distinct, within the bound.
        expect(read.match).toBe('prefix');
        expect(read.groups.length).toBeGreaterThan(0);
        expect(read.groups.length).toBeLessThanOrEqual(TOKEN_GROUPS_MAX);
        expect(new Set(read.groups).size).toBe(read.groups.length);
      }
    }), { numRuns: 2000 });
  });

  test('a watch naming groups with its groups list\'s pointer written over: a watch, an error to answer, or a close', () => {
    const arbPointer = fc.tuple(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }));
    fc.assert(fc.property(arbBinaryId, arbGroups, arbPointer, (id, groups, [low, high]) => {
      const bytes = encodeWatchRequest(id, { match: 'prefix', bytes: utf8('p'), after: null, groups });
      // Our layout: header, root pointer, Request (2 data words, 1 pointer), WatchRequest (1 data word, 3 pointers): groups is its third.
      const at = 8 + 8 + 24 + 8 + 16;
      const view = new DataView(bytes.buffer);
      expect(view.getUint32(at + 4, true)).toBe((groups.length << 3) | 4); // it is the groups pointer
      view.setUint32(at, low, true);
      view.setUint32(at + 4, high, true);
      const read = decodeWatchRequest(bytes, DEFAULT_LIMITS);
      expect(read).not.toBeNull();
      if (read!.op === 'watch') expect(read!.groups === undefined || read!.groups.length <= TOKEN_GROUPS_MAX).toBe(true);
    }), { numRuns: 2000 });
  });

  test('change frames with random bytes written over them decode or throw WireDecodeError', () => {
    fc.assert(fc.property(arbBinaryId, arbChange, arbToken, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
      (id, change, resume, mutation) => {
        const bytes = encodeWatchChange(id, change, resume);
        for (const [at, value] of mutation) bytes[at % bytes.length] = value;
        try {
          decodeWatchResponse(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(WireDecodeError);
        }
      }), { numRuns: 2000 });
  });
});

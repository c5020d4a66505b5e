// core/ring/ring-codec.ts + byte-writer.ts: every Request op and every Reply
// shape survives a ring record, at any offset in a larger buffer, and
// malformed records are refused loudly (they can only come from a bug).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ItemReply, OkReply, Reply, Request } from '../../core/protocol/ops.js';
import { OP_NAMES } from '../../core/protocol/ops.js';
import { ByteReader, ByteWriter } from '../../core/ring/byte-writer.js';
import {
  decodeReplyRecord, decodeRequestRecord, encodeReplyRecord, encodeRequestRecord,
} from '../../core/ring/ring-codec.js';
import { arbErrReply, arbOkReply, arbRequest, arbTxRequest } from '../schema/arbitraries.js';
import { arbCallRequest, arbDataValue } from './arb-data-value.js';
import { plain } from './bytes-helpers.js';

/** The ring carries ItemReply in the shard's shape: found items have value and version, others nothing. */
function canonicalItem(it: ItemReply): ItemReply {
  return it.found ? { found: true, value: it.value ?? new Uint8Array(0), version: it.version ?? 0 } : { found: false };
}
const arbRingOkReply: fc.Arbitrary<OkReply> = fc.oneof(
  arbOkReply.map((r) => (r.items ? { ...r, items: r.items.map(canonicalItem) } : r)),
  arbDataValue.map((data): OkReply => ({ ok: true, data })),
);
const arbFlatRingReply: fc.Arbitrary<Reply> = fc.oneof(arbRingOkReply, arbErrReply);
/** A transaction's reply nests one reply per op. */
const arbRingReply: fc.Arbitrary<Reply> = fc.oneof(
  { weight: 4, arbitrary: arbFlatRingReply },
  { weight: 1, arbitrary: fc.array(arbFlatRingReply, { maxLength: 4 }).map((replies): Reply => ({ ok: true, found: true, replies })) },
);
const arbRingRequest: fc.Arbitrary<Request> = fc.oneof(
  { weight: 8, arbitrary: arbRequest }, { weight: 1, arbitrary: arbTxRequest }, { weight: 1, arbitrary: arbCallRequest },
);

const arbTag = fc.oneof(fc.constantFrom(0, 1, 0xffffffff), fc.nat({ max: 0xffffffff }));
const arbShard = fc.oneof(fc.constantFrom(0, 0xffff), fc.nat({ max: 0xffff }));
/** Where the record sits in a larger buffer (ring records start anywhere 8-aligned, plus the header offset). */
const arbPlacement = fc.record({ before: fc.nat({ max: 64 }), after: fc.nat({ max: 64 }), initialBytes: fc.constantFrom(1, 16, 4096) });

function placed(bytes: Uint8Array, before: number, after: number): Uint8Array {
  const big = new Uint8Array(before + bytes.length + after).fill(0xa5);
  big.set(bytes, before);
  return big;
}

describe('ring codec', () => {
  it('round-trips every request op', () => {
    const seen = new Set<string>();
    fc.assert(fc.property(arbTag, arbShard, arbRingRequest, arbPlacement, (tag, shard, request, { before, after, initialBytes }) => {
      seen.add(request.op);
      const w = new ByteWriter(initialBytes);
      encodeRequestRecord(w, tag, shard, request);
      const buf = placed(w.bytes(), before, after);
      const record = decodeRequestRecord(buf, before, before + w.length);
      expect(record.tag).toBe(tag);
      expect(record.shard).toBe(shard);
      expect(plain(record.request)).toEqual(plain(request));
    }), { numRuns: 1500 });
    expect([...seen].sort()).toEqual([...OP_NAMES].sort());
  });

  it('carries a scan\'s randomSeed (RANDOMKEY) over its whole u32 range', () => {
    fc.assert(fc.property(fc.oneof(fc.constantFrom(0, 0xffffffff), fc.nat({ max: 0xffffffff })), fc.boolean(), (randomSeed, withValues) => {
      const request: Request = { op: 'scan', prefix: Uint8Array.of(1), cursor: new Uint8Array(0), limit: 1, randomSeed };
      if (withValues) request.withValues = true;
      const w = new ByteWriter(16);
      encodeRequestRecord(w, 1, 2, request);
      expect(plain(decodeRequestRecord(w.bytes(), 0, w.length).request)).toEqual(plain(request));
    }));
  });

  it('round-trips every reply shape, copying bytes out of the record', () => {
    fc.assert(fc.property(arbTag, arbRingReply, arbPlacement, (tag, reply, { before, after, initialBytes }) => {
      const w = new ByteWriter(initialBytes);
      encodeReplyRecord(w, tag, reply);
      const buf = placed(w.bytes(), before, after);
      const record = decodeReplyRecord(buf, before, before + w.length);
      buf.fill(0); // the reply outlives its record: nothing may point into ring memory
      expect(record.tag).toBe(tag);
      expect(plain(record.reply)).toEqual(plain(reply));
    }), { numRuns: 1500 });
  });

  it('carries special numbers exactly (NaN, -0, safe-integer extremes, int64 extremes)', () => {
    const reqs: Request[] = [
      { op: 'incrFloat', key: Uint8Array.of(1), delta: -0 },
      { op: 'incrFloat', key: Uint8Array.of(1), delta: Number.MIN_VALUE },
      { op: 'incr', key: Uint8Array.of(1), delta: -(1n << 63n) },
      { op: 'incr', key: Uint8Array.of(1), delta: (1n << 63n) - 1n },
      { op: 'set', key: Uint8Array.of(1), value: new Uint8Array(0), expectedVersion: Number.MAX_SAFE_INTEGER, expireAtMs: 2 ** 53 - 1 },
      { op: 'getRange', key: Uint8Array.of(1), start: -(2 ** 53 - 1), end: 2 ** 53 - 1 },
    ];
    for (const req of reqs) {
      const w = new ByteWriter(8);
      encodeRequestRecord(w, 1, 2, req);
      const back = decodeRequestRecord(w.bytes(), 0, w.length).request;
      expect(back).toEqual(req);
      if (req.op === 'incrFloat') expect(Object.is((back as typeof req).delta, req.delta)).toBe(true);
    }
  });

  it('carries large values (the writer grows; records of MiB size)', () => {
    const value = new Uint8Array(3 * 1024 * 1024);
    for (let i = 0; i < value.length; i += 4093) value[i] = i & 0xff;
    const w = new ByteWriter(16);
    encodeRequestRecord(w, 5, 6, { op: 'set', key: Uint8Array.of(7), value });
    const back = decodeRequestRecord(w.bytes(), 0, w.length).request as Extract<Request, { op: 'set' }>;
    expect(back.value.length).toBe(value.length);
    expect(Buffer.compare(back.value, value)).toBe(0);
    const rw = new ByteWriter(16);
    encodeReplyRecord(rw, 5, { ok: true, found: true, value, version: 3 });
    const reply = decodeReplyRecord(rw.bytes(), 0, rw.length).reply as OkReply;
    expect(Buffer.compare(reply.value!, value)).toBe(0);
  });

  it('refuses truncated and over-long records', () => {
    fc.assert(fc.property(arbRingRequest, fc.nat(), (request, cut) => {
      const w = new ByteWriter();
      encodeRequestRecord(w, 1, 1, request);
      const bytes = w.bytes().slice();
      const end = cut % bytes.length; // strictly shorter than the record
      expect(() => decodeRequestRecord(bytes, 0, end)).toThrow();
      const longer = placed(bytes, 0, 1);
      expect(() => decodeRequestRecord(longer, 0, longer.length)).toThrow(/trailing bytes/);
    }), { numRuns: 300 });
    fc.assert(fc.property(arbRingReply, fc.nat(), (reply, cut) => {
      const w = new ByteWriter();
      encodeReplyRecord(w, 1, reply);
      const bytes = w.bytes().slice();
      expect(() => decodeReplyRecord(bytes, 0, cut % bytes.length)).toThrow();
    }), { numRuns: 300 });
  });

  it('refuses unknown opcodes and error codes', () => {
    const w = new ByteWriter();
    encodeRequestRecord(w, 1, 1, { op: 'count' });
    const bytes = w.bytes().slice();
    bytes[6] = 200; // opcode byte after tag (4) and shard (2)
    expect(() => decodeRequestRecord(bytes, 0, bytes.length)).toThrow(/opcode/);
    const rw = new ByteWriter();
    encodeReplyRecord(rw, 1, { ok: false, code: 'INTERNAL', message: 'x' });
    const reply = rw.bytes().slice();
    reply[5] = 250; // error code byte after tag (4) and ok flag (1)
    expect(() => decodeReplyRecord(reply, 0, reply.length)).toThrow(/error code/);
  });
});

describe('ByteWriter / ByteReader', () => {
  it('write and read back every field type across growth', () => {
    fc.assert(fc.property(
      fc.array(fc.oneof(
        fc.nat({ max: 0xff }).map((v) => ['u8', v] as const),
        fc.nat({ max: 0xffff }).map((v) => ['u16', v] as const),
        fc.nat({ max: 0xffffffff }).map((v) => ['u32', v] as const),
        fc.double().map((v) => ['f64', v] as const),
        fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }).map((v) => ['i64', v] as const),
        fc.uint8Array({ maxLength: 100 }).map((v) => ['bytes', v] as const),
      ), { maxLength: 60 }),
      (fields) => {
        const w = new ByteWriter(1);
        for (const [kind, v] of fields) {
          switch (kind) {
            case 'u8': w.u8(v); break;
            case 'u16': w.u16(v); break;
            case 'u32': w.u32(v); break;
            case 'f64': w.f64(v); break;
            case 'i64': w.i64(v); break;
            case 'bytes': w.bytesField(v); break;
          }
        }
        const r = new ByteReader(placed(w.bytes(), 3, 5), 3, 3 + w.length);
        for (const [kind, v] of fields) {
          switch (kind) {
            case 'u8': expect(r.u8()).toBe(v); break;
            case 'u16': expect(r.u16()).toBe(v); break;
            case 'u32': expect(r.u32()).toBe(v); break;
            case 'f64': expect(Object.is(r.f64(), v)).toBe(true); break;
            case 'i64': expect(r.i64()).toBe(v); break;
            case 'bytes': expect(plain(r.bytesView())).toBe(plain(v)); break;
          }
        }
        expect(r.remaining).toBe(0);
        expect(() => r.u8()).toThrow(RangeError);
      },
    ), { numRuns: 500 });
  });

  it('a length prefix beyond the end is refused, not read past', () => {
    const w = new ByteWriter();
    w.u32(1000);
    w.u8(1);
    const r = new ByteReader(placed(w.bytes(), 0, 2000), 0, w.length);
    expect(() => r.bytesView()).toThrow(RangeError);
  });
});

// The benchmark's own machinery must be right for its numbers to mean
// anything: the histogram's percentiles, the WebSocket framing, and the
// patched request templates. (Benchmarks themselves are never tests.)

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { makeLimits } from '../../core/limits.js';
import { decodeRequest } from '../../schema/binary-codec.js';
import { decodeJsonRequest } from '../../schema/json-codec.js';
import { HISTOGRAM_VALUE_MAX, LatencyHistogram } from '../../bench/histogram.js';
import { OP_GET, OP_SET, RequestWriter, benchValue, keyText } from '../../bench/request-writer.js';
import {
  clientHeaderBytes, encodeClientFrame, FrameProtocolError, OPCODE_BINARY, OPCODE_TEXT, ServerFrameReader, writeClientHeader,
} from '../../bench/ws-frames.js';
import { median } from '../../bench/e2e.js';
import { parseWrkOutput } from '../../bench/wrk-load.js';

/** Relative precision the histogram promises (2 / 128 sub-buckets). */
const PRECISION = 2 / 128;

function exactPercentile(sorted: number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

describe('LatencyHistogram', () => {
  test('percentiles are within the promised precision of the exact ones, and never below', () => {
    fc.assert(fc.property(
      fc.array(fc.integer({ min: 0, max: 5e9 }), { minLength: 1, maxLength: 300 }),
      fc.constantFrom(0, 1, 50, 90, 99, 99.9, 100),
      (values, p) => {
        const h = new LatencyHistogram();
        for (const v of values) h.record(v);
        const sorted = [...values].sort((a, b) => a - b);
        const exact = exactPercentile(sorted, p);
        const got = h.percentile(p);
        expect(got).toBeGreaterThanOrEqual(exact);
        expect(got).toBeLessThanOrEqual(Math.max(exact * (1 + PRECISION), exact + 1));
      },
    ));
  });

  test('small values are exact; count, min, max and mean are exact', () => {
    const h = new LatencyHistogram();
    for (const v of [3, 5, 5, 120, 127]) h.record(v);
    expect(h.percentile(50)).toBe(5);
    expect(h.percentile(100)).toBe(127);
    expect(h.count).toBe(5);
    expect(h.min).toBe(3);
    expect(h.max).toBe(127);
    expect(h.mean).toBeCloseTo((3 + 5 + 5 + 120 + 127) / 5);
  });

  test('values beyond the range clamp instead of throwing; an empty histogram reports 0', () => {
    const h = new LatencyHistogram();
    expect(h.percentile(99)).toBe(0);
    h.record(-5);
    h.record(HISTOGRAM_VALUE_MAX * 4);
    expect(h.count).toBe(2);
    expect(h.min).toBe(0);
    expect(h.percentile(100)).toBe(HISTOGRAM_VALUE_MAX);
  });

  test('merging equals recording everything in one, also across a thread transfer', () => {
    fc.assert(fc.property(
      fc.array(fc.integer({ min: 0, max: 1e8 }), { maxLength: 100 }),
      fc.array(fc.integer({ min: 0, max: 1e8 }), { minLength: 1, maxLength: 100 }),
      (a, b) => {
        const ha = new LatencyHistogram();
        const hb = new LatencyHistogram();
        const all = new LatencyHistogram();
        for (const v of a) { ha.record(v); all.record(v); }
        for (const v of b) { hb.record(v); all.record(v); }
        const merged = LatencyHistogram.fromTransfer(structuredClone(ha.toTransfer()));
        merged.merge(LatencyHistogram.fromTransfer(structuredClone(hb.toTransfer())));
        expect(merged.count).toBe(all.count);
        expect(merged.min).toBe(all.min);
        expect(merged.max).toBe(all.max);
        expect(merged.mean).toBeCloseTo(all.mean);
        for (const p of [1, 50, 99, 100]) expect(merged.percentile(p)).toBe(all.percentile(p));
      },
    ));
  });
});

/** A server frame as a server sends it: unmasked. */
function serverFrame(opcode: number, payload: Uint8Array): Uint8Array {
  const n = payload.length;
  const header = n < 126 ? [0x80 | opcode, n]
    : n <= 0xffff ? [0x80 | opcode, 126, n >> 8, n & 0xff]
      : [0x80 | opcode, 127, 0, 0, 0, 0, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
  const out = new Uint8Array(header.length + n);
  out.set(header);
  out.set(payload, header.length);
  return out;
}

describe('WebSocket framing', () => {
  test('client frames carry FIN, the opcode, the mask bit, the right length form and a zero mask', () => {
    for (const [n, headerBytes] of [[0, 6], [125, 6], [126, 8], [65535, 8], [65536, 14]] as const) {
      const payload = new Uint8Array(n).fill(9);
      const frame = encodeClientFrame(OPCODE_BINARY, payload);
      expect(clientHeaderBytes(n)).toBe(headerBytes);
      expect(frame.length).toBe(headerBytes + n);
      expect(frame[0]).toBe(0x82);
      expect(frame[1]! & 0x80).toBe(0x80);
      const code = frame[1]! & 0x7f;
      const length = code < 126 ? code
        : code === 126 ? (frame[2]! << 8) | frame[3]!
          : new DataView(frame.buffer).getUint32(6);
      expect(length).toBe(n);
      expect([...frame.subarray(headerBytes - 4, headerBytes)]).toEqual([0, 0, 0, 0]);
      expect(Buffer.from(frame.subarray(headerBytes)).equals(payload)).toBe(true);
    }
    const out = new Uint8Array(16);
    expect(writeClientHeader(out, 3, OPCODE_TEXT, 10)).toBe(3 + 6);
    expect(out[3]).toBe(0x81);
  });

  test('the reader finds every frame whatever the chunk boundaries', () => {
    fc.assert(fc.property(
      fc.array(fc.record({ opcode: fc.constantFrom(OPCODE_TEXT, OPCODE_BINARY), size: fc.constantFrom(0, 1, 125, 126, 200, 65535, 65536, 70000) }), { minLength: 1, maxLength: 6 }),
      fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 20 }),
      (specs, cuts) => {
        const frames = specs.map((s, i) => ({ opcode: s.opcode, payload: new Uint8Array(s.size).fill(i + 1) }));
        const stream = Buffer.concat(frames.map((f) => serverFrame(f.opcode, f.payload)));
        const got: { opcode: number; payload: Uint8Array }[] = [];
        const reader = new ServerFrameReader((opcode, payload) => got.push({ opcode, payload: payload.slice() }));
        let pos = 0;
        let c = 0;
        while (pos < stream.length) {
          const next = Math.min(stream.length, pos + cuts[c++ % cuts.length]!);
          reader.push(stream.subarray(pos, next));
          pos = next;
        }
        expect(got.length).toBe(frames.length);
        got.forEach((g, i) => {
          expect(g.opcode).toBe(frames[i]!.opcode);
          expect(Buffer.from(g.payload).equals(Buffer.from(frames[i]!.payload))).toBe(true);
        });
      },
    ), { numRuns: 50 });
  });

  test('masked, fragmented or reserved-bit server frames are protocol errors', () => {
    const reader = new ServerFrameReader(() => {});
    expect(() => reader.push(new Uint8Array([0x82, 0x80 | 1, 0, 0, 0, 0, 7]))).toThrow(FrameProtocolError);
    expect(() => new ServerFrameReader(() => {}).push(new Uint8Array([0x02, 1, 7]))).toThrow(/fragmented/);
    expect(() => new ServerFrameReader(() => {}).push(new Uint8Array([0xc2, 1, 7]))).toThrow(/reserved/);
  });
});

describe('RequestWriter', () => {
  const limits = makeLimits();
  const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

  for (const format of ['binary', 'json'] as const) {
    test(`${format}: every written frame decodes to the request it stands for, with its id`, () => {
      const writer = new RequestWriter({ format, keyspace: 100_000, valueBytes: 100 });
      const out = Buffer.alloc(writer.frameBytesMax * 4);
      fc.assert(fc.property(
        fc.constantFrom(OP_GET, OP_SET),
        fc.integer({ min: 0, max: 99_999 }),
        fc.integer({ min: 1, max: 2 ** 40 }),
        fc.integer({ min: 0, max: writer.frameBytesMax * 3 }),
        (op, keyIndex, id, offset) => {
          const end = writer.write(out, offset, op, id, keyIndex);
          expect(end - offset).toBeLessThanOrEqual(writer.frameBytesMax);
          // Parse the client frame header back (mask key is zero, so the payload is plain).
          const code = out[offset + 1]! & 0x7f;
          expect(out[offset]).toBe(format === 'binary' ? 0x82 : 0x81);
          const headerBytes = (code < 126 ? 2 : 4) + 4;
          const length = code < 126 ? code : out.readUInt16BE(offset + 2);
          expect(end - offset).toBe(headerBytes + length);
          const payload = out.subarray(offset + headerBytes, end);
          const key = utf8(keyText(keyIndex, 6));
          const expected = op === OP_GET ? { op: 'get', key } : { op: 'set', key, value: utf8(benchValue(100)) };
          if (format === 'binary') {
            const decoded = decodeRequest(payload, limits);
            expect(decoded.ok && decoded.id).toBe(BigInt(id));
            expect(decoded.ok && decoded.request).toEqual(expected);
          } else {
            const decoded = decodeJsonRequest(payload.toString('utf8'), limits);
            expect(decoded.ok && decoded.id).toBe(id);
            expect(decoded.ok && decoded.request).toEqual(expected);
          }
        },
      ), { numRuns: 200 });
    });
  }

  test('keys widen past six digits for large keyspaces', () => {
    const writer = new RequestWriter({ format: 'binary', keyspace: 10_000_000, valueBytes: 10 });
    expect(writer.digits).toBe(7);
    expect(keyText(42, writer.digits)).toBe('key:0000042');
  });
});

test('median of odd and even counts', () => {
  expect(median([3, 1, 2])).toBe(2);
  expect(median([4, 1, 3, 2])).toBe(2.5);
  expect(median([])).toBeNaN();
});

test('wrk output: requests per second, percentiles in ms whatever unit wrk chose, and errors counted', () => {
  const out = `Running 2s test @ http://127.0.0.1:7791
  1 threads and 10 connections
  Latency Distribution
     50%  612.00us
     75%    1.02ms
     90%    2.10ms
     99%    1.20s
  2590 requests in 2.01s, 150.00KB read
  Socket errors: connect 0, read 1, write 0, timeout 2
  Non-2xx or 3xx responses: 4
Requests/sec:   1289.80
Transfer/sec:     74.63KB
`;
  expect(parseWrkOutput(out)).toEqual({ rps: 1289.8, requests: 2590, p50Ms: 0.612, p99Ms: 1200, errors: 7 });
});

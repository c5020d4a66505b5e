// Log entry payloads round-trip: every write request, expiry sweeps, and the
// empty no-op, with their timestamps.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeEntryPayload, encodeEntryPayload, ENTRY_ENCODER_BUFFER_BYTES, EntryEncoder } from '../../../core/replica/entry-codec.js';
import { ByteWriter } from '../../../core/ring/byte-writer.js';
import { isWriteRequest, type Command } from '../../../core/shard/command.js';
import { decodeConfChange, encodeConfChange } from '../../../core/replica/shard-replica.js';
import { arbKey, arbRequest } from '../../schema/arbitraries.js';

const arbTimestamp = fc.integer({ min: 0, max: 2 ** 47 });

function roundTrip(timestampMs: number, command: Command): unknown {
  const w = new ByteWriter(64);
  encodeEntryPayload(w, timestampMs, command);
  // A copy, as Raft keeps it: nothing may point into the writer's buffer.
  return decodeEntryPayload(w.bytes().slice(), 0);
}

describe('log entry payload', () => {
  it('round-trips every write request with its timestamp', () => {
    fc.assert(fc.property(arbTimestamp, arbRequest.filter(isWriteRequest), (timestampMs, request) => {
      expect(roundTrip(timestampMs, request as Command)).toEqual({ timestampMs, command: request });
    }));
  });

  it('round-trips expiry sweeps', () => {
    fc.assert(fc.property(arbTimestamp, fc.array(fc.record({ key: arbKey, expireAtMs: arbTimestamp }), { maxLength: 20 }), (timestampMs, keys) => {
      expect(roundTrip(timestampMs, { op: 'expireKeys', keys })).toEqual({ timestampMs, command: { op: 'expireKeys', keys } });
    }));
  });

  it('reads the empty payload as a no-op at the given time', () => {
    expect(decodeEntryPayload(new Uint8Array(0), 42)).toEqual({ timestampMs: 42, command: { op: 'noop' } });
  });

  it('refuses an unknown format', () => {
    expect(() => decodeEntryPayload(new Uint8Array([9, 1, 0, 0, 0, 0, 0, 0, 0, 0]), 0)).toThrow(/unknown log entry format/);
  });

  it('round-trips membership changes', () => {
    for (const kind of ['addVoter', 'addLearner', 'remove'] as const) {
      expect(decodeConfChange(encodeConfChange({ kind, replica: 4_000_000_000 }))).toEqual({ kind, replica: 4_000_000_000 });
    }
  });
});

describe('EntryEncoder', () => {
  it('hands out views that later entries never overwrite, small and large, across many buffers', () => {
    const encoder = new EntryEncoder();
    const kept: { bytes: Uint8Array; timestampMs: number; command: Command }[] = [];
    const buffers = new Set<ArrayBufferLike>();
    for (let i = 0; i < 3000; i++) {
      // Mostly small values, some larger than a shared buffer's share, a few larger than a whole buffer.
      const size = i % 97 === 0 ? ENTRY_ENCODER_BUFFER_BYTES + i : i % 13 === 0 ? 9000 : i % 200;
      const command: Command = { op: 'set', key: new TextEncoder().encode(`k${i}`), value: new Uint8Array(size).fill(i & 0xff) };
      const bytes = encoder.encode(1000 + i, command);
      buffers.add(bytes.buffer);
      kept.push({ bytes, timestampMs: 1000 + i, command });
    }
    for (const { bytes, timestampMs, command } of kept) expect(decodeEntryPayload(bytes, 0)).toEqual({ timestampMs, command });
    // Small entries share buffers (no ArrayBuffer each), large ones do not pin a shared one.
    expect(buffers.size).toBeLessThan(kept.length / 4);
  });
});

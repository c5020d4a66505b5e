// Log entry payloads round-trip: every write request, expiry sweeps, and the
// empty no-op, with their timestamps.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeEntryPayload, encodeEntryPayload } from '../../../core/replica/entry-codec.js';
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

// The storage engine against MemoryRaftStorage (the model): random
// sequences of appends (overwriting tails too), hard states, snapshots,
// syncs and crashes over a simulated disk that loses and tears unsynced
// writes; a crash is injected at every mutating file-system call in turn,
// and recovery must equal the model's synced state (for a crash inside a
// sync: the state before or after that sync).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StoredRaftState } from '../../core/raft/raft-storage.js';
import type { SyncMode } from '../../core/storage/log-storage.js';
import { applyOp, describeDifference, newHarness, reopen, runWithCrashAt, SMALL_SEGMENT_OPTIONS, storageOpArb } from './storage-ops.js';

describe('log storage against the in-memory model', () => {
  it('recovers exactly the synced state after crashes between operations', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 1e9 }), fc.array(storageOpArb, { minLength: 1, maxLength: 60 }), (seed, ops) => {
      const h = newHarness(seed);
      for (const op of ops) {
        const recovered = applyOp(h, op);
        if (recovered) expect(describeDifference(recovered, h.synced)).toBeNull();
      }
    }), { numRuns: 150 });
  });

  it('recovers the synced state (before or after the sync in progress) for a crash at every file-system call', () => {
    let points = 0;
    fc.assert(fc.property(fc.integer({ min: 0, max: 1e9 }), fc.array(storageOpArb, { minLength: 1, maxLength: 30 }), (seed, ops) => {
      const clean = runWithCrashAt(seed, ops, null);
      expect(clean.mismatches).toEqual([]);
      expect(describeDifference(clean.recovered, clean.allowed[0]!)).toBeNull();
      const calls = countCalls(seed, ops);
      for (let crashAt = 1; crashAt <= calls; crashAt++) {
        const run = runWithCrashAt(seed + crashAt, ops, crashAt);
        expect(run.mismatches).toEqual([]);
        const diffs = run.allowed.map((s) => describeDifference(run.recovered, s));
        if (!diffs.includes(null)) throw new Error(`crash at call ${crashAt}: ${diffs.join('\n or ')}`);
        points++;
      }
    }), { numRuns: 40 });
    expect(points).toBeGreaterThan(500);
  });
});

describe("'batch' and 'never' modes", () => {
  it('keep every sync across a process crash, and a sync at or after the last flush across a power loss', () => {
    const outcomes = { exact: 0, older: 0 };
    const modes: SyncMode[] = [{ kind: 'batch', intervalMs: 10 }, { kind: 'never' }];
    fc.assert(fc.property(fc.integer({ min: 0, max: 1e9 }), fc.array(storageOpArb, { minLength: 1, maxLength: 40 }), fc.constantFrom(...modes), fc.boolean(), (seed, ops, syncMode, powerLoss) => {
      const clock = { nowMs: 0 };
      const h = newHarness(seed, { ...SMALL_SEGMENT_OPTIONS, syncMode, nowMs: () => clock.nowMs });
      const syncedStates: StoredRaftState[] = [h.synced];
      let flushedAt = 0;
      for (const op of ops) {
        if (op.kind === 'crash') continue;
        clock.nowMs += 3;
        applyOp(h, op);
        h.storage.flushIfDue();
        if (op.kind === 'sync') syncedStates.push(h.synced);
        if (h.storage.flushed) flushedAt = syncedStates.length - 1;
      }
      if (powerLoss) h.disk.crash();
      else h.disk.processCrash();
      const recovered = reopen(h);
      const latest = describeDifference(recovered, syncedStates[syncedStates.length - 1]!);
      if (!powerLoss) {
        expect(latest).toBeNull();
        outcomes.exact++;
        return;
      }
      const matches = syncedStates.slice(flushedAt).some((s) => describeDifference(recovered, s) === null);
      if (!matches) throw new Error(`after a power loss the state is none of the syncs since the last flush (${flushedAt}): ${latest}`);
      if (latest === null) outcomes.exact++;
      else outcomes.older++;
    }), { numRuns: 200 });
    expect(outcomes.older).toBeGreaterThan(5);
  });
});

function countCalls(seed: number, ops: Parameters<typeof runWithCrashAt>[1]): number {
  const h = newHarness(seed);
  const before = 0;
  for (const op of ops) applyOp(h, op);
  return h.disk.calls.mutating - before;
}

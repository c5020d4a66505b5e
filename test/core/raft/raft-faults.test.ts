// Raft under random faults, seed by seed, and the mutation suite: each
// classic bug, planted on purpose, must be caught within a bounded number of seeds.

import { describe, expect, it } from 'vitest';
import { runFaultSeed, runFlappingPartition, type FaultRunOptions } from './raft-faults.js';

const SEEDS = 150;

function firstFailure(options: Omit<FaultRunOptions, 'seed'>, seeds: number): { seed: number; error: string } | null {
  for (let seed = 1; seed <= seeds; seed++) {
    const result = runFaultSeed({ ...options, seed });
    if (!result.ok) return { seed, error: result.error };
  }
  return null;
}

describe('raft under faults', () => {
  it(`keeps every invariant, loses no acknowledged write and recovers, over ${SEEDS} seeds of 3 replicas`, () => {
    let acknowledged = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const result = runFaultSeed({ seed });
      if (!result.ok) throw new Error(`seed ${seed}: ${result.error}`);
      acknowledged += result.acknowledged;
    }
    expect(acknowledged).toBeGreaterThan(SEEDS * 20);
  });

  it(`and with snapshots sent in chunks of 16 bytes (four in flight, resent after losses), over ${SEEDS} seeds`, () => {
    let chunked = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const result = runFaultSeed({ seed, snapshotChunkBytes: 16 });
      if (!result.ok) throw new Error(`seed ${seed}: ${result.error}`);
      chunked += result.snapshotChunks;
    }
    // The runs do send snapshots, and in many chunks.
    expect(chunked).toBeGreaterThan(SEEDS);
  });

  it(`and with writes synced in the background (group commit overlapping the next batch), over ${SEEDS} seeds`, () => {
    let acknowledged = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const result = runFaultSeed({ seed, backgroundSync: true });
      if (!result.ok) throw new Error(`seed ${seed}: ${result.error}`);
      acknowledged += result.acknowledged;
    }
    expect(acknowledged).toBeGreaterThan(SEEDS * 20);
  });

  it('and a lone replica syncing in the background: nothing acknowledged before its sync is lost to a crash', () => {
    let acknowledged = 0;
    for (let seed = 1; seed <= 100; seed++) {
      const result = runFaultSeed({ seed, voters: 1, backgroundSync: true });
      if (!result.ok) throw new Error(`seed ${seed}: ${result.error}`);
      acknowledged += result.acknowledged;
    }
    expect(acknowledged).toBeGreaterThan(100 * 20);
  });

  it('and with 5 replicas', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const result = runFaultSeed({ seed, voters: 5 });
      if (!result.ok) throw new Error(`seed ${seed}: ${result.error}`);
    }
  });
});

describe('mutation suite: planted bugs are caught', () => {
  const planted: [string, Omit<FaultRunOptions, 'seed'>, number][] = [
    ['no no-op at term start', { bugs: { noNoopAtTermStart: true } }, 100],
    ['reads served by the leader without ReadIndex', { bugs: { readWithoutReadIndex: true } }, 100],
    ['messages sent before their entries are persisted', { plantedBugSendBeforeSync: true }, 300],
    ['votedFor forgotten on restart', { forgetVoteOnRestart: true }, 300],
    ['background sync: messages sent before their sync', { backgroundSync: true, plantedBugSendBeforeSync: true }, 300],
    // A lone replica: with peers, its appends wait for its own sync, so no follower can ack an entry before the
    // leader has it durably, and counting itself early changes nothing (tried: 4,000 seeds of 3 and 5 voters).
    ['background sync: a lone leader told its entries are persisted before their sync', { voters: 1, backgroundSync: true, plantedBugPersistedBeforeSync: true }, 30],
    ['a follower truncating entries that matched', { bugs: { followerTruncatesAll: true } }, 100],
    // First caught at seed 3 (a read below an acknowledged write) and 1 (the window's byte check), 2026-12-02.
    ['a read arriving while a ReadIndex round is out joins that round', { bugs: { readJoinsRoundInFlight: true } }, 30],
    ['the in-flight window freeing an append\'s bytes twice', { bugs: { inflightDoubleFree: true } }, 30],
    // First caught at seed 74 (a snapshot that does not parse), 2026-12-03.
    ['a snapshot chunk added to the transfer in progress although it is of another snapshot', { bugs: { snapshotChunkOfAnotherSnapshot: true }, snapshotChunkBytes: 16 }, 300],
  ];
  // Commit of an old-term entry by counting replicas needs the exact schedule of
  // thesis figure 3.7, which random faults did not reach in 2,000 seeds; it is
  // caught by the directed schedule in raft.test.ts ("thesis figure 3.7").
  for (const [name, options, seeds] of planted) {
    it(`${name}: caught within ${seeds} seeds`, () => {
      const failure = firstFailure(options, seeds);
      expect(failure, `${name} was never caught`).not.toBeNull();
    });
  }

  it('pre-vote off under a flapping partition: the healthy majority loses its leader again and again (liveness)', () => {
    let withPreVote = 0;
    let withoutPreVote = 0;
    for (let seed = 1; seed <= 10; seed++) {
      withPreVote += runFlappingPartition(seed, true);
      withoutPreVote += runFlappingPartition(seed, false);
    }
    expect(withPreVote).toBe(0);
    expect(withoutPreVote).toBeGreaterThan(20);
  });
});

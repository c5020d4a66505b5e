// Raft.ticksUntilDue (core/raft/raft.ts): the ticks before it only count, so
// a driver may hold them back and give them all at once (the simulator's
// workers do, runtime-sim/sim-node.ts); the due tick is where something
// happens. Checked against a replica ticked one tick at a time, for
// followers (election timeout), leaders (heartbeats on the aligned phase,
// check-quorum) and learners (never due).

import { describe, expect, it } from 'vitest';
import { Random } from '../../../core/random.js';
import { DEFAULT_RAFT_TUNING, Raft, type RaftTuning } from '../../../core/raft/raft.js';
import { EMPTY_HARD_STATE, type Membership } from '../../../core/raft/raft-types.js';

function replica(seed: number, membership: Membership = { voters: [1, 2, 3], learners: [] }, tuning: Partial<RaftTuning> = {}): Raft {
  return new Raft({ id: 1, ...DEFAULT_RAFT_TUNING, ...tuning, random: Random.fromSeed(seed) },
    { hardState: EMPTY_HARD_STATE, snapshot: null, entries: [], membership });
}

/** Ticks `raft` until it emits a message or changes role; returns how many ticks that took (cap: 1,000). */
function ticksUntilSomething(raft: Raft): number {
  const role = raft.role;
  for (let t = 1; t <= 1000; t++) {
    raft.tick();
    if (raft.messages.length > 0 || raft.role !== role) return t;
  }
  return Number.POSITIVE_INFINITY;
}

/** Makes replica 1 leader of its three-voter group by granting its votes. */
function elect(raft: Raft): void {
  ticksUntilSomething(raft); // pre-vote
  for (const from of [2, 3]) raft.step({ type: 'voteResponse', from, to: 1, term: raft.term + 1, preVote: true, granted: true });
  for (const from of [2, 3]) raft.step({ type: 'voteResponse', from, to: 1, term: raft.term, preVote: false, granted: true });
  expect(raft.role).toBe('leader');
  raft.messages = [];
}

describe('Raft.ticksUntilDue', () => {
  it('a follower campaigns exactly on its due tick, over many seeds', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const raft = replica(seed);
      const due = raft.ticksUntilDue();
      expect(due).toBeGreaterThanOrEqual(DEFAULT_RAFT_TUNING.electionTicks);
      expect(ticksUntilSomething(raft)).toBe(due);
    }
  });

  it('after a heartbeat resets the timer, the due tick moves with it', () => {
    const raft = replica(7);
    for (let t = 0; t < 5; t++) raft.tick();
    raft.step({ type: 'heartbeat', from: 2, to: 1, term: 1, commit: 0, context: 0 });
    raft.messages = [];
    const due = raft.ticksUntilDue();
    expect(ticksUntilSomething(raft)).toBe(due);
  });

  it.each([1, 3])('a leader (heartbeat every %i ticks): nothing before each due tick, a heartbeat at least every interval', (heartbeatTicks) => {
    const raft = replica(3, undefined, { heartbeatTicks });
    elect(raft);
    let sinceHeartbeat = 0;
    for (let round = 0; round < 40; round++) {
      // Followers answer, so check-quorum keeps the leader.
      raft.step({ type: 'heartbeatResponse', from: 2, to: 1, term: raft.term, context: 0 });
      raft.messages = [];
      const due = raft.ticksUntilDue();
      expect(due).toBeLessThanOrEqual(heartbeatTicks);
      for (let t = 1; t < due; t++) {
        raft.tick();
        expect(raft.messages).toEqual([]);
      }
      raft.tick();
      sinceHeartbeat += due;
      if (raft.messages.some((m) => m.type === 'heartbeat')) sinceHeartbeat = 0;
      expect(sinceHeartbeat).toBeLessThan(heartbeatTicks);
      expect(raft.role).toBe('leader');
    }
  });

  it('a leader that hears from no one steps down on a due tick', () => {
    const raft = replica(4);
    elect(raft);
    let ticks = 0;
    while (raft.role === 'leader' && ticks < 100) {
      const due = raft.ticksUntilDue();
      for (let t = 1; t < due; t++) {
        raft.tick();
        expect(raft.role).toBe('leader'); // nothing happens before the due tick
      }
      raft.tick();
      raft.messages = [];
      ticks += due;
    }
    expect(raft.role).toBe('follower');
    // The first check-quorum round clears the activity marks of the election; the second finds none.
    expect(ticks).toBe(2 * DEFAULT_RAFT_TUNING.electionTicks);
  });

  it('a learner is never due', () => {
    const raft = replica(5, { voters: [2, 3], learners: [1] });
    expect(raft.ticksUntilDue()).toBe(Number.POSITIVE_INFINITY);
    expect(ticksUntilSomething(raft)).toBe(Number.POSITIVE_INFINITY);
  });
});

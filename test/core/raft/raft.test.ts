// Raft scenarios, each driven step by step through a deterministic cluster
// whose invariants are checked after every step (raft-cluster.ts).

import { describe, expect, it } from 'vitest';
import { RaftCluster } from './raft-cluster.js';

describe('raft', () => {
  it('a group of one elects itself and commits without waiting for anyone', () => {
    const c = new RaftCluster({ seed: 1, voters: 1 });
    const lead = c.settle();
    expect(lead).toBe(1);
    expect(c.propose(1, 'a')).toBe(true);
    expect(c.get(1).state).toEqual(['a']);
    expect(c.acknowledged.has('a')).toBe(true);
  });

  it('three replicas elect one leader, replicate and apply the same commands', () => {
    const c = new RaftCluster({ seed: 2, voters: 3 });
    const lead = c.settle();
    for (let i = 0; i < 20; i++) c.propose(lead, `x${i}`);
    c.deliverAll();
    c.tickAll();
    c.deliverAll();
    for (const id of [1, 2, 3]) expect(c.get(id).state).toEqual(Array.from({ length: 20 }, (_, i) => `x${i}`));
  });

  it('a follower refuses proposals and names the leader', () => {
    const c = new RaftCluster({ seed: 3, voters: 3 });
    const lead = c.settle();
    const follower = [1, 2, 3].find((id) => id !== lead)!;
    const result = c.node(follower).propose(new Uint8Array([1]));
    expect(result).toEqual({ ok: false, reason: 'notLeader', leader: lead });
  });

  it('pipelines appends: many proposals go out before any acknowledgement', () => {
    const c = new RaftCluster({ seed: 4, voters: 3 });
    const lead = c.settle();
    c.propose(lead, 'warm');
    c.deliverAll();
    for (let i = 0; i < 10; i++) c.propose(lead, `p${i}`);
    const appends = c.inFlight.filter((m) => m.type === 'append' && m.entries.length > 0);
    expect(appends.length).toBeGreaterThanOrEqual(10 * 2 - 2);
  });

  it('an append carries at most appendEntriesMax entries, however small they are', () => {
    const c = new RaftCluster({ seed: 4, voters: 3, tuning: { appendEntriesMax: 8 } });
    const lead = c.settle();
    const follower = [1, 2, 3].find((id) => id !== lead)!;
    c.crash(follower);
    for (let i = 0; i < 100; i++) c.propose(lead, `t${i}`);
    c.deliverAll();
    c.restart(follower);
    let largest = 0;
    for (let t = 0; t < 30; t++) {
      c.tickAll();
      while (c.inFlight.length > 0) {
        const m = c.inFlight[0]!;
        if (m.type === 'append') largest = Math.max(largest, m.entries.length);
        c.deliver(0);
      }
    }
    expect(largest).toBe(8);
    expect(c.get(follower).state).toHaveLength(100);
  });

  it('with pre-vote, a replica back from a partition does not depose the leader', () => {
    const c = new RaftCluster({ seed: 5, voters: 3 });
    const lead = c.settle();
    const loner = [1, 2, 3].find((id) => id !== lead)!;
    const term = c.node(lead).status().term;
    c.partition([[loner], [1, 2, 3].filter((id) => id !== loner)]);
    for (let t = 0; t < 100; t++) { c.tickAll(); c.deliverAll(); }
    expect(c.node(loner).status().term).toBe(term); // pre-votes changed no term
    c.heal();
    for (let t = 0; t < 30; t++) { c.tickAll(); c.deliverAll(); }
    expect(c.leader()).toBe(lead);
    expect(c.node(lead).status().term).toBe(term);
  });

  it('without pre-vote, the same rejoin bumps the term (what pre-vote prevents)', () => {
    const c = new RaftCluster({ seed: 5, voters: 3, preVote: false });
    const lead = c.settle();
    const loner = [1, 2, 3].find((id) => id !== lead)!;
    const term = c.node(lead).status().term;
    c.partition([[loner], [1, 2, 3].filter((id) => id !== loner)]);
    for (let t = 0; t < 100; t++) { c.tickAll(); c.deliverAll(); }
    expect(c.node(loner).status().term).toBeGreaterThan(term + 3);
  });

  it('check-quorum: a leader cut off from the majority steps down', () => {
    const c = new RaftCluster({ seed: 6, voters: 3 });
    const lead = c.settle();
    c.partition([[lead], [1, 2, 3].filter((id) => id !== lead)]);
    for (let t = 0; t < 40; t++) { c.tickAll(); c.deliverAll(); }
    expect(c.node(lead).status().role).not.toBe('leader');
    const next = c.leader();
    expect(next).not.toBeNull();
    expect(next).not.toBe(lead);
  });

  it('ReadIndex: the leader confirms leadership with a heartbeat round; an isolated one cannot', () => {
    const c = new RaftCluster({ seed: 7, voters: 3 });
    const lead = c.settle();
    c.propose(lead, 'v1');
    c.deliverAll();
    c.readIndex(lead, 42);
    expect(c.get(lead).reads.has(42)).toBe(false); // needs the heartbeat round first
    c.deliverAll();
    expect(c.get(lead).reads.get(42)).toBe(c.node(lead).status().commit);

    c.partition([[lead], [1, 2, 3].filter((id) => id !== lead)]);
    c.readIndex(lead, 43);
    c.deliverAll();
    expect(c.get(lead).reads.has(43)).toBe(false);
    for (let t = 0; t < 40; t++) { c.tickAll(); c.deliverAll(); }
    expect(c.get(lead).reads.get(43)).toBe(0); // abandoned when it stepped down: retry
  });

  it('ReadIndex from a follower goes through the leader', () => {
    const c = new RaftCluster({ seed: 8, voters: 3 });
    const lead = c.settle();
    c.propose(lead, 'v1');
    c.deliverAll();
    const follower = [1, 2, 3].find((id) => id !== lead)!;
    c.readIndex(follower, 7);
    c.deliverAll();
    expect(c.get(follower).reads.get(7)).toBeGreaterThanOrEqual(2);
  });

  it('transfers leadership to a chosen voter', () => {
    const c = new RaftCluster({ seed: 9, voters: 3 });
    const lead = c.settle();
    const target = [1, 2, 3].find((id) => id !== lead)!;
    expect(c.node(lead).transferLeadership(target)).toBe(true);
    c.process(lead);
    c.deliverAll();
    expect(c.leader()).toBe(target);
    expect(c.propose(lead, 'refused')).toBe(false);
  });

  it('catches up a follower that fell behind the compacted log with a snapshot', () => {
    const c = new RaftCluster({ seed: 10, voters: 3, snapshotEvery: 10, snapshotKeep: 2 });
    const lead = c.settle();
    const slow = [1, 2, 3].find((id) => id !== lead)!;
    c.crash(slow);
    for (let i = 0; i < 50; i++) { c.propose(lead, `s${i}`); c.deliverAll(); }
    expect(c.node(lead).raft.log.firstIndex()).toBeGreaterThan(10);
    c.restart(slow);
    for (let t = 0; t < 20; t++) { c.tickAll(); c.deliverAll(); }
    expect(c.get(slow).state).toEqual(c.get(lead).state);
    expect(c.get(slow).state).toHaveLength(50);
  });

  it('adds a learner, promotes it to voter, and removes an old voter', () => {
    const c = new RaftCluster({ seed: 11, voters: 3, spares: 1 });
    const lead = c.settle();
    for (let i = 0; i < 5; i++) c.propose(lead, `m${i}`);
    c.deliverAll();
    expect(c.proposeConfChange(lead, { kind: 'addLearner', replica: 4 })).toBe(true);
    expect(c.proposeConfChange(lead, { kind: 'addVoter', replica: 4 })).toBe(false); // one change at a time
    for (let t = 0; t < 5; t++) { c.tickAll(); c.deliverAll(); }
    expect(c.get(4).state).toEqual(c.get(lead).state);
    expect(c.node(lead).status().membership.learners).toEqual([4]);
    expect(c.proposeConfChange(lead, { kind: 'addVoter', replica: 4 })).toBe(true);
    for (let t = 0; t < 5; t++) { c.tickAll(); c.deliverAll(); }
    expect(c.node(lead).status().membership.voters).toContain(4);
    const removed = [1, 2, 3].find((id) => id !== lead)!;
    expect(c.proposeConfChange(lead, { kind: 'remove', replica: removed })).toBe(true);
    for (let t = 0; t < 5; t++) { c.tickAll(); c.deliverAll(); }
    expect(c.node(lead).status().membership.voters).not.toContain(removed);
    expect(c.propose(lead, 'after')).toBe(true);
    c.deliverAll();
    // Followers learn a commit with the next append or heartbeat (no empty append broadcasts it): one tick.
    c.tickAll();
    c.deliverAll();
    expect(c.get(4).state).toContain('after');
  });

  it('a leader that removes itself steps down and the rest elect a new one', () => {
    const c = new RaftCluster({ seed: 12, voters: 3 });
    const lead = c.settle();
    expect(c.proposeConfChange(lead, { kind: 'remove', replica: lead })).toBe(true);
    c.deliverAll();
    expect(c.node(lead).status().role).not.toBe('leader');
    for (let t = 0; t < 60 && (c.leader() === null || c.leader() === lead); t++) { c.tickAll(); c.deliverAll(); }
    const next = c.leader();
    expect(next).not.toBeNull();
    expect(next).not.toBe(lead);
  });

  it('a restarted replica keeps its term, vote and log', () => {
    const c = new RaftCluster({ seed: 13, voters: 3 });
    const lead = c.settle();
    for (let i = 0; i < 5; i++) c.propose(lead, `r${i}`);
    c.deliverAll();
    const before = c.node(lead).status();
    c.crash(lead);
    c.restart(lead);
    const after = c.node(lead).status();
    expect(after.term).toBe(before.term);
    expect(after.lastIndex).toBe(before.lastIndex);
    expect(c.node(lead).raft.vote).toBe(lead);
  });
});

/**
 * Thesis figure 3.7 ("figure 8" of the Raft paper), driven step by step: an
 * entry of an old term reaches a majority under a newer leader, and a replica
 * holding a conflicting entry of a higher term can still win an election. A
 * leader that commits the old entry by counting replicas lets it be
 * overwritten; Raft commits only entries of the current term.
 */
function figure8(seed: number, bugs: { commitOldTermByCounting?: boolean; noNoopAtTermStart?: boolean }): { error: string | null; leaderCommitted: boolean } {
  const c = new RaftCluster({ seed, voters: 5, bugs });
  const others = (...ids: number[]): number[] => [1, 2, 3, 4, 5].filter((id) => !ids.includes(id));
  const runTicks = (n: number): void => { for (let t = 0; t < n; t++) { c.tickAll(); c.deliverAll(); } };
  try {
    const a = c.settle();
    c.propose(a, 'base');
    c.deliverAll();
    const b = others(a)[0]!;
    // (a) A's entry x reaches only B.
    c.partition([[a, b], others(a, b)]);
    c.propose(a, 'x');
    c.deliverAll();
    const xIndex = c.node(a).status().lastIndex;
    // (b) The other three elect one of them, C, which appends y at the same index and is cut off at once.
    const group = others(a, b);
    const inGroup = (): number | undefined => group.find((id) => c.node(id).status().role === 'leader');
    for (let t = 0; t < 200 && inGroup() === undefined; t++) {
      for (const id of group) c.tick(id);
      c.deliverAll();
    }
    const cc = inGroup()!;
    const [d, e] = group.filter((id) => id !== cc) as [number, number];
    c.partition([[cc], [a, b, d, e]]);
    c.propose(cc, 'y');
    c.inFlight = [];
    expect(c.node(cc).status().lastIndex).toBe(xIndex);
    // (c) A (or B) wins the next term and replicates x to D: a majority holds x, from an old term.
    runTicks(60);
    const lead = c.leader()!;
    if (lead !== a && lead !== b) return { error: null, leaderCommitted: false }; // this seed took another path
    runTicks(3);
    const leaderCommitted = c.node(lead).status().commit >= xIndex;
    // (d) The leader is cut off before any entry of its term spreads; C returns and wins.
    c.partition([[lead], others(lead)]);
    c.crash(lead);
    runTicks(150);
    c.heal();
    c.restart(lead);
    runTicks(60);
    return { error: null, leaderCommitted };
  } catch (error) {
    return { error: (error as Error).message.slice(0, 400), leaderCommitted: true };
  }
}

describe('raft: thesis figure 3.7', () => {
  const SEEDS = 40;

  it('a leader never commits an old-term entry by counting replicas', () => {
    for (let seed = 1; seed <= SEEDS; seed++) {
      const result = figure8(seed, { noNoopAtTermStart: true });
      expect(result.error, `seed ${seed}`).toBeNull();
      expect(result.leaderCommitted, `seed ${seed}`).toBe(false);
    }
  });

  it(`the planted bug (commit by counting) lets a committed entry be overwritten, caught within ${SEEDS} seeds`, () => {
    const caught = Array.from({ length: SEEDS }, (_, i) => figure8(i + 1, { commitOldTermByCounting: true, noNoopAtTermStart: true }))
      .filter((r) => r.error !== null);
    expect(caught.length).toBeGreaterThan(0);
    expect(caught[0]!.error).toMatch(/committed/);
  });
});

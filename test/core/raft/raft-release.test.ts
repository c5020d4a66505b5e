// What Raft keeps in memory (raft-log.ts compact, Raft.releaseApplied): a
// leader releases the entries it applied and every other member holds; a
// group alone keeps no snapshot bytes; a member that needs released entries
// gets a snapshot the application makes on demand (Raft.snapshotWanted).
// Driven through the deterministic cluster of raft-cluster.ts, whose
// invariants (state = committed prefix, no acknowledged write lost) are
// checked after every step.

import { describe, expect, it } from 'vitest';
import { RaftLog } from '../../../core/raft/raft-log.js';
import type { Entry } from '../../../core/raft/raft-types.js';
import { RaftCluster } from './raft-cluster.js';

const entry = (index: number, term: number): Entry => ({ index, term, kind: 'normal', data: new Uint8Array([index & 0xff]) });

describe('raft log: releasing entries', () => {
  it('compact keeps only the term of the cut point, and the log reads the same around it', () => {
    const log = new RaftLog({ index: 0, term: 0 }, [entry(1, 1), entry(2, 1), entry(3, 2), entry(4, 2)], 4);
    log.appliedTo(3);
    log.compact(3);
    expect(log.entryCount).toBe(1);
    expect([log.firstIndex(), log.lastIndex(), log.lastTerm()]).toEqual([4, 4, 2]);
    expect(log.term(3)).toBe(2); // the cut point's term stays: an append after it still matches
    expect(log.term(2)).toBeUndefined(); // released: a follower that needs it gets a snapshot
    expect(log.matchTerm(3, 2)).toBe(true);
    log.appliedTo(4);
    log.compact(4);
    expect(log.entryCount).toBe(0);
    expect([log.firstIndex(), log.lastIndex(), log.lastTerm(), log.term(4)]).toEqual([5, 4, 2, 2]);
    log.append([entry(5, 3)]);
    expect(log.entry(5).term).toBe(3);
  });

  it('compact never passes the applied index (entries not yet applied stay)', () => {
    const log = new RaftLog({ index: 0, term: 0 }, [entry(1, 1), entry(2, 1)], 2);
    log.appliedTo(1);
    expect(() => log.compact(2)).toThrow(/beyond applied/);
  });
});

describe('raft: memory of a group of one', () => {
  it('holds no applied entry and no snapshot bytes, however many writes', () => {
    const c = new RaftCluster({ seed: 21, voters: 1, snapshotEvery: 50 });
    let snapshotsStored = 0;
    const lead = c.settle();
    for (let i = 0; i < 500; i++) {
      expect(c.propose(lead, `w${i}`)).toBe(true);
      // Memory bounded: nothing applied is kept, whatever the count so far.
      expect(c.node(lead).raft.log.entryCount).toBe(0);
      if (c.get(lead).storage.load().snapshot !== null) snapshotsStored++;
    }
    expect(c.get(lead).state).toHaveLength(500);
    // Snapshots were taken (every 50 entries) and stored, but Raft kept none: nobody to send them to.
    expect(snapshotsStored).toBeGreaterThan(0);
    expect(c.node(lead).raft.snapshot).toBeNull();
    expect(c.node(lead).raft.snapshotWanted).toBe(false);
  });
});

describe('raft: a member that needs released entries', () => {
  it('a learner added to a group of one gets a snapshot made on demand, then the log', () => {
    const c = new RaftCluster({ seed: 22, voters: 1, spares: 1 });
    const lead = c.settle();
    for (let i = 0; i < 40; i++) c.propose(lead, `a${i}`);
    const raft = c.node(lead).raft;
    expect(raft.log.entryCount).toBe(0);
    expect(raft.snapshot).toBeNull();
    expect(c.proposeConfChange(lead, { kind: 'addLearner', replica: 2 })).toBe(true);
    const snapshotsSent: number[] = [];
    for (let t = 0; t < 10; t++) {
      c.tickAll();
      while (c.inFlight.length > 0) {
        const m = c.inFlight[0]!;
        if (m.type === 'snapshot' && m.to === 2) snapshotsSent.push(m.snapshot.meta.index);
        c.deliver(0);
      }
    }
    // The cluster harness answers snapshotWanted with a snapshot (raft-cluster.ts takeSnapshot), sent once; its
    // bytes are not kept after (the learner's transfer began, and nobody else needs one).
    expect(snapshotsSent).toHaveLength(1);
    expect(raft.snapshot).toBeNull();
    expect(c.get(2).state).toEqual(c.get(lead).state);
    expect(c.propose(lead, 'after')).toBe(true);
    c.deliverAll();
    // The learner learns the commit with the next heartbeat (no empty append broadcasts it).
    c.tickAll();
    c.deliverAll();
    expect(c.get(2).state.at(-1)).toBe('after');
  });

  it('a leader keeps the entries a lagging follower has not matched, and releases them once it has', () => {
    const c = new RaftCluster({ seed: 23, voters: 3 });
    const lead = c.settle();
    const slow = [1, 2, 3].find((id) => id !== lead)!;
    c.propose(lead, 'warm');
    c.deliverAll();
    c.partition([[slow], [1, 2, 3].filter((id) => id !== slow)]);
    for (let i = 0; i < 30; i++) c.propose(lead, `p${i}`);
    c.deliverAll();
    // Committed and applied by the majority, but the slow follower still needs them: kept, no snapshot needed.
    expect(c.get(lead).state).toHaveLength(31);
    expect(c.node(lead).raft.log.entryCount).toBeGreaterThanOrEqual(30);
    c.heal();
    for (let t = 0; t < 5; t++) { c.tickAll(); c.deliverAll(); }
    expect(c.get(slow).state).toEqual(c.get(lead).state);
    c.propose(lead, 'last');
    c.deliverAll();
    c.tickAll();
    c.deliverAll();
    // Every member holds everything applied: the leader released it all.
    expect(c.node(lead).raft.log.entryCount).toBe(0);
    expect(c.node(lead).raft.snapshotWanted).toBe(false);
  });
});

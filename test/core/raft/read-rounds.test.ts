// Shared ReadIndex rounds (core/raft/read-index.ts): reads that arrive together
// share one heartbeat round; reads that arrive while a round is out wait for
// the next one, which starts when that round is confirmed (or with the next
// periodic heartbeat, should it be lost); one round confirms every read that
// waited for it, at an index no lower than the commit index when each arrived
// and, for a read made on the leader, than the log's last index then (its
// floor), answered once that commits.

import { describe, expect, it } from 'vitest';
import type { Message } from '../../../core/raft/raft-types.js';
import { RaftCluster, type ClusterOptions } from './raft-cluster.js';

type Heartbeat = Extract<Message, { type: 'heartbeat' }>;
const roundHeartbeats = (c: RaftCluster): Heartbeat[] =>
  c.inFlight.filter((m): m is Heartbeat => m.type === 'heartbeat' && m.context > 0);

/** A settled group of 3 with one write committed, so the leader serves reads. */
function group(options: Partial<ClusterOptions> = {}): { c: RaftCluster; lead: number } {
  const c = new RaftCluster({ seed: 21, voters: 3, ...options });
  const lead = c.settle();
  c.propose(lead, 'w0');
  c.deliverAll();
  return { c, lead };
}

/** Deliver the first in-flight message that `pick` accepts. */
function deliverFirst(c: RaftCluster, pick: (m: Message) => boolean): void {
  const i = c.inFlight.findIndex(pick);
  expect(i).toBeGreaterThanOrEqual(0);
  c.deliver(i);
}

describe('raft: shared ReadIndex rounds', () => {
  it('reads that arrive in one turn share one round: one heartbeat per follower', () => {
    const { c, lead } = group();
    for (let context = 1; context <= 5; context++) c.node(lead).readIndex(context);
    c.process(lead);
    const beats = roundHeartbeats(c);
    expect(beats).toHaveLength(2);
    expect(new Set(beats.map((m) => m.context)).size).toBe(1);
    c.deliverAll();
    const commit = c.node(lead).status().commit;
    for (let context = 1; context <= 5; context++) expect(c.get(lead).reads.get(context)).toBe(commit);
  });

  it('reads that arrive while a round is out wait for the next round, which one confirmation answers for all', () => {
    const { c, lead } = group();
    c.readIndex(lead, 1);
    const first = roundHeartbeats(c);
    expect(first).toHaveLength(2);
    c.readIndex(lead, 2);
    c.readIndex(lead, 3);
    expect(roundHeartbeats(c)).toHaveLength(2); // no round of their own while one is out
    // One follower answers round 1: a majority with the leader. Read 1 is confirmed; 2 and 3 are not.
    deliverFirst(c, (m) => m.type === 'heartbeat' && m.context === first[0]!.context);
    deliverFirst(c, (m) => m.type === 'heartbeatResponse' && m.context === first[0]!.context);
    expect(c.get(lead).reads.has(1)).toBe(true);
    expect(c.get(lead).reads.has(2)).toBe(false);
    expect(c.get(lead).reads.has(3)).toBe(false);
    // The confirmation started the next round, for both waiting reads.
    const second = roundHeartbeats(c).filter((m) => m.context > first[0]!.context);
    expect(second).toHaveLength(2);
    expect(new Set(second.map((m) => m.context)).size).toBe(1);
    c.deliverAll();
    expect(c.get(lead).reads.get(2)).toBeGreaterThan(0);
    expect(c.get(lead).reads.get(3)).toBeGreaterThan(0);
  });

  it('a waiting read is confirmed at no less than the commit index when it arrived', () => {
    const { c, lead } = group();
    c.readIndex(lead, 1);
    const writeIndex = c.node(lead).status().lastIndex + 1;
    c.propose(lead, 'w1');
    // The write commits (appends and answers only), while round 1's heartbeats are still out.
    while (c.inFlight.some((m) => m.type === 'append' || m.type === 'appendResponse')) {
      deliverFirst(c, (m) => m.type === 'append' || m.type === 'appendResponse');
    }
    expect(c.node(lead).status().commit).toBe(writeIndex);
    c.readIndex(lead, 2);
    c.deliverAll();
    expect(c.get(lead).reads.get(1)).toBe(writeIndex - 1);
    expect(c.get(lead).reads.get(2)).toBe(writeIndex);
  });

  it('a read on the leader is answered at no less than the log\'s last index when it arrived, once that commits (its floor)', () => {
    const { c, lead } = group();
    const writeIndex = c.node(lead).status().lastIndex + 1;
    c.propose(lead, 'w1');
    c.readIndex(lead, 1);
    // Round 1 is confirmed while the write's appends are still out: the read waits for the write to commit.
    while (c.inFlight.some((m) => m.type === 'heartbeat' || m.type === 'heartbeatResponse')) {
      deliverFirst(c, (m) => m.type === 'heartbeat' || m.type === 'heartbeatResponse');
    }
    expect(c.get(lead).reads.has(1)).toBe(false);
    c.deliverAll();
    expect(c.node(lead).status().commit).toBe(writeIndex);
    expect(c.get(lead).reads.get(1)).toBe(writeIndex);
  });

  it('the planted bug (a read joins the round out) is confirmed by heartbeats that left before it, below a committed write', () => {
    const { c, lead } = group({ bugs: { readJoinsRoundInFlight: true } });
    const follower = [1, 2, 3].find((id) => id !== lead)!;
    c.readIndex(lead, 1);
    const writeIndex = c.node(lead).status().lastIndex + 1;
    c.propose(lead, 'w1');
    while (c.inFlight.some((m) => m.type === 'append' || m.type === 'appendResponse')) {
      deliverFirst(c, (m) => m.type === 'append' || m.type === 'appendResponse');
    }
    // A follower's read (no floor: on the leader, the floor would cover the write), forwarded while round 1 is out.
    c.readIndex(follower, 2);
    c.deliverAll();
    expect(c.get(follower).reads.get(2)).toBe(writeIndex - 1);
  });

  it('when the round out is lost, waiting reads ride the next periodic heartbeat, and its answers confirm both rounds', () => {
    const { c, lead } = group();
    c.readIndex(lead, 1);
    c.inFlight = c.inFlight.filter((m) => !(m.type === 'heartbeat' && m.context > 0)); // round 1 lost
    c.readIndex(lead, 2);
    expect(roundHeartbeats(c)).toHaveLength(0);
    c.tick(lead);
    expect(roundHeartbeats(c)).toHaveLength(2);
    c.deliverAll();
    expect(c.get(lead).reads.get(1)).toBeGreaterThan(0);
    expect(c.get(lead).reads.get(2)).toBeGreaterThan(0);
  });

  it('a leader that steps down fails the reads waiting for a round as well as those in one', () => {
    const { c, lead } = group();
    const others = [1, 2, 3].filter((id) => id !== lead);
    c.partition([[lead], others]);
    c.readIndex(lead, 1);
    c.readIndex(lead, 2);
    for (let t = 0; t < 40; t++) { c.tickAll(); c.deliverAll(); }
    expect(c.get(lead).reads.get(1)).toBe(0);
    expect(c.get(lead).reads.get(2)).toBe(0);
  });
});

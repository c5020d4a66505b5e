// RawNode with a driver that syncs in the background (raw-node.ts header):
// entries handed to storage are not handed again, and a leader counts its own
// log toward a commit only once persisted() says the sync finished.

import { describe, expect, it } from 'vitest';
import { Random } from '../../../core/random.js';
import { DEFAULT_RAFT_TUNING } from '../../../core/raft/raft.js';
import { EMPTY_HARD_STATE } from '../../../core/raft/raft-types.js';
import { RawNode } from '../../../core/raft/raw-node.js';
import { RaftCluster, encodeCommand } from './raft-cluster.js';

function loneLeader(): RawNode {
  const node = new RawNode({ id: 1, ...DEFAULT_RAFT_TUNING, preVote: true, random: Random.fromSeed(1) },
    { hardState: EMPTY_HARD_STATE, snapshot: null, entries: [], membership: { voters: [1], learners: [] } });
  for (let i = 0; i < 100 && node.status().role !== 'leader'; i++) node.tick();
  expect(node.status().role).toBe('leader');
  return node;
}

describe('background sync', () => {
  it('a lone leader commits its entries only after persisted(), and hands each to storage once', () => {
    const node = loneLeader();
    const first = node.ready();
    const noop = first.entries[first.entries.length - 1]!;
    node.advance(first, { persisted: false });
    expect(node.hasReady()).toBe(false);
    node.propose(encodeCommand('a'));
    const second = node.ready();
    // Only the new entry: the no-op was handed over already.
    expect(second.entries.map((e) => e.index)).toEqual([noop.index + 1]);
    expect(second.committedEntries).toEqual([]);
    node.advance(second, { persisted: false });
    expect(node.status().commit).toBe(0);

    node.persisted(noop.index, noop.term);
    expect(node.status().commit).toBe(noop.index);
    const third = node.ready();
    expect(third.entries).toEqual([]);
    expect(third.committedEntries.map((e) => e.index)).toEqual([noop.index]);
    node.advance(third, { persisted: false });

    node.persisted(noop.index + 1, noop.term);
    const fourth = node.ready();
    expect(fourth.committedEntries.map((e) => e.index)).toEqual([noop.index + 1]);
    node.advance(fourth, { persisted: false });
    expect(node.hasReady()).toBe(false);
  });

  it('a sync that finishes after a conflict cut its entries marks nothing', () => {
    const node = loneLeader();
    const ready = node.ready();
    const last = ready.entries[ready.entries.length - 1]!;
    node.advance(ready, { persisted: false });
    // Another term's entry at that index: the late sync's (index, term) no longer names it.
    node.persisted(last.index, last.term + 1);
    expect(node.raft.log.stableIndex).toBe(last.index - 1);
    expect(node.status().commit).toBe(0);
    node.persisted(last.index, last.term);
    expect(node.raft.log.stableIndex).toBe(last.index);
  });

  it('a cluster whose replicas all sync in the background elects, commits and loses nothing', () => {
    const c = new RaftCluster({ seed: 3, voters: 3, backgroundSync: true });
    const lead = c.settle();
    for (let i = 0; i < 20; i++) c.propose(lead, `w${i}`);
    // Nothing commits while every write waits for its sync (the leader's appends wait with it).
    expect(c.acknowledged.size).toBe(0);
    c.deliverAll();
    expect(c.acknowledged.size).toBe(20);
    // Followers learn the commit index with the next heartbeats.
    for (let t = 0; t < 5; t++) { c.tickAll(); c.deliverAll(); }
    c.checkNoAcknowledgedWriteLost();
  });
});

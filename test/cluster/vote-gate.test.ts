// The vote gate of a node that starts without durable Raft state
// (runtime-node/cluster/vote-gate.ts), and the placement every node
// computes from the same peer list (cluster-topology.ts).

import { describe, expect, it } from 'vitest';
import type { Message } from '../../core/raft/raft-types.js';
import { ClusterTopology, parsePeers, redisNodeId } from '../../runtime-node/cluster/cluster-topology.js';
import { GroupStatusTable } from '../../runtime-node/cluster/group-status.js';
import { VoteGate } from '../../runtime-node/cluster/vote-gate.js';

const members = parsePeers(['3@127.0.0.1:7803', '1@127.0.0.1:7801', '2@127.0.0.1:7802']);
const vote = (from: number, term: number): Message => ({ type: 'vote', from, to: 1, term, preVote: true, transfer: false, lastIndex: 0, lastTerm: 0 });
const append = (from: number, term: number, commit: number): Message => ({ type: 'append', from, to: 1, term, prevIndex: 0, prevTerm: 0, entries: [], commit });

function gateOfNode1(): { gate: VoteGate; status: GroupStatusTable } {
  const topology = new ClusterTopology(1, members, 3, 3);
  const status = GroupStatusTable.allocate(3);
  return { gate: new VoteGate(topology, status), status };
}

describe('vote gate', () => {
  it('a durable node (--data-dir) keeps its votes on disk: every gate is open from the start', () => {
    const gate = new VoteGate(new ClusterTopology(1, members, 3, 3), GroupStatusTable.allocate(3), () => {}, true);
    expect([0, 1, 2].map((g) => gate.stateOf(g))).toEqual(['open', 'open', 'open']);
    expect(gate.admits(0, vote(2, 7))).toBe(true);
  });

  it('a brand-new cluster: votes pass once every other replica said term 0, not before', () => {
    const { gate } = gateOfNode1();
    expect(gate.admits(0, vote(2, 1))).toBe(false);
    expect(gate.admits(0, append(2, 1, 0))).toBe(true);
    gate.onCard(2, { 0: 0, 1: 0, 2: 0 });
    expect(gate.stateOf(0)).toBe('waiting');
    expect(gate.admits(0, vote(2, 1))).toBe(false);
    gate.onCard(3, { 0: 0, 1: 0, 2: 0 });
    expect(gate.stateOf(0)).toBe('open');
    expect(gate.admits(0, vote(2, 1))).toBe(true);
  });

  it('a restarted node: no vote until it has caught up with a leader and reached the highest term peers reported', () => {
    const { gate, status } = gateOfNode1();
    gate.onCard(2, { 0: 5 });
    gate.onCard(3, { 0: 0 });
    expect(gate.stateOf(0)).toBe('recovering');
    expect(gate.admits(0, vote(3, 6))).toBe(false);
    // The leader announces commit 10; the replica has 3 so far.
    status.write(0, 2, 5, 3, 3, 'follower');
    expect(gate.admits(0, append(2, 5, 10))).toBe(true);
    expect(gate.admits(0, vote(3, 6))).toBe(false);
    // Caught up with that commit, in the leader's term, knowing the leader: it may vote again.
    status.write(0, 2, 5, 10, 10, 'follower');
    expect(gate.admits(0, append(2, 5, 12))).toBe(true);
    expect(gate.stateOf(0)).toBe('open');
    expect(gate.admits(0, vote(3, 6))).toBe(true);
  });

  it('a card from a node that does not host the group changes nothing for it', () => {
    const topology = new ClusterTopology(1, members, 3, 2); // group 0 on nodes 1,2; group 2 on nodes 3,1
    const gate = new VoteGate(topology, GroupStatusTable.allocate(3));
    gate.onCard(3, { 0: 9, 2: 0 });
    expect(gate.stateOf(0)).toBe('waiting');
    expect(gate.stateOf(2)).toBe('open');
    expect(gate.stateOf(1)).toBeUndefined(); // group 1 lives on nodes 2 and 3
  });
});

describe('cluster topology', () => {
  it('places groups the same way from any order of the list, spreading preferred leaders', () => {
    const a = new ClusterTopology(1, members, 6, 3);
    const b = new ClusterTopology(2, parsePeers(['2@127.0.0.1:7802', '3@127.0.0.1:7803', '1@127.0.0.1:7801']), 6, 3);
    expect(a.placement).toEqual(b.placement);
    expect(a.placement.map((nodes) => nodes[0])).toEqual([1, 2, 3, 1, 2, 3]);
    const five = parsePeers([1, 2, 3, 4, 5].map((id) => `${id}@h:${7800 + id}`));
    const t = new ClusterTopology(4, five, 10, 3);
    for (const id of [1, 2, 3, 4, 5]) expect(t.groupsOf(id)).toHaveLength(6); // 10 groups x 3 replicas / 5 nodes
    expect(t.slotRange(0)[0]).toBe(0);
    expect(t.slotRange(9)[1]).toBe(16_383);
  });

  it('refuses lists and counts that cannot form a cluster, naming the mistake', () => {
    expect(() => parsePeers(['1@h:1', '1@h:2'])).toThrow(/listed twice/);
    expect(() => parsePeers(['0@h:1'])).toThrow(/not in 1\.\./);
    expect(() => new ClusterTopology(1, members, 3, 4)).toThrow(/--replicas 4 must be in 1\.\.3/);
    expect(() => new ClusterTopology(9, members, 3, 3)).toThrow(/--node-id 9 is not in --peers/);
  });

  it('names nodes with 40 hex characters, the same on every node', () => {
    expect(redisNodeId(1)).toMatch(/^[0-9a-f]{40}$/);
    expect(redisNodeId(1)).toBe(redisNodeId(1));
    expect(redisNodeId(1)).not.toBe(redisNodeId(2));
  });
});

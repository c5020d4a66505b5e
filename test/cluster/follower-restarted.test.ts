// A follower that comes back without its log (a cluster node keeps Raft
// state in memory) catches up from a leader that led all along, once that
// leader is told of the restart (Raft.followerRestarted, which the node
// calls when a peer's card shows a new incarnation). Without it the leader
// still believes the follower holds what it held before, takes its
// rejections for stale answers, and never sends it the log again.

import { expect, it } from 'vitest';
import { MemoryRaftStorage } from '../../core/raft/raft-storage.js';
import { RaftCluster } from '../core/raft/raft-cluster.js';

function wipedFollower(tellLeader: boolean): { cluster: RaftCluster; follower: number; leader: number } {
  const cluster = new RaftCluster({ seed: 7, voters: 3 });
  const leader = cluster.settle();
  for (let i = 0; i < 20; i++) cluster.propose(leader, `c${i}`);
  cluster.deliverAll();
  cluster.tickAll(); // followers learn the commit index with the next heartbeat
  cluster.deliverAll();
  const follower = [1, 2, 3].find((id) => id !== leader)!;
  expect(cluster.node(follower).status().commit).toBeGreaterThanOrEqual(20);
  cluster.crash(follower);
  // Its memory is gone: empty storage, empty state machine.
  const r = cluster.get(follower);
  r.storage = new MemoryRaftStorage();
  r.state = [];
  r.appliedIndex = 0;
  r.commitSeen = 0;
  cluster.restart(follower);
  if (tellLeader) cluster.node(leader).raft.followerRestarted(follower);
  for (let t = 0; t < 30; t++) {
    cluster.tick(leader);
    cluster.deliverAll();
  }
  return { cluster, follower, leader };
}

it('a restarted follower catches up from a leader that was told of the restart', () => {
  const { cluster, follower, leader } = wipedFollower(true);
  expect(cluster.node(follower).status().lastIndex).toBe(cluster.node(leader).status().lastIndex);
  expect(cluster.node(leader).raft.matchOf(follower)).toBe(cluster.node(leader).status().lastIndex);
  expect(cluster.get(follower).state).toEqual(cluster.get(leader).state);
});

it('without being told, the leader never sends the log again (why the node tells it)', () => {
  const { cluster, follower } = wipedFollower(false);
  expect(cluster.node(follower).status().lastIndex).toBe(0);
});

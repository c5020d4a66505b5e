// Heartbeats coalesced per node pair (docs/consensus.md, "Heartbeat
// coalescing"): three nodes, each a ShardWorker hosting a replica of N
// groups, node 1 leading them all, peer traffic carried as encoded
// PeerBatches (schema/peer-codec.ts) one per destination node per worker
// output, as the simulator sends it. When the groups are idle, what crosses
// between two nodes per heartbeat interval must not grow with N: one batch
// each way, no RaftMessage in it, one coalesced heartbeat list. Each group
// still gets its own heartbeat (nobody campaigns), and a ReadIndex round
// still confirms leadership with its own uncoalesced heartbeats.

import { describe, expect, test } from 'vitest';
import { DEFAULT_LIMITS, DEFAULT_PEER_LIMITS } from '../../../core/limits.js';
import { Random } from '../../../core/random.js';
import { DEFAULT_RAFT_TUNING } from '../../../core/raft/raft.js';
import { MemoryRaftStorage } from '../../../core/raft/raft-storage.js';
import type { PeerFrame } from '../../../core/replica/peer-frame.js';
import { ShardReplica, type ReplicaOutcome } from '../../../core/replica/shard-replica.js';
import { SpscRing } from '../../../core/ring/spsc-ring.js';
import { ShardWorker } from '../../../core/shard/shard-worker.js';
import { decodePeerBatch, encodePeerBatch, isCoalescedHeartbeat } from '../../../schema/peer-codec.js';

const NODES = 3;
const enc = new TextEncoder();

/** What crossed between nodes: batches and the RaftMessages in them, per ordered node pair "a->b". */
interface Traffic {
  batches: Map<string, number>;
  raftMessages: Map<string, number>;
  coalescedHeartbeats: Map<string, number>;
  bytes: Map<string, number>;
}

function emptyTraffic(): Traffic {
  return { batches: new Map(), raftMessages: new Map(), coalescedHeartbeats: new Map(), bytes: new Map() };
}

const bump = (m: Map<string, number>, key: string, by = 1): void => { m.set(key, (m.get(key) ?? 0) + by); };

class Cluster {
  readonly workers: ShardWorker[];
  nowMs = 1_000;
  traffic = emptyTraffic();

  constructor(readonly groups: number) {
    const random = Random.fromSeed(groups);
    this.workers = Array.from({ length: NODES }, (_, n) => {
      const replicas = new Map<number, ShardReplica>();
      for (let g = 0; g < groups; g++) {
        replicas.set(g, new ShardReplica({
          group: g, raft: { id: n + 1, ...DEFAULT_RAFT_TUNING, random: random.fork() }, limits: DEFAULT_LIMITS,
          membership: { voters: [1, 2, 3], learners: [] }, snapshotEveryEntries: 1000, snapshotKeepEntries: 10,
        }, new MemoryRaftStorage()));
      }
      return new ShardWorker([], SpscRing.allocate(1 << 12, false), SpscRing.allocate(1 << 12, false), DEFAULT_LIMITS, replicas);
    });
  }

  /** Carry every worker's outbox, one encoded batch per destination node, until nothing moves. */
  settle(): void {
    for (let round = 0; round < 50; round++) {
      let moved = 0;
      for (let from = 0; from < NODES; from++) {
        const byNode = new Map<number, PeerFrame[]>();
        for (const frame of this.workers[from]!.takePeerOutbox()) {
          const to = frame.message.to - 1;
          byNode.set(to, [...(byNode.get(to) ?? []), frame]);
        }
        for (const [to, frames] of byNode) {
          const pair = `${from + 1}->${to + 1}`;
          const bytes = encodePeerBatch(frames);
          bump(this.traffic.batches, pair);
          bump(this.traffic.bytes, pair, bytes.length);
          const coalesced = frames.filter((f) => isCoalescedHeartbeat(f.message)).length;
          bump(this.traffic.raftMessages, pair, frames.length - coalesced);
          bump(this.traffic.coalescedHeartbeats, pair, coalesced);
          const decoded = decodePeerBatch(bytes, DEFAULT_PEER_LIMITS);
          if (!decoded.ok) throw new Error(decoded.error);
          this.workers[to]!.stepPeer(decoded.frames, this.nowMs);
          moved++;
        }
      }
      if (moved === 0) return;
    }
    throw new Error('peer traffic did not settle');
  }

  tick(nodes: readonly number[] = [0, 1, 2]): void {
    this.nowMs += 10;
    for (const n of nodes) this.workers[n]!.tick(this.nowMs);
    this.settle();
  }

  replica(node: number, group: number): ShardReplica {
    return this.workers[node]!.replicas.get(group)!;
  }

  /** Node 1 (index 0) leads every group: only it ticks until it has won them all, then everyone ticks. */
  electNodeOne(): void {
    for (let t = 0; t < 200; t++) {
      if ([...this.workers[0]!.replicas.values()].every((r) => r.isLeader())) break;
      this.tick([0]);
    }
    for (let g = 0; g < this.groups; g++) expect(this.replica(0, g).isLeader()).toBe(true);
    // The no-op of each new term commits and reaches every follower.
    for (let t = 0; t < 2 * DEFAULT_RAFT_TUNING.heartbeatTicks; t++) this.tick();
  }

  /** The traffic of `intervals` idle heartbeat intervals. */
  idle(intervals: number): Traffic {
    this.traffic = emptyTraffic();
    for (let t = 0; t < intervals * DEFAULT_RAFT_TUNING.heartbeatTicks; t++) this.tick();
    return this.traffic;
  }

  terms(): number[] {
    const out: number[] = [];
    for (let n = 0; n < NODES; n++) for (let g = 0; g < this.groups; g++) out.push(this.replica(n, g).raw.raft.term);
    return out;
  }
}

describe('heartbeats of idle groups, coalesced per node pair', () => {
  const INTERVALS = 20;

  test.each([1, 16, 256])('%i groups: one batch each way per heartbeat interval, no RaftMessage, nobody campaigns', (groups) => {
    const cluster = new Cluster(groups);
    cluster.electNodeOne();
    const terms = cluster.terms();
    const traffic = cluster.idle(INTERVALS);
    for (const pair of ['1->2', '1->3', '2->1', '3->1']) {
      // Heartbeats out, responses back: the same counts for 1 group as for 256.
      expect(traffic.batches.get(pair), pair).toBe(INTERVALS);
      expect(traffic.raftMessages.get(pair) ?? 0, pair).toBe(0);
      // Every group's heartbeat (and response) still crossed, as a 32-byte entry.
      expect(traffic.coalescedHeartbeats.get(pair), pair).toBe(INTERVALS * groups);
      expect(traffic.bytes.get(pair), pair).toBe(INTERVALS * (40 + 32 * groups));
    }
    // Followers never talk to each other.
    expect(traffic.batches.get('2->3') ?? 0).toBe(0);
    // The heartbeats reached every group: no follower timed out and campaigned.
    expect(cluster.terms()).toEqual(terms);
    for (let g = 0; g < groups; g++) expect(cluster.replica(0, g).isLeader()).toBe(true);
  });

  test('a ReadIndex round confirms leadership with its own heartbeats, not the coalesced ones', () => {
    const cluster = new Cluster(8);
    cluster.electNodeOne();
    const key = enc.encode('k');
    const outcomes: ReplicaOutcome[] = [];
    const leader = cluster.replica(0, 3);
    /** Carry out the leader's work now, between ticks, as a worker does after a request. */
    const work = (): void => {
      leader.process(cluster.nowMs);
      for (const message of leader.outbox) cluster.workers[0]!.peerOutbox.push({ group: 3, message });
      leader.outbox = [];
      cluster.settle();
    };
    leader.propose({ op: 'set', key, value: enc.encode('v') }, cluster.nowMs, (o) => outcomes.push(o));
    work();
    work();
    expect(outcomes).toMatchObject([{ kind: 'reply' }]);
    cluster.traffic = emptyTraffic();
    leader.read({ op: 'get', key }, (o) => outcomes.push(o));
    work(); // no tick: only the read's own heartbeats can confirm it
    work();
    expect(cluster.traffic.raftMessages.get('1->2')).toBe(1);
    expect(cluster.traffic.raftMessages.get('2->1')).toBe(1);
    expect([...cluster.traffic.coalescedHeartbeats.values()].every((n) => n === 0)).toBe(true);
    expect(outcomes[1]).toMatchObject({ kind: 'reply', reply: { ok: true, found: true } });
  });

  test('check-quorum still sees followers through coalesced responses, and steps down without them', () => {
    const cluster = new Cluster(16);
    cluster.electNodeOne();
    // Followers' responses arrive coalesced for many election timeouts: the leader stays.
    cluster.idle(5 * DEFAULT_RAFT_TUNING.electionTicks);
    for (let g = 0; g < 16; g++) expect(cluster.replica(0, g).isLeader()).toBe(true);
    // Nodes 2 and 3 go silent (their outboxes are dropped): every group's leader steps down within two election timeouts.
    for (let t = 0; t < 2 * DEFAULT_RAFT_TUNING.electionTicks; t++) {
      cluster.nowMs += 10;
      cluster.workers[0]!.tick(cluster.nowMs);
      cluster.workers[0]!.takePeerOutbox();
    }
    for (let g = 0; g < 16; g++) expect(cluster.replica(0, g).isLeader()).toBe(false);
  });
});

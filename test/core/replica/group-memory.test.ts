// What a shard group keeps in memory beyond its shard (docs/consensus.md,
// "The group of one"): Raft's log releases each entry once applied and held
// by every member; a group alone keeps no snapshot bytes; over volatile
// storage (--in-memory) nothing is stored and no snapshot is taken; and a
// replica that joins later still catches up, from a snapshot made on demand.

import { describe, expect, it } from 'vitest';
import { makeLimits } from '../../../core/limits.js';
import { Random } from '../../../core/random.js';
import { MemoryRaftStorage, VolatileRaftStorage } from '../../../core/raft/raft-storage.js';
import type { Message, ReplicaId, Snapshot } from '../../../core/raft/raft-types.js';
import { DEFAULT_RAFT_TUNING } from '../../../core/raft/raft.js';
import { ShardReplica, type ReplicaOutcome } from '../../../core/replica/shard-replica.js';
import { LONE_REPLICA_ID, startVolatileLoneReplica } from '../../../core/shard/group-replica.js';

const LIMITS = makeLimits();
const NOW = 1_000_000;
const enc = new TextEncoder();

/** Storage that counts the snapshots a replica saves. */
class SnapshotCountingStorage extends MemoryRaftStorage {
  snapshots = 0;
  override saveSnapshot(snapshot: Snapshot): void {
    this.snapshots++;
    super.saveSnapshot(snapshot);
  }
}

function write(replica: ShardReplica, from: number, count: number, outcomes: ReplicaOutcome[]): void {
  for (let i = from; i < from + count; i++) {
    replica.propose({ op: 'set', key: enc.encode(`key:${i % 300}`), value: new Uint8Array(100).fill(i & 0xff) }, NOW, (o) => outcomes.push(o));
    if (i % 25 === 24) replica.process(NOW);
  }
  replica.process(NOW);
}

function replicaOf(id: ReplicaId, voters: ReplicaId[], storage: MemoryRaftStorage, snapshotEveryEntries: number): ShardReplica {
  return new ShardReplica({
    group: 0, raft: { id, ...DEFAULT_RAFT_TUNING, random: Random.fromSeed(id) }, limits: LIMITS,
    membership: { voters, learners: [] }, snapshotEveryEntries, snapshotKeepEntries: 0, snapshotStepBytes: 8 * 1024,
  }, storage);
}

/** Delivers every message in both outboxes until none is left (a perfect network), ticking `ticks` times. */
function exchange(replicas: ShardReplica[], ticks: number): Message[] {
  const seen: Message[] = [];
  const byId = new Map(replicas.map((r) => [r.id, r]));
  for (let t = 0; t < ticks; t++) {
    for (const r of replicas) { r.tick(); r.process(NOW); }
    for (let round = 0; round < 100; round++) {
      const batch = replicas.flatMap((r) => r.outbox.splice(0));
      if (batch.length === 0) break;
      for (const m of batch) {
        seen.push(m);
        const to = byId.get(m.to);
        if (to) { to.step(m); to.process(NOW); }
      }
    }
  }
  return seen;
}

describe('a group of one: memory', () => {
  it('over volatile storage (--in-memory): no entry kept after its apply, no snapshot taken or kept', () => {
    const replica = startVolatileLoneReplica(0, LIMITS, Random.fromSeed(1), NOW);
    const outcomes: ReplicaOutcome[] = [];
    write(replica, 0, 3000, outcomes);
    expect(outcomes).toHaveLength(3000);
    expect(outcomes.every((o) => o.kind === 'reply' && o.reply.ok)).toBe(true);
    const raft = replica.raw.raft;
    expect(raft.log.entryCount).toBe(0);
    expect(raft.log.applied).toBe(3001);
    expect(raft.snapshot).toBeNull();
    // No snapshot was ever due: the cut point is the applied index, not a snapshot's.
    expect(raft.log.firstIndex()).toBe(3002);
    expect(replica.shard.size).toBe(300);
  });

  it('volatile storage is loaded once, at start: nothing can be read back', () => {
    const storage = new VolatileRaftStorage();
    expect(storage.load()).toEqual({ hardState: { term: 0, vote: 0, commit: 0 }, snapshot: null, entries: [] });
    storage.appendEntries();
    storage.sync();
    expect(() => storage.load()).toThrow(/loaded once/);
  });

  it('over storage that keeps snapshots: they are saved, but Raft holds none of their bytes', () => {
    const storage = new SnapshotCountingStorage();
    const replica = replicaOf(LONE_REPLICA_ID, [LONE_REPLICA_ID], storage, 200);
    replica.campaignAlone(NOW);
    const outcomes: ReplicaOutcome[] = [];
    write(replica, 0, 2000, outcomes);
    for (let i = 0; i < 50; i++) replica.process(NOW); // finish a snapshot job under way
    expect(storage.snapshots).toBeGreaterThanOrEqual(5);
    expect(replica.raw.raft.snapshot).toBeNull();
    expect(replica.raw.raft.log.entryCount).toBe(0);
  });
});

describe('a group of one that gains a member', () => {
  it('makes a snapshot on demand for the learner, which catches up to the same state and follows the log after', () => {
    const leaderStorage = new MemoryRaftStorage();
    const leader = replicaOf(1, [1], leaderStorage, Number.POSITIVE_INFINITY);
    leader.campaignAlone(NOW);
    const outcomes: ReplicaOutcome[] = [];
    write(leader, 0, 1000, outcomes);
    expect(leader.raw.raft.log.entryCount).toBe(0);
    expect(leader.raw.raft.snapshot).toBeNull();
    // Replica 2 starts empty, knowing the group's voters; it is added as a learner.
    const learner = replicaOf(2, [1], new MemoryRaftStorage(), Number.POSITIVE_INFINITY);
    expect(leader.proposeConfChange({ kind: 'addLearner', replica: 2 })).toBe(true);
    leader.process(NOW);
    const seen = exchange([leader, learner], 30);
    const snapshots = seen.filter((m) => m.type === 'snapshot');
    expect(snapshots).toHaveLength(1);
    expect(leader.raw.raft.snapshotWanted).toBe(false);
    expect(learner.shard.digest()).toBe(leader.shard.digest());
    // The log goes on from the snapshot; once the learner holds everything, the leader releases it again.
    write(leader, 1000, 200, outcomes);
    exchange([leader, learner], 3);
    expect(learner.shard.appliedIndex).toBe(leader.shard.appliedIndex);
    expect(learner.shard.digest()).toBe(leader.shard.digest());
    expect(leader.raw.raft.log.entryCount).toBe(0);
    expect(outcomes.every((o) => o.kind === 'reply' && o.reply.ok)).toBe(true);
  });
});

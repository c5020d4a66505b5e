// What a shard group keeps in memory beyond its shard (docs/consensus.md,
// "The group of one"): Raft's log releases each entry once applied and held
// by every member; a group alone keeps no snapshot bytes; over volatile
// storage (--in-memory) nothing is stored and no snapshot is taken; and a
// replica that joins later still catches up, from a snapshot made on demand;
// and an idle worker finishes a snapshot under way instead of sleeping on it
// (it holds a buffer the size of the state until it is done).

import { describe, expect, it } from 'vitest';
import { makeLimits } from '../../../core/limits.js';
import { Random } from '../../../core/random.js';
import { MemoryRaftStorage, VolatileRaftStorage } from '../../../core/raft/raft-storage.js';
import type { Message, ReplicaId, Snapshot } from '../../../core/raft/raft-types.js';
import { DEFAULT_RAFT_TUNING } from '../../../core/raft/raft.js';
import { ShardReplica, type ReplicaOutcome } from '../../../core/replica/shard-replica.js';
import { SpscRing } from '../../../core/ring/spsc-ring.js';
import { LONE_REPLICA_ID, startVolatileLoneReplica } from '../../../core/shard/group-replica.js';
import { ShardWorker } from '../../../core/shard/shard-worker.js';
import { WorkerLoop } from '../../../core/shard/worker-loop.js';

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

describe('a replicated group: snapshot bytes', () => {
  it('its replicas keep none of their snapshots\' bytes; a follower behind the compacted log gets one made on demand', () => {
    const storages = [1, 2, 3].map(() => new SnapshotCountingStorage());
    const [a, b, c] = [1, 2, 3].map((id, i) => replicaOf(id, [1, 2, 3], storages[i]!, 200)) as [ShardReplica, ShardReplica, ShardReplica];
    exchange([a, b, c], 40); // elect a leader
    const leader = [a, b, c].find((r) => r.raw.raft.role === 'leader')!;
    const [lagging, other] = [a, b, c].filter((r) => r !== leader) as [ShardReplica, ShardReplica];
    const outcomes: ReplicaOutcome[] = [];
    // The lagging follower hears nothing while 1,000 writes commit through the other two (5 snapshots each).
    for (let round = 0; round < 10; round++) {
      write(leader, round * 100, 100, outcomes);
      exchange([leader, other], 1);
    }
    for (let i = 0; i < 50; i++) { leader.process(NOW); other.process(NOW); } // finish snapshot jobs under way
    expect(storages[leader.id - 1]!.snapshots).toBeGreaterThanOrEqual(4);
    // Saved, and not held: before 2026-12-03 each replica held its latest snapshot, a second copy of its state.
    expect(leader.raw.raft.snapshot).toBeNull();
    expect(other.raw.raft.snapshot).toBeNull();
    expect(leader.raw.raft.log.firstIndex()).toBeGreaterThan(lagging.raw.raft.log.lastIndex() + 1);
    // The lagging follower comes back: the leader makes a snapshot for it, sends it, and lets its bytes go.
    const seen = exchange([leader, other, lagging], 30);
    expect(seen.some((m) => m.type === 'snapshot' && m.to === lagging.id)).toBe(true);
    expect(lagging.shard.appliedIndex).toBe(leader.shard.appliedIndex);
    expect(lagging.shard.digest()).toBe(leader.shard.digest());
    for (const r of [leader, other, lagging]) expect(r.raw.raft.snapshot).toBeNull();
    expect(outcomes.every((o) => o.kind === 'reply' && o.reply.ok)).toBe(true);
  });
});

describe('a worker with a snapshot under way', () => {
  it('keeps stepping it without requests (the loop drains instead of sleeping), then sleeps', () => {
    const storage = new SnapshotCountingStorage();
    const replica = new ShardReplica({
      group: 0, raft: { id: 1, ...DEFAULT_RAFT_TUNING, random: Random.fromSeed(5) }, limits: LIMITS,
      membership: { voters: [1], learners: [] }, snapshotEveryEntries: 1000, snapshotKeepEntries: 0, snapshotStepBytes: 1024,
    }, storage);
    replica.campaignAlone(NOW);
    const outcomes: ReplicaOutcome[] = [];
    write(replica, 0, 1000, outcomes); // the 1000th apply begins a job of ~40 KB of records: ~40 steps of 1 KB
    expect(replica.snapshotUnderway).toBe(true);
    const worker = new ShardWorker([0], SpscRing.allocate(64 * 1024), SpscRing.allocate(64 * 1024), LIMITS, new Map([[0, replica]]));
    const loop = new WorkerLoop(worker, 64, 1_000_000);
    let turns = 0;
    for (; turns < 1000 && replica.snapshotUnderway; turns++) {
      const turn = loop.turn(NOW);
      expect(turn.drained.applied).toBe(0);
      expect(turn.drained.snapshotting).toBe(replica.snapshotUnderway);
      if (replica.snapshotUnderway) expect(turn.next).toBe('drain');
    }
    expect(replica.snapshotUnderway).toBe(false);
    expect(turns).toBeGreaterThan(10); // it did take many steps, each its own turn
    expect(storage.snapshots).toBe(1);
    expect(loop.turn(NOW).next).toBe('sleep');
  });
});

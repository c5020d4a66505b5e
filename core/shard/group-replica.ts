// How a worker's shard groups become replicas: which replicas vote in each
// group (`GroupMembers`), and starting this node's replica of one over the
// storage the runtime opened for it. A node without peers is a cluster of
// one: each of its shards is a group whose only voter is LONE_REPLICA_ID, on
// the same replica path as a clustered node (core/replica/shard-replica.ts).

import type { Limits } from '../limits.js';
import type { Random } from '../random.js';
import { DEFAULT_RAFT_TUNING } from '../raft/raft.js';
import { VolatileRaftStorage, type RaftStorage } from '../raft/raft-storage.js';
import type { ReplicaId } from '../raft/raft-types.js';
import { DEFAULT_SNAPSHOT_EVERY_ENTRIES, DEFAULT_SNAPSHOT_KEEP_ENTRIES, ShardReplica, type ShardReplicaConfig } from '../replica/shard-replica.js';

/** The replica id of a node alone (ids are per group; 0 means "none"). */
export const LONE_REPLICA_ID: ReplicaId = 1;

/** One group a worker hosts, and the voters of its bootstrap membership. */
export interface GroupMembers {
  readonly group: number;
  readonly voters: readonly ReplicaId[];
}

/** A lone node's groups: one per shard, with this node as the only voter. */
export function loneGroups(shards: readonly number[]): GroupMembers[] {
  return shards.map((group) => ({ group, voters: [LONE_REPLICA_ID] }));
}

/** When snapshots are taken (ShardReplicaConfig); the product's defaults compact by log bytes only. */
export interface CompactionTuning {
  readonly snapshotEveryEntries?: number;
  readonly snapshotLogBytesMin?: number;
}

/**
 * A group of one over VolatileRaftStorage (--in-memory) takes no snapshots:
 * Raft's log releases each entry once applied, the storage keeps nothing, and
 * there is no follower to send one to. A member that joins later gets one made
 * on demand (Raft.snapshotWanted).
 */
export const VOLATILE_COMPACTION: CompactionTuning = Object.freeze({ snapshotLogBytesMin: Number.POSITIVE_INFINITY });

/**
 * A group of one on disk snapshots at Redis's auto-aof-rewrite-min-size
 * (64 MiB of log) rather than SNAPSHOT_LOG_BYTES_MIN: its Raft log releases
 * each entry once applied (no follower needs it), so the larger floor costs
 * only disk and replay at restart (at most this much log, or the state's
 * size if larger), while a short write burst no longer pays for copying the
 * whole state (measured: snapshots were most of the worker's disk-path CPU,
 * docs/durability.md "CPU of the write path"). Replicated groups keep the
 * smaller floor: a follower holds its log in memory until a snapshot.
 */
export const LONE_DURABLE_COMPACTION: CompactionTuning = Object.freeze({ snapshotLogBytesMin: 64 * 1024 * 1024 });

/** A lone node's group kept in memory only (--in-memory, tests, benchmarks): volatile storage, no snapshots. */
export function startVolatileLoneReplica(group: number, limits: Limits, random: Random, nowMs: number): ShardReplica {
  return startGroupReplica({ group, voters: [LONE_REPLICA_ID] }, LONE_REPLICA_ID, limits, new VolatileRaftStorage(), random, nowMs,
    VOLATILE_COMPACTION);
}

/**
 * This node's replica of `members.group`, recovered from `storage` and, if it
 * is the group's only voter, already leading (a lone node serves at once).
 */
export function startGroupReplica(
  members: GroupMembers, replicaId: ReplicaId, limits: Limits, storage: RaftStorage, random: Random, nowMs: number,
  compaction: CompactionTuning = {},
  /** The simulator's mutation suite only. */
  planted: Pick<ShardReplicaConfig, 'plantedBugSkipBackgroundSyncWait'> = {},
): ShardReplica {
  const replica = new ShardReplica({
    group: members.group,
    raft: { id: replicaId, ...DEFAULT_RAFT_TUNING, random },
    limits,
    membership: { voters: [...members.voters], learners: [] },
    snapshotEveryEntries: compaction.snapshotEveryEntries ?? DEFAULT_SNAPSHOT_EVERY_ENTRIES,
    snapshotKeepEntries: DEFAULT_SNAPSHOT_KEEP_ENTRIES,
    ...(compaction.snapshotLogBytesMin !== undefined ? { snapshotLogBytesMin: compaction.snapshotLogBytesMin } : {}),
    ...planted,
  }, storage);
  replica.campaignAlone(nowMs);
  return replica;
}

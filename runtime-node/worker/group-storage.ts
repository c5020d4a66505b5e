// A worker's groups at start: open each group's Raft storage (a directory of
// files under the data directory, or memory with --in-memory), recover it,
// and start this node's replica of the group over it (a cluster node's
// worker opens its groups' storage here too: openGroupStorage). A directory that must
// not be used (another node's, an unknown format, damaged, locked) is a
// GroupStorageRefused naming it, after everything opened so far is closed.

import { join } from 'node:path';
import { randomInt } from 'node:crypto';
import type { Limits } from '../../core/limits.js';
import { Random } from '../../core/random.js';
import { MemoryRaftStorage, VolatileRaftStorage, type RaftStorage } from '../../core/raft/raft-storage.js';
import type { ShardReplica } from '../../core/replica/shard-replica.js';
import { LONE_DURABLE_COMPACTION, startGroupReplica, VOLATILE_COMPACTION, type CompactionTuning } from '../../core/shard/group-replica.js';
import type { SyncMode } from '../../core/storage/log-storage.js';
import { StorageError } from '../../core/storage/storage-errors.js';
import { FileRaftStorage } from '../storage/file-raft-storage.js';
import { groupDirName, type WorkerSetup, type WorkerStorageSetup } from './worker-protocol.js';

/** A group's directory that must not be used: the StorageError, with the directory it is about. */
export class GroupStorageRefused extends Error {
  override name = 'GroupStorageRefused';
  constructor(readonly dir: string, readonly reason: StorageError) {
    super(`${dir}: ${reason.message}`);
  }
}

export interface OpenedGroups {
  /** Each hosted group's replica, recovered and (alone) leading. */
  readonly replicas: Map<number, ShardReplica>;
  /** The storages on disk (none with --in-memory): flushed on the loop ('batch' mode) and closed at stop. */
  readonly files: FileRaftStorage[];
  /** What recovery repaired, one line per finding, naming the group, file and offset. */
  readonly recovered: string[];
}

export function openGroups(setup: WorkerSetup, limits: Limits, nowMs: number): OpenedGroups {
  const replicas = new Map<number, ShardReplica>();
  const files: FileRaftStorage[] = [];
  const recovered: string[] = [];
  // Election timeouts must differ between nodes of a cluster: a real node seeds its Raft PRNG from the OS.
  const random = Random.fromSeed(randomInt(2 ** 31));
  try {
    for (const members of setup.groups) {
      let storage: RaftStorage;
      let compaction: CompactionTuning = {};
      if (setup.storage === null) {
        // Nothing is read back after a restart: keep no entries, and alone, take no snapshots (group-replica.ts).
        storage = new VolatileRaftStorage();
        if (members.voters.length === 1) compaction = VOLATILE_COMPACTION;
      } else {
        // A lone node repairs from nobody: damage where acknowledged data lives is refused (docs/durability.md).
        const opened = openGroupStorage(setup.storage, members.group, false);
        if (opened.file !== null) files.push(opened.file);
        recovered.push(...opened.recovered);
        storage = opened.storage;
        if (members.voters.length === 1) compaction = LONE_DURABLE_COMPACTION;
      }
      replicas.set(members.group, startGroupReplica(members, setup.replicaId, limits, storage, random.fork(), nowMs, compaction));
    }
  } catch (error) {
    for (const file of files) file.close();
    throw error;
  }
  return { replicas, files, recovered };
}

/** One group's storage: `file` (null in memory) and what its recovery repaired, as log lines. */
export interface OpenedGroupStorage {
  readonly storage: RaftStorage;
  readonly file: FileRaftStorage | null;
  readonly recovered: string[];
}

/**
 * Opens group `group`'s storage under `setup` (memory when null). With
 * `repairFromPeers` (a cluster group with other replicas) damage that may
 * hold acknowledged data starts a repair instead of a refusal.
 */
export function openGroupStorage(setup: WorkerStorageSetup | null, group: number, repairFromPeers: boolean): OpenedGroupStorage {
  if (setup === null) return { storage: new MemoryRaftStorage(), file: null, recovered: [] };
  const dir = join(setup.dataDir, groupDirName(group));
  const file = openGroupDir(dir, setup.nodeId, group, setup.syncMode, repairFromPeers);
  const recovered = file.findings.map((f) => `${dir}: ${f.action} ${f.file} at offset ${f.offset} (${f.bytes} bytes): ${f.reason}`);
  if (file.repair !== null) {
    recovered.push(`${dir}: damaged at ${file.repair.file} offset ${file.repair.offset}: this replica repairs from its peers `
      + `(no votes until a leader has brought it back to commit ${file.repair.hardState.commit}; docs/durability.md)`);
  }
  return { storage: file, file, recovered };
}

function openGroupDir(dir: string, nodeId: number, group: number, syncMode: SyncMode, repairFromPeers: boolean): FileRaftStorage {
  try {
    return FileRaftStorage.open({ dir, identity: { nodeId, groupId: group }, syncMode, repairFromPeers });
  } catch (error) {
    if (error instanceof StorageError) throw new GroupStorageRefused(dir, error);
    throw error;
  }
}

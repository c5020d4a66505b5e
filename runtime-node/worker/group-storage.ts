// A worker's groups at start: open each group's Raft storage (a directory of
// files under the data directory, or memory with --in-memory), recover it,
// and start this node's replica of the group over it. A directory that must
// not be used (another node's, an unknown format, damaged, locked) is a
// GroupStorageRefused naming it, after everything opened so far is closed.

import { join } from 'node:path';
import { randomInt } from 'node:crypto';
import type { Limits } from '../../core/limits.js';
import { Random } from '../../core/random.js';
import { VolatileRaftStorage, type RaftStorage } from '../../core/raft/raft-storage.js';
import type { ShardReplica } from '../../core/replica/shard-replica.js';
import { startGroupReplica, VOLATILE_COMPACTION, type CompactionTuning } from '../../core/shard/group-replica.js';
import type { SyncMode } from '../../core/storage/log-storage.js';
import { StorageError } from '../../core/storage/storage-errors.js';
import { FileRaftStorage } from '../storage/file-raft-storage.js';
import { groupDirName, type WorkerSetup } from './worker-protocol.js';

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
        const dir = join(setup.storage.dataDir, groupDirName(members.group));
        const file = openGroupDir(dir, setup.storage.nodeId, members.group, setup.storage.syncMode);
        files.push(file);
        for (const f of file.findings) recovered.push(`${dir}: ${f.action} ${f.file} at offset ${f.offset} (${f.bytes} bytes): ${f.reason}`);
        storage = file;
      }
      replicas.set(members.group, startGroupReplica(members, setup.replicaId, limits, storage, random.fork(), nowMs, compaction));
    }
  } catch (error) {
    for (const file of files) file.close();
    throw error;
  }
  return { replicas, files, recovered };
}

function openGroupDir(dir: string, nodeId: number, group: number, syncMode: SyncMode): FileRaftStorage {
  try {
    return FileRaftStorage.open({ dir, identity: { nodeId, groupId: group }, syncMode });
  } catch (error) {
    if (error instanceof StorageError) throw new GroupStorageRefused(dir, error);
    throw error;
  }
}

// Raft's storage on a real data directory: the lock, node:fs, and the
// storage engine from core/storage. This is what a worker opens for each of
// its groups (worker/group-storage.ts); the worker loop calls flushIfDue()
// in 'batch' mode and close() at shutdown.

import { mkdirSync } from 'node:fs';
import type { RaftStorage, StoredRaftState } from '../../core/raft/raft-storage.js';
import type { Entry, HardState, Snapshot } from '../../core/raft/raft-types.js';
import type { StorageIdentity } from '../../core/storage/file-header.js';
import { LogStorage, type SyncMode } from '../../core/storage/log-storage.js';
import type { RepairState } from '../../core/storage/repair-marker.js';
import type { RecoveryFinding } from '../../core/storage/storage-errors.js';
import { acquireDirLock, type DirLock } from './dir-lock.js';
import { NodeFileSystem } from './node-file-system.js';

export interface FileRaftStorageOptions {
  readonly dir: string;
  readonly identity: StorageIdentity;
  /** Default 'always'. */
  readonly syncMode?: SyncMode;
  /** A replica of a group with peers: damage that may hold acknowledged data is repaired from them, not refused (LogStorage). */
  readonly repairFromPeers?: boolean;
  readonly segmentBytesTarget?: number;
}

export class FileRaftStorage implements RaftStorage {
  private constructor(private readonly engine: LogStorage, private readonly lock: DirLock) {}

  /** Creates the directory if needed, takes its lock and recovers; throws StorageError when it must not be used. */
  static open(options: FileRaftStorageOptions): FileRaftStorage {
    mkdirSync(options.dir, { recursive: true });
    const lock = acquireDirLock(options.dir);
    try {
      const engine = LogStorage.open(new NodeFileSystem(options.dir), {
        identity: options.identity, syncMode: options.syncMode, repairFromPeers: options.repairFromPeers, nowMs: () => performance.now(), segmentBytesTarget: options.segmentBytesTarget,
      });
      return new FileRaftStorage(engine, lock);
    } catch (e) {
      lock.release();
      throw e;
    }
  }

  /** What recovery cut off or removed, with file and offset: log these at start. */
  get findings(): readonly RecoveryFinding[] {
    return this.engine.findings;
  }

  /** Set while this replica repairs lost state from its peers (core/storage/repair-marker.ts). */
  get repair(): RepairState | null {
    return this.engine.repair;
  }

  /** The replica caught up from its peers: the REPAIR marker goes. */
  repaired(): void {
    this.engine.repaired();
  }

  load(): StoredRaftState {
    return this.engine.load();
  }

  saveHardState(hardState: HardState): void {
    this.engine.saveHardState(hardState);
  }

  appendEntries(entries: readonly Entry[]): void {
    this.engine.appendEntries(entries);
  }

  saveSnapshot(snapshot: Snapshot): void {
    this.engine.saveSnapshot(snapshot);
  }

  sync(): void {
    this.engine.sync();
  }

  flushIfDue(): void {
    this.engine.flushIfDue();
  }

  flushDeadlineMs(): number | null {
    return this.engine.flushDeadlineMs();
  }

  /** Makes what was synced durable, closes the files and releases the lock. */
  close(): void {
    try {
      this.engine.close();
    } finally {
      this.lock.release();
    }
  }
}

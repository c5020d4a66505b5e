// What the IO thread hands a worker at start-up (via workerData, the only
// postMessage-style traffic; the request path uses the rings).

import type { Limits } from '../../core/limits.js';
import type { WorkerClusterSetup } from '../cluster/cluster-worker.js';
import type { ReplicaId } from '../../core/raft/raft-types.js';
import type { GroupMembers } from '../../core/shard/group-replica.js';
import type { SyncMode } from '../../core/storage/log-storage.js';

/** Where a worker keeps its groups' Raft state; null in the setup: in memory (--in-memory). */
export interface WorkerStorageSetup {
  /** The node's data directory; group g lives in `<dataDir>/shard-<g>/` (groupDir()). */
  dataDir: string;
  /** Written into every file, so a directory of another node is refused. */
  nodeId: number;
  syncMode: SyncMode;
}

export interface WorkerSetup {
  workerIndex: number;
  /** The shards routed to this worker (a lone node: all its groups); empty for a clustered worker. */
  shardIndexes: number[];
  /** The groups this worker hosts, with their voters (a lone node: each shard alone, core/shard/group-replica.ts). */
  groups: GroupMembers[];
  /** This node's replica id in every group it hosts. */
  replicaId: ReplicaId;
  storage: WorkerStorageSetup | null;
  requestRing: SharedArrayBuffer;
  replyRing: SharedArrayBuffer;
  /** Shared control words; see CONTROL_* below. */
  control: SharedArrayBuffer;
  /** Busy time and shard sizes the worker publishes (runtime-node/metrics/worker-stats.ts). */
  stats: SharedArrayBuffer;
  limits: Limits;
  /** CPU the IO thread pins this worker to once it announces its tid (pin-cpu.ts), or -1 to leave it unpinned. */
  cpu: number;
  /** Empty polls before the worker sleeps (core/shard/worker-loop.ts); 0 when no core is spare (worker-pool.ts). */
  idlePollsMax: number;
  /** A cluster node's worker: the replicas it hosts and its peer rings (runtime-node/cluster/cluster-worker.ts). */
  cluster?: WorkerClusterSetup;
}

/** Int32 index in `control`: set to 1 by the IO thread to ask the worker to stop. */
export const CONTROL_STOP = 0;
/** Int32 index in `control`: the worker's key count, refreshed while it runs (for /healthz and INFO). */
export const CONTROL_KEYS = 1;
/**
 * BigInt64 index in `control` (its Int32 words 2 and 3): each shard's share of
 * --maxmemory in bytes, 0 = no limit; set by the IO thread (at start and on
 * CONFIG SET maxmemory), read by the worker before each drain.
 */
export const CONTROL_MEMORY_BUDGET_BIGINT = 1;
/** Int32 index in `control`: set to 1 by the IO thread when a watch opens; the worker then reports changes (core/watch/) until it stops. */
export const CONTROL_RECORD_CHANGES = 4;
/** Six words: a multiple of two, so the BigInt64 view over the buffer stays whole. */
export const CONTROL_WORDS = 6;

/** Longest a worker sleeps without work, so expiry sweeps still run (ms). */
export const WORKER_IDLE_WAKE_MS = 100;
/** Requests a worker applies before it publishes replies and checks for stop. */
export const WORKER_BATCH_MAX = 256;

export type WorkerEvent =
  /** First, before recovery: the thread's kernel id, for the IO thread to pin it (pin-cpu.ts); null if unknown. */
  | { type: 'thread'; workerIndex: number; tid: number | null }
  /** `recovered`: what storage recovery repaired in each group (cut tails, removed files), to log at start. */
  | { type: 'ready'; workerIndex: number; recovered: string[] }
  /** The worker cannot open its storage (another node's or an unknown format, damaged, locked); it has exited. */
  | { type: 'refused'; workerIndex: number; message: string }
  | { type: 'stopped'; workerIndex: number };

/** The directory of group `group` inside a data directory. */
export function groupDirName(group: number): string {
  return `shard-${group}`;
}

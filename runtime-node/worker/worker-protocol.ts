// What the IO thread hands a worker at start-up (via workerData, the only
// postMessage-style traffic; the request path uses the rings).

import type { Limits } from '../../core/limits.js';
import type { WorkerClusterSetup } from '../cluster/cluster-worker.js';

export interface WorkerSetup {
  workerIndex: number;
  shardIndexes: number[];
  requestRing: SharedArrayBuffer;
  replyRing: SharedArrayBuffer;
  /** Shared control words; see CONTROL_* below. */
  control: SharedArrayBuffer;
  /** Busy time and shard sizes the worker publishes (runtime-node/metrics/worker-stats.ts). */
  stats: SharedArrayBuffer;
  limits: Limits;
  /** CPU to pin to, or -1 to leave the thread unpinned. */
  cpu: number;
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
export const CONTROL_WORDS = 4;

/** Longest a worker sleeps without work, so expiry sweeps still run (ms). */
export const WORKER_IDLE_WAKE_MS = 100;
/** Requests a worker applies before it publishes replies and checks for stop. */
export const WORKER_BATCH_MAX = 256;

export type WorkerEvent =
  | { type: 'ready'; workerIndex: number; pinned: boolean; cpu: number; tid: number | null; warning?: string }
  | { type: 'stopped'; workerIndex: number };

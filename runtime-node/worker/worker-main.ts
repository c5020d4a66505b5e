// A worker thread: owns its shards and serves them from its request ring.
// It never touches the event loop on the hot path: it sleeps in Atomics.wait
// on the ring's signal word when idle (so idle costs ~0% CPU) and drains in
// batches under load.
//
// At start it opens each of its groups' storage and recovers it
// (group-storage.ts); a directory it must not use is announced as 'refused'
// and the thread ends. In --fsync batch mode the loop makes synced writes
// durable when their deadline comes (flushIfDue), waking for it if idle.

import { parentPort, workerData } from 'node:worker_threads';
import { ShardWorker } from '../../core/shard/shard-worker.js';
import { WorkerLoop } from '../../core/shard/worker-loop.js';
import { SpscRing } from '../../core/ring/spsc-ring.js';
import type { FileRaftStorage } from '../storage/file-raft-storage.js';
import { WorkerStatsWriter } from '../metrics/worker-stats.js';
import { ClusterWorker } from '../cluster/cluster-worker.js';
import { GroupStorageRefused, openGroups, type OpenedGroups } from './group-storage.js';
import { currentThreadId } from './pin-cpu.js';
import {
  CONTROL_KEYS, CONTROL_MEMORY_BUDGET_BIGINT, CONTROL_RECORD_CHANGES, CONTROL_STOP, WORKER_BATCH_MAX, WORKER_IDLE_WAKE_MS, type WorkerEvent, type WorkerSetup,
} from './worker-protocol.js';

const setup = workerData as WorkerSetup;
const requests = new SpscRing(setup.requestRing);
const replies = new SpscRing(setup.replyRing);
const control = new Int32Array(setup.control);
const controlBigInts = new BigInt64Array(setup.control);
// A cluster node's worker hosts replicas of its groups and trades peer batches over two more rings (set by open()).
let cluster: ClusterWorker | null = null;
const stats = new WorkerStatsWriter(setup.stats, performance.now());
let expiredKeys = 0;

function announce(event: WorkerEvent): void {
  parentPort!.postMessage(event);
}

/** The groups, recovered; null when a storage directory was refused (announced). */
function open(): OpenedGroups | null {
  try {
    if (setup.cluster) {
      cluster = new ClusterWorker(setup.cluster, setup.limits, setup.storage);
      return { replicas: cluster.replicas, files: cluster.fileList, recovered: cluster.recovered };
    }
    return openGroups(setup, setup.limits, Date.now());
  } catch (error) {
    if (!(error instanceof GroupStorageRefused)) throw error;
    announce({ type: 'refused', workerIndex: setup.workerIndex, message: error.message });
    return null;
  }
}

// The IO thread pins this thread by its tid (pin-cpu.ts) while it recovers; 'ready' waits for that there.
announce({ type: 'thread', workerIndex: setup.workerIndex, tid: currentThreadId() });
const groups = open();
// A clustered worker names no shards of its own: its replicas say what it hosts, and other groups' requests are NOT_LEADER.
const worker = groups === null ? null : new ShardWorker(cluster ? [] : setup.shardIndexes, requests, replies, setup.limits, groups.replicas);

/** Publish the key count and the numbers metrics read (store bytes: what the shard stores hold, keys with a TTL, busy time). */
function publishStats(worker: ShardWorker): void {
  Atomics.store(control, CONTROL_KEYS, worker.keyCount);
  let storeBytes = 0;
  let expiringKeys = 0;
  for (const shard of worker.shards()) {
    storeBytes += shard.usedBytes;
    expiringKeys += shard.expiringSize;
  }
  stats.publish(performance.now(), storeBytes, expiringKeys, expiredKeys, worker.leaderWaitCounts);
}

function start(worker: ShardWorker, files: readonly FileRaftStorage[], recovered: string[]): void {
  // Recovered keys count from the start (/healthz, INFO).
  publishStats(worker);
  announce({
    type: 'ready',
    workerIndex: setup.workerIndex,
    recovered,
  });
  serve(worker, files);
  // Everything synced becomes durable (all modes) and the directory locks are released.
  for (const file of files) file.close();
  announce({ type: 'stopped', workerIndex: setup.workerIndex });
}

/** How long an idle wait may last: the idle wake-up, or less when a 'batch' flush falls due sooner. */
function waitMs(files: readonly FileRaftStorage[]): number {
  let ms = WORKER_IDLE_WAKE_MS;
  for (const file of files) {
    const deadline = file.flushDeadlineMs();
    if (deadline !== null) ms = Math.min(ms, Math.max(1, Math.ceil(deadline - performance.now())));
  }
  return ms;
}

function serve(worker: ShardWorker, files: readonly FileRaftStorage[]): void {
  const batchFlush = setup.storage?.syncMode.kind === 'batch';
  // The loop's decisions are core's (core/shard/worker-loop.ts), shared with the simulator; the waiting is ours.
  const loop = new WorkerLoop(worker, WORKER_BATCH_MAX, WORKER_IDLE_WAKE_MS, cluster?.tickMs ?? 0, setup.idlePollsMax);
  while (Atomics.load(control, CONTROL_STOP) === 0) {
    worker.memoryBudgetBytes = Number(Atomics.load(controlBigInts, CONTROL_MEMORY_BUDGET_BIGINT));
    // Read before the turn's drain takes requests: a request sent after the IO thread set it has its changes reported.
    if (Atomics.load(control, CONTROL_RECORD_CHANGES) !== 0) worker.recordChanges();
    cluster?.takePeerInput(worker, Date.now());
    const { drained, swept, ticked, next } = loop.turn(Date.now());
    cluster?.afterTurn(worker, ticked);
    if (drained.notifyReplies) Atomics.notify(replies.header, SpscRing.signalConsumerIndex);
    if (drained.notifyRequests) Atomics.notify(requests.header, SpscRing.signalProducerIndex);
    if (swept !== null) {
      expiredKeys += swept;
      publishStats(worker);
    }
    if (batchFlush) for (const file of files) file.flushIfDue();
    if (next === 'waitForSpace') {
      const head = replies.prepareToWaitForSpace();
      if (head !== null) {
        stats.pause(performance.now());
        Atomics.wait(replies.header, SpscRing.signalProducerIndex, head, batchFlush ? waitMs(files) : WORKER_IDLE_WAKE_MS);
        stats.resume(performance.now());
      }
      replies.doneWaitingForSpace();
      continue;
    }
    if (next === 'sleep' && cluster) {
      // Sleep on the doorbell (requests and peer batches both ring it), no longer than until the next Raft tick.
      stats.pause(performance.now());
      cluster.sleep(requests, Math.min(WORKER_IDLE_WAKE_MS, loop.msUntilTick(Date.now())));
      stats.resume(performance.now());
      continue;
    }
    if (next === 'sleep') {
      const tail = requests.prepareToSleep();
      if (tail !== null) {
        stats.pause(performance.now());
        Atomics.wait(requests.header, SpscRing.signalConsumerIndex, tail, batchFlush ? waitMs(files) : WORKER_IDLE_WAKE_MS);
        stats.resume(performance.now());
      }
      requests.wokeUp();
    }
  }
}

if (worker !== null && groups !== null) start(worker, groups.files, groups.recovered);

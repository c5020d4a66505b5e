// A worker thread: owns its shards and serves them from its request ring.
// It never touches the event loop on the hot path: it sleeps in Atomics.wait
// on the ring's signal word when idle (so idle costs ~0% CPU) and drains in
// batches under load.

import { parentPort, workerData } from 'node:worker_threads';
import { ShardWorker } from '../../core/shard/shard-worker.js';
import { WorkerLoop } from '../../core/shard/worker-loop.js';
import { SpscRing } from '../../core/ring/spsc-ring.js';
import { WorkerStatsWriter } from '../metrics/worker-stats.js';
import { ClusterWorker } from '../cluster/cluster-worker.js';
import { currentThreadId, pinCurrentThread } from './pin-cpu.js';
import {
  CONTROL_KEYS, CONTROL_MEMORY_BUDGET_BIGINT, CONTROL_STOP, WORKER_BATCH_MAX, WORKER_IDLE_WAKE_MS, type WorkerEvent, type WorkerSetup,
} from './worker-protocol.js';

const setup = workerData as WorkerSetup;
const requests = new SpscRing(setup.requestRing);
const replies = new SpscRing(setup.replyRing);
const control = new Int32Array(setup.control);
const controlBigInts = new BigInt64Array(setup.control);
// A cluster node's worker hosts replicas of its groups and trades peer batches over two more rings.
const cluster = setup.cluster ? new ClusterWorker(setup.cluster, setup.limits) : null;
const worker = new ShardWorker(setup.shardIndexes, requests, replies, setup.limits, cluster?.replicas);
const stats = new WorkerStatsWriter(setup.stats, performance.now());
let expiredKeys = 0;

/** Publish the key count and the numbers metrics read (store bytes: what the shard stores hold, keys with a TTL, busy time). */
function publishStats(): void {
  Atomics.store(control, CONTROL_KEYS, worker.keyCount);
  let storeBytes = 0;
  let expiringKeys = 0;
  for (const shard of worker.shards()) {
    storeBytes += shard.usedBytes;
    expiringKeys += shard.expiringSize;
  }
  stats.publish(performance.now(), storeBytes, expiringKeys, expiredKeys);
}

function announce(event: WorkerEvent): void {
  parentPort!.postMessage(event);
}

const pin = setup.cpu >= 0 ? pinCurrentThread(setup.cpu) : { pinned: false as const, reason: 'pinning disabled' };
announce({
  type: 'ready',
  workerIndex: setup.workerIndex,
  pinned: pin.pinned,
  cpu: pin.pinned ? pin.cpu : -1,
  tid: currentThreadId(),
  ...(pin.pinned ? {} : { warning: pin.reason }),
});

function serve(): void {
  // The loop's decisions are core's (core/shard/worker-loop.ts), shared with the simulator; the waiting is ours.
  const loop = new WorkerLoop(worker, WORKER_BATCH_MAX, WORKER_IDLE_WAKE_MS, cluster?.tickMs ?? 0);
  while (Atomics.load(control, CONTROL_STOP) === 0) {
    worker.memoryBudgetBytes = Number(Atomics.load(controlBigInts, CONTROL_MEMORY_BUDGET_BIGINT));
    cluster?.takePeerInput(worker, Date.now());
    const { drained, swept, ticked, next } = loop.turn(Date.now());
    cluster?.afterTurn(worker, ticked);
    if (drained.notifyReplies) Atomics.notify(replies.header, SpscRing.signalConsumerIndex);
    if (drained.notifyRequests) Atomics.notify(requests.header, SpscRing.signalProducerIndex);
    if (swept !== null) {
      expiredKeys += swept;
      publishStats();
    }
    if (next === 'waitForSpace') {
      const head = replies.prepareToWaitForSpace();
      if (head !== null) {
        stats.pause(performance.now());
        Atomics.wait(replies.header, SpscRing.signalProducerIndex, head, WORKER_IDLE_WAKE_MS);
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
        Atomics.wait(requests.header, SpscRing.signalConsumerIndex, tail, WORKER_IDLE_WAKE_MS);
        stats.resume(performance.now());
      }
      requests.wokeUp();
    }
  }
  announce({ type: 'stopped', workerIndex: setup.workerIndex });
}

serve();

// The IO thread's side of the workers: starts the threads, and drives each
// worker's ShardChannel (core/node/shard-channel.ts) with the real waiting:
// Atomics.notify when a side sleeps, Atomics.waitAsync for replies.

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { assert } from '../../core/assert.js';
import type { Limits } from '../../core/limits.js';
import type { Request } from '../../core/protocol/ops.js';
import { ShardChannel, type ReplyCallback } from '../../core/node/shard-channel.js';
import type { ChangeRecord } from '../../core/watch/change-record.js';
import type { ShardTransport } from '../../core/node/dispatcher.js';
import { ringBufferBytes, SpscRing } from '../../core/ring/spsc-ring.js';
import { SlotMap } from '../../core/routing/slot-map.js';
import { readWorkerStats, workerStatsBuffer, type WorkerStatsSnapshot } from '../metrics/worker-stats.js';
import { LONE_REPLICA_ID, loneGroups } from '../../core/shard/group-replica.js';
import type { WorkerClusterSetup } from '../cluster/cluster-worker.js';
import { ringDoorbell } from '../cluster/peer-pump.js';
import { pinThread, type PinResult } from '../worker/pin-cpu.js';
import {
  CONTROL_KEYS, CONTROL_MEMORY_BUDGET_BIGINT, CONTROL_RECORD_CHANGES, CONTROL_STOP, CONTROL_WORDS, type WorkerEvent, type WorkerSetup, type WorkerStorageSetup,
} from '../worker/worker-protocol.js';

/** A worker could not open its groups' storage (the message names the directory, file and reason): the node cannot start. */
export class StorageRefusedError extends Error {
  override name = 'StorageRefusedError';
}

/**
 * Empty polls of the request ring before a worker announces sleep
 * (core/shard/worker-loop.ts: spin before sleep). An empty turn costs about
 * 0.2 µs, so this spins some 25 µs: enough to catch the IO thread's next
 * requests while it parses a burst (it publishes each as it goes), far less
 * than a futex wake-up pair and the context switch it forces. Only with a
 * core to spare (more cores than workers + the IO thread): where threads
 * share cores, a spinning worker takes the CPU the IO thread needs to send it
 * work, and measurement (docs/benchmarks.md, "Wake-ups") found it slower.
 */
export const WORKER_IDLE_POLLS_MAX = 128;

/** The spin a worker gets: WORKER_IDLE_POLLS_MAX when the cores outnumber the threads that serve, else none. */
export function workerIdlePollsMax(cores: number, workers: number): number {
  return cores > workers + 1 ? WORKER_IDLE_POLLS_MAX : 0;
}

function notifyConsumer(ring: SpscRing): void {
  Atomics.notify(ring.header, SpscRing.signalConsumerIndex);
}

function notifyProducer(ring: SpscRing): void {
  Atomics.notify(ring.header, SpscRing.signalProducerIndex);
}

export interface WorkerInfo {
  index: number;
  pinned: boolean;
  cpu: number;
  tid: number | null;
}

/** One worker as metrics see it. */
export interface WorkerSnapshot extends WorkerStatsSnapshot {
  keys: number;
  /** Bytes written to the ring and not yet consumed: requests waiting for the worker, replies for the IO thread. */
  requestRingBytes: number;
  replyRingBytes: number;
}

interface WorkerChannel {
  thread: Worker;
  requests: SpscRing;
  replies: SpscRing;
  control: Int32Array;
  /** What the worker publishes for metrics (worker-stats.ts). */
  stats: SharedArrayBuffer;
  io: ShardChannel;
  /** The worker must be woken; done once per event-loop turn, not per request. */
  notifyPending: boolean;
  /** The thread has ended (stopped, or refused its storage at start). */
  exited: boolean;
  /** A cluster node's worker sleeps on this word instead of the request ring's (cluster/cluster-worker.ts). */
  doorbell: Int32Array | null;
}

export interface WorkerPoolOptions {
  workers: number;
  /** Shards per node; default one per worker. */
  shards?: number;
  limits: Limits;
  pin: boolean;
  /** Where the groups keep their Raft state (a data directory), or null: in memory. */
  storage: WorkerStorageSetup | null;
  log: (line: string) => void;
  /** Empty polls before a worker sleeps; default workerIdlePollsMax(cores, workers) (tests set it). */
  idlePollsMax?: number;
  /** Runs after each batch of replies has been delivered (front doors flush their sends). */
  afterReplies?: () => void;
  /** A cluster node: each worker's replicas and peer rings, and the doorbell it sleeps on. */
  cluster?: {
    workerSetup(index: number, shardIndexes: readonly number[]): WorkerClusterSetup;
    doorbellOf(index: number): Int32Array;
  };
}

const WORKER_SCRIPT = new URL('../worker/worker-main.js', import.meta.url);

export class WorkerPool implements ShardTransport {
  readonly slotMap: SlotMap;
  readonly infos: WorkerInfo[] = [];
  private readonly channels: WorkerChannel[] = [];
  private stopping = false;

  private constructor(private readonly options: WorkerPoolOptions) {
    this.slotMap = new SlotMap(options.shards ?? options.workers, options.workers);
  }

  static async start(options: WorkerPoolOptions): Promise<WorkerPool> {
    assert(options.workers >= 1, 'at least one worker');
    const pool = new WorkerPool(options);
    try {
      await pool.spawnAll();
    } catch (error) {
      // One worker refused its storage: stop the others (they close their storages and locks).
      await pool.stop();
      throw error;
    }
    return pool;
  }

  /**
   * One worker per core but one: the IO thread needs a core of its own to
   * parse, route and write. Measured on 2 cores (docs/benchmarks.md, "Worker
   * count"): one worker beats two at pipeline 16 and ties at pipeline 1, and
   * under --fsync always one worker's syncs each carry about 4x the writes.
   */
  static defaultWorkerCount(): number {
    return Math.max(1, availableParallelism() - 1);
  }

  get inFlight(): number {
    let n = 0;
    for (const ch of this.channels) n += ch.io.inFlight;
    return n;
  }

  get workerCount(): number {
    return this.channels.length;
  }

  keyCount(): number {
    let n = 0;
    for (const ch of this.channels) n += Atomics.load(ch.control, CONTROL_KEYS);
    return n;
  }

  /** Each shard's share of --maxmemory, in bytes (0: no limit): workers read it before each drain. */
  setMemoryBudget(bytesPerShard: number): void {
    for (const ch of this.channels) Atomics.store(new BigInt64Array(ch.control.buffer), CONTROL_MEMORY_BUDGET_BIGINT, BigInt(bytesPerShard));
  }

  /**
   * Ask every worker to report its groups' changes from now on (a watch
   * opened: runtime-node/watch/; `expired` events: runtime-node/pubsub/);
   * they reach `onChange` in each group's order, beginning with a begin
   * record per group (for the first listener). Idempotent per listener.
   */
  recordChanges(onChange: (record: ChangeRecord) => void): void {
    if (this.changeListeners.includes(onChange)) return;
    this.changeListeners.push(onChange);
    for (const ch of this.channels) {
      if (ch.io.onChange !== null) continue;
      ch.io.onChange = this.onChangeRecord;
      Atomics.store(ch.control, CONTROL_RECORD_CHANGES, 1);
      // Woken now, not at its next idle wake-up: the watch waits for the begin records.
      this.scheduleNotify(ch);
    }
  }

  /** Who takes the change records (watches, keyspace notifications), in subscription order. */
  private readonly changeListeners: ((record: ChangeRecord) => void)[] = [];
  private readonly onChangeRecord = (record: ChangeRecord): void => {
    for (const listener of this.changeListeners) listener(record);
  };

  /** Each worker's published numbers and its rings' waiting bytes, read without disturbing it (for metrics and INFO). */
  workerSnapshots(): WorkerSnapshot[] {
    return this.channels.map((ch) => ({
      ...readWorkerStats(ch.stats),
      keys: Atomics.load(ch.control, CONTROL_KEYS),
      requestRingBytes: ch.requests.usedBytes(),
      replyRingBytes: ch.replies.usedBytes(),
    }));
  }

  private async spawnAll(): Promise<void> {
    const cpus = availableParallelism();
    const ready: Promise<void>[] = [];
    for (let i = 0; i < this.options.workers; i++) {
      const requestRing = new SharedArrayBuffer(ringBufferBytes(this.options.limits.ringBytes));
      const replyRing = new SharedArrayBuffer(ringBufferBytes(this.options.limits.ringBytes));
      const control = new SharedArrayBuffer(CONTROL_WORDS * 4);
      const stats = workerStatsBuffer();
      const shardIndexes = this.slotMap.shardsOfWorker(i);
      const setup: WorkerSetup = {
        workerIndex: i,
        shardIndexes,
        // A node alone: each shard is a group of one (a cluster's workers get their groups' members instead).
        groups: loneGroups(shardIndexes),
        replicaId: LONE_REPLICA_ID,
        storage: this.options.storage,
        requestRing,
        replyRing,
        control,
        stats,
        limits: this.options.limits,
        cpu: this.options.pin ? i % cpus : -1,
        idlePollsMax: this.options.idlePollsMax ?? workerIdlePollsMax(cpus, this.options.workers),
        ...(this.options.cluster ? { cluster: this.options.cluster.workerSetup(i, this.slotMap.shardsOfWorker(i)) } : {}),
      };
      const thread = new Worker(WORKER_SCRIPT, { workerData: setup, name: `piccolo-worker-${i}` });
      const requests = new SpscRing(requestRing);
      const replies = new SpscRing(replyRing);
      const channel: WorkerChannel = {
        thread, requests, replies, control: new Int32Array(control), stats, io: new ShardChannel(requests, replies), notifyPending: false, exited: false,
        doorbell: this.options.cluster?.doorbellOf(i) ?? null,
      };
      thread.once('exit', () => { channel.exited = true; });
      this.channels.push(channel);
      ready.push(new Promise((resolve, reject) => {
        thread.once('error', reject);
        // The worker announces its tid before it recovers; taskset runs meanwhile and 'ready' reports its outcome.
        let tid: number | null = null;
        let pin: Promise<PinResult> = Promise.resolve({ pinned: false, reason: 'pinning disabled' });
        thread.on('message', (event: WorkerEvent) => {
          if (event.type === 'refused') return reject(new StorageRefusedError(event.message));
          if (event.type === 'thread') {
            tid = event.tid;
            if (setup.cpu >= 0) pin = pinThread(event.tid, setup.cpu);
            return;
          }
          if (event.type !== 'ready') return;
          void pin.then((result) => {
            this.infos[event.workerIndex] = { index: event.workerIndex, pinned: result.pinned, cpu: result.pinned ? result.cpu : -1, tid };
            if (!result.pinned) this.options.log(`warning: worker ${i} runs unpinned: ${result.reason}`);
            for (const line of event.recovered) this.options.log(`recovery: ${line}`);
            resolve();
          });
        });
      }));
      thread.on('error', (error) => {
        // A worker error is a bug (an assertion in the core): fail loudly.
        this.options.log(`fatal: worker ${i} failed: ${error.stack ?? error.message}`);
        process.exitCode = 70;
        process.kill(process.pid, 'SIGTERM');
      });
      this.armReplies(channel);
    }
    await Promise.all(ready);
  }

  /** Send a request to a shard; `onReply` runs on the IO thread when it is answered. */
  submit(shard: number, request: Request, onReply: ReplyCallback): void {
    const channel = this.channels[this.slotMap.workerOf(shard)]!;
    if (channel.io.submit(shard, request, onReply)) this.scheduleNotify(channel);
  }

  private notifyScheduled = false;

  /**
   * Atomics.notify is a futex syscall; under load one request per notify
   * would cost more than the request itself. Wake each sleeping worker once,
   * after every request of this event-loop turn has been queued.
   */
  private scheduleNotify(channel: WorkerChannel): void {
    channel.notifyPending = true;
    if (this.notifyScheduled) return;
    this.notifyScheduled = true;
    setImmediate(() => {
      this.notifyScheduled = false;
      for (const ch of this.channels) {
        if (!ch.notifyPending) continue;
        ch.notifyPending = false;
        notifyConsumer(ch.requests);
        if (ch.doorbell) ringDoorbell(ch.doorbell);
      }
    });
  }

  private afterRepliesScheduled = false;

  /**
   * The front doors' flush, once per event-loop turn, after every worker's
   * replies of the turn were delivered: a connection whose pipeline spans
   * several workers gets one socket write, not one per worker's reply drain.
   * setImmediate runs in this same loop iteration (the check phase follows
   * the poll phase that delivered the replies), so no reply waits longer.
   */
  private scheduleAfterReplies(): void {
    if (this.afterRepliesScheduled || this.options.afterReplies === undefined) return;
    this.afterRepliesScheduled = true;
    setImmediate(this.runAfterReplies);
  }

  private readonly runAfterReplies = (): void => {
    this.afterRepliesScheduled = false;
    this.options.afterReplies?.();
  };

  /** Read every visible reply, then sleep on the ring's signal word (asynchronously). */
  private armReplies(channel: WorkerChannel): void {
    const drain = (): void => {
      if (this.stopped) return;
      channel.replies.wokeUp();
      const result = channel.io.drainReplies();
      if (result.notifyWorkerProducer) notifyProducer(channel.replies);
      if (result.notifyWorkerConsumer) this.scheduleNotify(channel);
      if (result.delivered > 0) this.scheduleAfterReplies();
      const tail = channel.replies.prepareToSleep();
      if (tail === null) {
        setImmediate(drain);
        return;
      }
      const waited = Atomics.waitAsync(channel.replies.header, SpscRing.signalConsumerIndex, tail);
      if (waited.async) void waited.value.then(drain);
      else setImmediate(drain);
    };
    drain();
  }

  private stopped = false;

  /** Stop the workers. Callers first wait for `inFlight` to reach 0. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const exits = this.channels.map((ch) => new Promise<void>((resolve) => {
      if (ch.exited) return resolve();
      ch.thread.once('exit', () => resolve());
      Atomics.store(ch.control, CONTROL_STOP, 1);
      Atomics.notify(ch.requests.header, SpscRing.signalConsumerIndex);
      if (ch.doorbell) ringDoorbell(ch.doorbell);
    }));
    await Promise.all(exits);
    this.stopped = true;
    for (const ch of this.channels) {
      // Wake our own pending waitAsync so no promise keeps the loop alive.
      Atomics.notify(ch.replies.header, SpscRing.signalConsumerIndex);
    }
  }
}

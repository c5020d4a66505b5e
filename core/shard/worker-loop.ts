// The decisions of a worker's loop, in one place for both runtimes: tick the
// replicas when a Raft tick is due (cluster nodes), drain a batch off the
// request ring, run the expiry sweep when it is due, and say what the thread
// does next. runtime-node's worker thread carries the
// decision out with Atomics.wait/notify; the simulator with events on a
// simulated thread (and varies the timing, not the decision).
//
// What must hold (the rings' contract, core/ring/spsc-ring.ts): a worker
// sleeps only after announcing it on the ring (prepareToSleep /
// prepareToWaitForSpace) and re-checking, so a publish in between is never
// lost; the runtime does that announcing, since how to wait is its business.

import type { DrainResult, ShardWorker } from './shard-worker.js';

/**
 * What the thread does after a turn:
 * - drain: work remains (a full batch, replies waiting to be written, or a
 *   snapshot job under way, stepped between requests);
 * - waitForSpace: the reply ring is full: wait until the IO side frees space;
 * - sleep: nothing to do: wait for requests (or the idle wake-up).
 */
export type WorkerNext = 'drain' | 'waitForSpace' | 'sleep';

export interface WorkerTurn {
  readonly drained: DrainResult;
  /** Keys the sweep removed, or null when no sweep was due this turn. */
  readonly swept: number | null;
  /** A Raft tick ran this turn. */
  readonly ticked: boolean;
  readonly next: WorkerNext;
}

export class WorkerLoop {
  /** Node-clock ms of the last sweep (0: the first turn sweeps). */
  private lastSweepMs = 0;
  /** Node-clock ms of the next Raft tick. */
  private nextTickMs = 0;

  constructor(
    readonly worker: ShardWorker,
    /** Records one turn applies at most. */
    private readonly batchMax: number,
    /** Node-clock ms between expiry sweeps. */
    private readonly sweepIntervalMs: number,
    /** Node-clock ms between Raft ticks of the worker's replicas; 0: no replicas to tick (a lone node, or a runtime that ticks itself). */
    private readonly tickIntervalMs = 0,
  ) {}

  /** Ms until the next Raft tick is due (the longest the thread may sleep); Infinity without ticks. */
  msUntilTick(nowMs: number): number {
    return this.tickIntervalMs > 0 ? Math.max(0, this.nextTickMs - nowMs) : Infinity;
  }

  turn(nowMs: number): WorkerTurn {
    // Tick first: what it completes (read timeouts) is written by this turn's drain.
    let ticked = false;
    if (this.tickIntervalMs > 0 && nowMs >= this.nextTickMs) {
      this.worker.tick(nowMs);
      // From now, not from the missed deadline: a stalled thread does not fire a burst of catch-up ticks.
      this.nextTickMs = nowMs + this.tickIntervalMs;
      ticked = true;
    }
    const drained = this.worker.drain(nowMs, this.batchMax);
    let swept: number | null = null;
    if (nowMs - this.lastSweepMs >= this.sweepIntervalMs) {
      swept = this.worker.sweepExpired(nowMs);
      this.lastSweepMs = nowMs;
    }
    const next: WorkerNext = drained.blockedOnReplies ? 'waitForSpace'
      : drained.applied === 0 && this.worker.repliesWaiting === 0 && !drained.snapshotting ? 'sleep' : 'drain';
    return { drained, swept, ticked, next };
  }
}

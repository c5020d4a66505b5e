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
//
// Spin before sleep: a worker that found nothing may poll the ring again a
// bounded number of times (`idlePollsMax`) before it says 'sleep'. Under a
// steady stream of requests the next batch usually lands within a few
// microseconds of the last drain, and a sleep costs a futex wake on the IO
// thread (often a context switch that preempts it) and another on the way
// back; a short spin costs less. The budget is a count of empty turns, not a
// duration, so the decision is deterministic (the simulator passes 0).

import { assert } from '../assert.js';
import type { DrainResult, ShardWorker } from './shard-worker.js';

/**
 * What the thread does after a turn:
 * - drain: work remains (a full batch, replies waiting to be written, or a
 *   snapshot job under way, stepped between requests), or the loop spins:
 *   poll again before sleeping;
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
  /** Empty turns in a row since the last one with work: the spin so far. */
  private idlePolls = 0;
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
    /** Empty turns in a row that poll again ('drain') before the loop says 'sleep'; 0: sleep at the first empty turn. */
    private readonly idlePollsMax = 0,
  ) {
    assert(Number.isInteger(idlePollsMax) && idlePollsMax >= 0, 'idlePollsMax is a count of turns');
  }

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
    return { drained, swept, ticked, next: this.decide(drained) };
  }

  private decide(drained: DrainResult): WorkerNext {
    if (drained.blockedOnReplies) return 'waitForSpace';
    const idle = drained.applied === 0 && this.worker.repliesWaiting === 0 && !drained.snapshotting;
    if (!idle) {
      this.idlePolls = 0;
      return 'drain';
    }
    if (this.idlePolls < this.idlePollsMax) {
      this.idlePolls++;
      return 'drain';
    }
    // The spin is spent: sleep, and spin afresh after the next turn with work.
    this.idlePolls = 0;
    return 'sleep';
  }
}

// Requests held while their group has no leader (core/shard/leader-wait.ts),
// through the whole-node simulator: the hold runs under every fault (each
// seed draws its wait, from none to the product's), and a worker that
// releases what it held in the wrong order is caught.

import { describe, expect, it } from 'vitest';
import type { LeaderWait, WaitingRequest } from '../../core/shard/leader-wait.js';
import { ShardWorker } from '../../core/shard/shard-worker.js';
import { FAULT_NAMES, type FaultName } from '../../runtime-sim/fault-plan.js';
import { formatRun } from '../../runtime-sim/report.js';
import { runSeed, type SeedRun } from '../../runtime-sim/run-seed.js';
import type { SimOptions } from '../../runtime-sim/config.js';
import type { WorkerFactory } from '../../runtime-sim/sim-node.js';

const OPS = 600;
const options = (seed: number, faults: readonly FaultName[], workerFactory?: WorkerFactory): SimOptions =>
  ({ seed, nodes: 3, groups: 4, faults, ops: OPS, ...(workerFactory ? { workerFactory } : {}) });
/**
 * Seeds tried for the planted bug. Only seed 18 of 1..80 under the faults aimed at leaders catches it (none of 1..60
 * of every fault): the order shows only when the replica holding the requests wins the election and serves them,
 * and half the seeds hold nothing. The deterministic case is test/core/replica/replicated-worker.test.ts.
 */
const SEEDS_MAX = 20;
const held = (run: SeedRun): number => run.nodes.reduce((sum, n) => sum + n.stats.leaderWait.held, 0);
const released = (run: SeedRun): number => run.nodes.reduce((sum, n) => sum + n.stats.leaderWait.held - n.stats.leaderWait.refused, 0);

/** The planted bug: held requests are released newest first. */
const lifoWorker: WorkerFactory = (shardIndexes, requests, replies, limits, replicas) => {
  class LifoWorker extends ShardWorker {
    protected override takeHeld(waiting: LeaderWait): WaitingRequest {
      return waiting.pop();
    }
  }
  return new LifoWorker(shardIndexes, requests, replies, limits, replicas);
};

describe('requests held for a leader in the simulator', () => {
  it('are held and released under every fault, and the runs pass', () => {
    let heldTotal = 0;
    let releasedTotal = 0;
    for (let seed = 1; seed <= 5; seed++) {
      const run = runSeed(options(seed, FAULT_NAMES));
      expect(run.failures, formatRun(run).join('\n')).toEqual([]);
      heldTotal += held(run);
      releasedTotal += released(run);
    }
    expect(heldTotal).toBeGreaterThan(0);
    expect(releasedTotal).toBeGreaterThan(0);
  }, 60_000);

  it(`a worker releasing them newest first is caught within ${SEEDS_MAX} seeds of leader faults, and those seeds pass without it`, () => {
    let caught: SeedRun | null = null;
    for (let seed = 1; seed <= SEEDS_MAX && caught === null; seed++) {
      const run = runSeed(options(seed, ['leader'], lifoWorker));
      if (run.failures.length > 0) caught = run;
    }
    expect(caught, 'the planted bug was never caught').not.toBeNull();
    expect(caught!.failures.map((f) => f.kind)).toContain('linearizability');
    for (let seed = 1; seed <= caught!.config.seed; seed++) {
      const clean = runSeed(options(seed, ['leader']));
      expect(clean.failures, formatRun(clean).join('\n')).toEqual([]);
    }
  }, 120_000);
});

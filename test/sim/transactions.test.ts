// Transactions in the simulator's workload (`--tx W`): the checker's
// atomicity rule on its own, runs where every transaction is judged
// (single nodes and a replicated cluster) and pass, and a planted bug, a
// shard applying a write transaction's last op one entry after the rest,
// that the simulator reports.

import { describe, expect, it } from 'vitest';
import { tornPairRead, txValue } from '../../core/checker/index.js';
import type { Limits } from '../../core/limits.js';
import type { Reply, Request } from '../../core/protocol/ops.js';
import type { SpscRing } from '../../core/ring/spsc-ring.js';
import { ShardWorker, type HostedGroup } from '../../core/shard/shard-worker.js';
import type { ShardReplica } from '../../core/replica/shard-replica.js';
import { formatRun, replayCommand } from '../../runtime-sim/report.js';
import { runSeed, type SeedRun } from '../../runtime-sim/run-seed.js';
import type { WorkerFactory } from '../../runtime-sim/sim-node.js';
import { serveAtOnce } from './serve-at-once.js';

const OPS = 600;
const TX_WEIGHT = 10;
const pair = ['{t0}a', '{t0}b'] as const;

/** Transactions the workload ran to completion: write / read ones with an ok reply (one history event per key). */
function txCompleted(run: SeedRun): number {
  return run.history.filter((e) => e.key.startsWith('{t') && e.type === 'ok').length / 2;
}

describe('tornPairRead', () => {
  it('accepts both absent, or both written by one transaction', () => {
    expect(tornPairRead(pair, [null, null])).toBeNull();
    expect(tornPairRead(pair, [txValue(pair[0], '3:7'), txValue(pair[1], '3:7')])).toBeNull();
  });

  it('refuses one key of a transaction without the other, or two transactions\' halves', () => {
    expect(tornPairRead(pair, [txValue(pair[0], '3:7'), null])).toMatch(/\{t0\}b absent.*torn/);
    expect(tornPairRead(pair, [null, txValue(pair[1], '3:7')])).toMatch(/\{t0\}a absent/);
    expect(tornPairRead(pair, [txValue(pair[0], '3:7'), txValue(pair[1], '4:1')])).toMatch(/torn/);
    // A value that names the other key is not this key's transaction value.
    expect(tornPairRead(pair, [txValue(pair[1], '3:7'), txValue(pair[1], '3:7')])).not.toBeNull();
  });
});

describe('a workload with transactions', () => {
  it('single nodes: transactions commit, and every run passes', () => {
    for (const seed of [1, 2, 3]) {
      const run = runSeed({ seed, ops: OPS, txWeight: TX_WEIGHT });
      expect(run.failures, formatRun(run).join('\n')).toEqual([]);
      expect(txCompleted(run)).toBeGreaterThan(20);
    }
  });

  it('a replicated cluster under faults: transactions commit, and the run passes', () => {
    const run = runSeed({ seed: 4, ops: OPS, nodes: 3, groups: 4, txWeight: TX_WEIGHT, faults: ['partition', 'crash', 'leader'] });
    expect(run.failures, formatRun(run).join('\n')).toEqual([]);
    expect(txCompleted(run)).toBeGreaterThan(20);
    expect(replayCommand(run.config)).toMatch(/ --tx 10( |$)/);
  });

  it('without --tx the workload has no transaction keys (and its traces are those of before)', () => {
    const run = runSeed({ seed: 1, ops: 200 });
    expect(run.history.some((e) => e.key.startsWith('{t'))).toBe(false);
  });
});

/**
 * The planted bug: a write transaction's last op is held back and applied as
 * its own entry after the group's next request, while the client is told the
 * whole transaction committed. Each half is a valid register write.
 */
const splitTxWorker: WorkerFactory = (shardIndexes: readonly number[], requests: SpscRing, replies: SpscRing, limits: Limits, replicas) => {
  class SplitTxWorker extends ShardWorker {
    private readonly held = new Map<ShardReplica, Request>();
    protected override serve(group: HostedGroup, _tag: number, request: Request, nowMs: number): Reply {
      const { replica } = group;
      const held = this.held.get(replica);
      this.held.delete(replica);
      const splits = request.op === 'tx' && request.ops.length >= 2 && request.ops.every((op) => op.op === 'set');
      const reply = splits && request.op === 'tx'
        ? this.firstPart(replica, request.ops, nowMs)
        : serveAtOnce(replica, request, nowMs);
      if (held !== undefined) serveAtOnce(replica, { op: 'tx', ops: [held], watch: [] }, nowMs);
      return reply;
    }

    private firstPart(replica: ShardReplica, ops: Request[], nowMs: number): Reply {
      const first = serveAtOnce(replica, { op: 'tx', ops: ops.slice(0, -1), watch: [] }, nowMs);
      this.held.set(replica, ops[ops.length - 1]!);
      if (!first.ok || first.replies === undefined) return first;
      return { ...first, replies: [...first.replies, first.replies[first.replies.length - 1]!] };
    }
  }
  return new SplitTxWorker(shardIndexes, requests, replies, limits, replicas);
};

describe('a transaction applied in two entries is caught', () => {
  it('the simulator reports torn transaction reads, with the command that replays it', () => {
    let caught: { seed: number; run: SeedRun } | null = null;
    for (let seed = 1; seed <= 5 && caught === null; seed++) {
      const run = runSeed({ seed, ops: OPS, txWeight: TX_WEIGHT, workerFactory: splitTxWorker });
      if (run.failures.some((f) => f.kind === 'linearizability' && /torn transaction reads/.test(f.summary))) caught = { seed, run };
    }
    expect(caught, 'a non-atomic transaction went unnoticed').not.toBeNull();
    console.log(`split transaction caught at seed ${caught!.seed}:\n${caught!.run.failures.map((f) => `${f.kind}: ${f.summary}\n  ${f.details.slice(0, 2).join('\n  ')}`).join('\n')}`);
    expect(caught!.run.exitCode).toBe(3);
    expect(formatRun(caught!.run).join('\n')).toMatch(/torn transaction reads[\s\S]*replay: npm run sim -- --seed \d+ .*--tx 10/);
  });
});

// The simulator must catch a broken core. Each test builds a deliberately
// broken worker (a test-only double, defined here) and expects the
// simulator to report the right kind of failure within a few seeds.

import { describe, expect, it } from 'vitest';
import { bytesToBinaryString } from '../../core/bytes.js';
import type { Limits } from '../../core/limits.js';
import type { Reply, Request } from '../../core/protocol/ops.js';
import { SpscRing as SpscRingClass, type SpscRing } from '../../core/ring/spsc-ring.js';
import { ShardWorker, type DrainResult, type HostedGroup } from '../../core/shard/shard-worker.js';
import type { ShardReplica } from '../../core/replica/shard-replica.js';
import { formatRun } from '../../runtime-sim/report.js';
import { runSeed, type SeedRun } from '../../runtime-sim/run-seed.js';
import type { FaultName } from '../../runtime-sim/fault-plan.js';
import type { WorkerFactory } from '../../runtime-sim/sim-node.js';
import { serveAtOnce } from './serve-at-once.js';
import type { FailureKind } from '../../runtime-sim/verdict.js';

const OPS = 400;
const SEEDS_TO_TRY = 5;

type Handle = (req: Request, nowMs: number) => Reply;

/** A worker whose client requests all go through `wrap(original)` (one wrapper per group); the expiry sweep is left alone. */
function wrappedWorker(wrap: (original: Handle) => Handle): WorkerFactory {
  class WrappedWorker extends ShardWorker {
    private readonly handles = new Map<ShardReplica, Handle>();
    protected override serve(group: HostedGroup, _tag: number, request: Request, nowMs: number): Reply {
      let handle = this.handles.get(group.replica);
      if (handle === undefined) this.handles.set(group.replica, handle = wrap((req, now) => serveAtOnce(group.replica, req, now)));
      return handle(request, nowMs);
    }
  }
  return (shardIndexes, requests, replies, limits, replicas) => new WrappedWorker(shardIndexes, requests, replies, limits, replicas);
}

/** The first seed (of the first few) whose run reports `kind`, or null. */
function firstSeedReporting(kind: FailureKind, workerFactory: WorkerFactory, faults?: FaultName[]): { seed: number; run: SeedRun } | null {
  for (let seed = 1; seed <= SEEDS_TO_TRY; seed++) {
    const run = runSeed({ seed, ops: OPS, workerFactory, ...(faults ? { faults } : {}) });
    if (run.failures.some((f) => f.kind === kind)) return { seed, run };
  }
  return null;
}

describe('a broken core is caught', () => {
  it('stale reads: get sometimes returns the value before the latest write', () => {
    const staleReads = wrappedWorker((handle) => {
      const previous = new Map<string, Reply>();
      let gets = 0;
      return (req, nowMs) => {
        const reply = handle(req, nowMs);
        if (req.op !== 'get' || !reply.ok) return reply;
        const key = bytesToBinaryString(req.key);
        const stale = previous.get(key);
        previous.set(key, reply);
        return stale !== undefined && ++gets % 4 === 0 ? stale : reply;
      };
    });
    const caught = firstSeedReporting('linearizability', staleReads);
    expect(caught, 'stale reads went unnoticed').not.toBeNull();
    expect(caught!.run.exitCode).toBe(3);
    expect(formatRun(caught!.run).join('\n')).toMatch(/not linearizable[\s\S]*replay: npm run sim -- --seed/);
  });

  it('lost writes: set sometimes answers ok without storing', () => {
    const lossy = wrappedWorker((handle) => {
      let sets = 0;
      return (req, nowMs) => (req.op === 'set' && ++sets % 5 === 0 ? { ok: true, version: 1 } : handle(req, nowMs));
    });
    const caught = firstSeedReporting('linearizability', lossy) ?? firstSeedReporting('lost-write', lossy);
    expect(caught, 'dropped writes went unnoticed').not.toBeNull();
  });

  it('corruption: a read returns bytes nobody wrote', () => {
    const corrupting = wrappedWorker((handle) => {
      let gets = 0;
      return (req, nowMs) => {
        const reply = handle(req, nowMs);
        if (req.op === 'get' && reply.ok && reply.found && ++gets % 7 === 0) {
          const value = reply.value!.slice();
          value[0] = 0x7e;
          return { ...reply, value };
        }
        return reply;
      };
    });
    const caught = firstSeedReporting('corruption', corrupting);
    expect(caught, 'corrupted values went unnoticed').not.toBeNull();
    expect(caught!.run.exitCode).toBe(4);
  });

  it('expiry on a slow clock: keys outlive their TTL', () => {
    // Reads the node's clock at half speed from its first reading on.
    class SlowClockWorker extends ShardWorker {
      private baseMs: number | null = null;
      private slow(nowMs: number): number {
        this.baseMs ??= nowMs;
        return this.baseMs + Math.floor((nowMs - this.baseMs) / 2);
      }

      override drain(nowMs: number, recordsMax: number): DrainResult {
        return super.drain(this.slow(nowMs), recordsMax);
      }

      override sweepExpired(nowMs: number): number {
        return super.sweepExpired(this.slow(nowMs));
      }
    }
    const factory: WorkerFactory = (s: readonly number[], rq: SpscRing, rp: SpscRing, l: Limits, r) => new SlowClockWorker(s, rq, rp, l, r);
    const caught = firstSeedReporting('expiry', factory, []);
    expect(caught, 'keys living past their TTL went unnoticed').not.toBeNull();
    expect(caught!.run.exitCode).toBe(7);
    expect(formatRun(caught!.run).join('\n')).toMatch(/still present after it expired/);
  });

  it('expiry without the active sweep: expired keys stay in memory', () => {
    class NoSweepWorker extends ShardWorker {
      override sweepExpired(): number {
        return 0;
      }
    }
    const factory: WorkerFactory = (s, rq, rp, l, r) => new NoSweepWorker(s, rq, rp, l, r);
    const caught = firstSeedReporting('expiry', factory, []);
    expect(caught, 'a missing sweep went unnoticed').not.toBeNull();
    expect(formatRun(caught!.run).join('\n')).toMatch(/sweep not removing them/);
  });

  it('a lost wake-up: the worker never tells the IO thread about replies', () => {
    class SilentWorker extends ShardWorker {
      override drain(nowMs: number, recordsMax: number): DrainResult {
        return { ...super.drain(nowMs, recordsMax), notifyReplies: false };
      }
    }
    const factory: WorkerFactory = (s, rq, rp, l, r) => new SilentWorker(s, rq, rp, l, r);
    const run = runSeed({ seed: 1, ops: 100, workerFactory: factory, faults: [] });
    expect(run.failures.map((f) => f.kind)).toContain('liveness');
    expect(run.exitCode).toBe(5);
  });

  it('an assertion in the core is reported as a crash, with the replay command', () => {
    class AssertingWorker extends ShardWorker {
      private calls = 0;
      override drain(nowMs: number, recordsMax: number): DrainResult {
        if (++this.calls === 50) throw new Error('invariant broken in the core');
        return super.drain(nowMs, recordsMax);
      }
    }
    const factory: WorkerFactory = (s, rq, rp, l, r) => new AssertingWorker(s, rq, rp, l, r);
    const run = runSeed({ seed: 2, ops: 100, workerFactory: factory });
    expect(run.exitCode).toBe(6);
    const text = formatRun(run).join('\n');
    expect(text).toMatch(/core-error: exception: Error: invariant broken in the core/);
    expect(text).toMatch(/replay: npm run sim -- --seed 2 /);
  });
});

describe('a lost wake-up in the ring protocol is caught', () => {
  it('prepareToWaitForSpace without the re-check against the failed reserve (the bug fixed in b73491c)', () => {
    // The old announcement compared HEAD with a fresh read taken just before
    // it, so space freed between the failed reserve and the announcement went
    // unnoticed by both sides: the worker slept until its idle timeout.
    const PRODUCER_WAITING = 1; // header word index (core/ring/spsc-ring.ts)
    const HEAD = SpscRingClass.signalProducerIndex;
    const oldProtocol: WorkerFactory = (shardIndexes, requests, replies, limits, replicas) => {
      replies.prepareToWaitForSpace = function (this: SpscRing): number | null {
        const seen = Atomics.load(this.header, HEAD);
        Atomics.store(this.header, PRODUCER_WAITING, 1);
        if (Atomics.load(this.header, HEAD) !== seen) {
          Atomics.store(this.header, PRODUCER_WAITING, 0);
          return null;
        }
        return seen;
      };
      return new ShardWorker(shardIndexes, requests, replies, limits, replicas);
    };
    let caught: SeedRun | null = null;
    for (let seed = 1; seed <= 40 && caught === null; seed++) {
      const run = runSeed({ seed, ops: 1000, workerFactory: oldProtocol, faults: ['pause'] });
      if (run.failures.some((f) => f.kind === 'liveness' && f.details.some((d) => /lost wake-up/.test(d)))) caught = run;
    }
    expect(caught, 'the lost wake-up went unnoticed').not.toBeNull();
  });
});

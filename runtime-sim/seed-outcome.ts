// What a sweep keeps of one seed's run: its op count, timing, failure kinds,
// exit code and replay command. Small and plain (structured-clonable), so a
// seed run on a sweep thread (sweep-pool.ts) can hand it back to the CLI,
// which prints the same summary whichever thread ran the seed.

import { replayCommand } from './report.js';
import type { SeedRun } from './run-seed.js';
import type { FailureKind } from './verdict.js';

export interface SeedOutcome {
  seed: number;
  /** Client operations the run simulated (simulatedOps). */
  ops: number;
  /** Wall-clock ms of the run's simulation and of its checks (0 when not timed). */
  simMs: number;
  checkMs: number;
  /** The kinds of the run's failures, in report order (a kind may repeat); empty when it passed. */
  failureKinds: FailureKind[];
  exitCode: number;
  /** The command that replays the seed. */
  replay: string;
}

/** Client operations a run simulated: the history's, plus the expiry client's. */
export function simulatedOps(run: SeedRun): number {
  return run.operations + run.ttl.sets + run.ttl.reads;
}

export function outcomeOf(seed: number, run: SeedRun): SeedOutcome {
  return {
    seed,
    ops: simulatedOps(run),
    simMs: run.timing?.simMs ?? 0,
    checkMs: run.timing?.checkMs ?? 0,
    failureKinds: run.failures.map((f) => f.kind),
    exitCode: run.exitCode,
    replay: replayCommand(run.config),
  };
}

// What the simulated clients saw, in the checker's history format (one event
// per invoke and completion, in the order they happened, time = virtual µs),
// plus the problems found along the way that are not the checker's business:
// corrupted values, unexpected error replies, liveness failures, expiry
// violations.

import type { CompletionType, EventValue, HistoryEvent, OpFunction } from '../core/checker/index.js';

export type OpCounts = Record<OpFunction, Record<CompletionType, number>>;

function emptyCounts(): OpCounts {
  const row = (): Record<CompletionType, number> => ({ ok: 0, fail: 0, info: 0 });
  return { read: row(), write: row(), cas: row(), delete: row(), incr: row() };
}

export class HistoryRecorder {
  readonly events: HistoryEvent[] = [];
  /** Completions per function, for workload processes. */
  readonly counts: OpCounts = emptyCounts();
  /** Completions of the final read-back. */
  readonly finalCounts: Record<CompletionType, number> = { ok: 0, fail: 0, info: 0 };

  constructor(
    /** Processes at or above this id are the final reader's. */
    private readonly finalProcessFirst: number,
  ) {}

  invoke(process: number, f: OpFunction, key: string, value: EventValue, timeUs: number): void {
    this.events.push({ process, type: 'invoke', f, key, value, time: timeUs });
  }

  complete(process: number, type: CompletionType, f: OpFunction, key: string, value: EventValue, timeUs: number): void {
    this.events.push({ process, type, f, key, value, time: timeUs });
    if (process >= this.finalProcessFirst) this.finalCounts[type]++;
    else this.counts[f][type]++;
  }

  /** The history without the final read-back (to tell a lost write from other violations). */
  withoutFinalReads(): HistoryEvent[] {
    return this.events.filter((e) => e.process < this.finalProcessFirst);
  }

  get operations(): number {
    let n = 0;
    for (const row of Object.values(this.counts)) n += row.ok + row.fail + row.info;
    return n + this.finalCounts.ok + this.finalCounts.fail + this.finalCounts.info;
  }
}

/** Problems found while running, each with enough context to investigate. */
export class Findings {
  /** A value no client wrote to that key, or a malformed reply. */
  readonly corruption: string[] = [];
  /** Error replies the workload cannot cause (a core bug, or a simulator one). */
  readonly unexpected: string[] = [];
  readonly liveness: string[] = [];
  /** A read transaction that saw one key of a write transaction and not the other (core/checker/tx-atomicity.ts). */
  readonly atomicity: string[] = [];
  readonly expiry: string[] = [];
}


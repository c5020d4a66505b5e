// Messages between the load generator's coordinator (ws-load.ts) and its
// threads (ws-load-thread.ts).

import type { HistogramTransfer } from './histogram.js';
import type { ReplyCheckCounts, LoadTarget } from './reply-check.js';
import type { LoadFormat } from './request-writer.js';

export interface LoadThreadSetup {
  url: string;
  target: LoadTarget;
  format: LoadFormat;
  threadIndex: number;
  threadCount: number;
  /** Connections this thread opens. */
  connections: number;
  pipeline: number;
  keyspace: number;
  valueBytes: number;
  /** Fraction of requests that are GETs (the rest are SETs). */
  getRatio: number;
  /** Write every key before measuring (this thread writes keys k with k % threadCount === threadIndex). */
  preload: boolean;
  seed: number;
}

export type ToThread = { type: 'go'; warmupMs: number; durationMs: number };

export type FromThread =
  /** `preloadProblems`: what the preload's replies showed (kept apart from the measured run's). */
  | { type: 'ready'; preloadedKeys: number; preloadProblems: Record<string, number> }
  | {
    type: 'done';
    /** Replies received in the measured window. */
    replies: number;
    histogram: HistogramTransfer;
    checks: ReplyCheckCounts;
    /** Event-loop utilisation of this thread over the window (1 = never idle: the generator was the limit). */
    eventLoopUtilization: number;
    /** Requests still unanswered when the drain timed out. */
    undrained: number;
  }
  | { type: 'failed'; message: string };

// A shard whose changes go the whole way a node sends them, without threads:
// Shard -> ChangeOutbox -> a real SPSC ring -> decodeChangeRecord ->
// WatchSet over a ChangeFeed, as the worker and the IO thread do.

import { makeLimits } from '../../core/limits.js';
import type { Reply, Request } from '../../core/protocol/ops.js';
import { SpscRing } from '../../core/ring/spsc-ring.js';
import type { Change } from '../../core/watch/change.js';
import { ChangeFeed } from '../../core/watch/change-feed.js';
import { ChangeOutbox, decodeChangeRecord } from '../../core/watch/change-record.js';
import { decodeResumeToken } from '../../core/watch/resume-token.js';
import { DEFAULT_WATCH_LIMITS, type WatchLimits } from '../../core/watch/watch-limits.js';
import { WatchSet, type Watch } from '../../core/watch/watch-set.js';
import type { ErrorName } from '../../core/errors.js';
import { LocalShard } from '../core/local-shard.js';
import { b } from '../core/bytes-helpers.js';

export const PIPELINE_LIMITS = makeLimits({ keyBytesMax: 64, valueBytesMax: 1024, frameBytesMax: 4096 });
/** The log the pipeline's shard applies (a LocalShard draws none: core/replica/log-id.ts), and the WatchSet's local one. */
export const LOG_ID = 7;
export const LOCAL_LOG_ID = 5;

/** What one watch got: its events in order. */
export interface WatchLog {
  ready: string | null;
  changes: { change: Change; resume: string }[];
  ended: { code: ErrorName; message: string } | null;
  watch: Watch;
  /** onChange answers this (false: the watch falls behind until pumped). */
  takesMore: boolean;
}

export class WatchPipeline {
  readonly local: LocalShard;
  readonly feed: ChangeFeed;
  readonly watches: WatchSet;
  private readonly outbox = new ChangeOutbox();
  private readonly ring = SpscRing.allocate(1 << 16, false);

  constructor(watchLimits: Partial<WatchLimits> = {}) {
    this.local = new LocalShard(0, PIPELINE_LIMITS);
    this.feed = new ChangeFeed({ ...DEFAULT_WATCH_LIMITS, ...watchLimits });
    this.watches = new WatchSet(this.feed, LOCAL_LOG_ID);
    this.local.shard.changes = this.outbox;
    this.outbox.begin(0, this.local.shard.appliedIndex, LOG_ID);
    this.carry();
  }

  /** A request through the shard's log; its changes reach the watches. */
  handle(request: Request, nowMs: number): Reply {
    const reply = this.local.handle(request, nowMs);
    this.carry();
    return reply;
  }

  sweep(nowMs: number): number {
    const n = this.local.sweepExpired(nowMs);
    this.carry();
    return n;
  }

  open(prefix: string, after: string | null = null, match: 'prefix' | 'key' = 'prefix'): WatchLog {
    const log = { ready: null, changes: [], ended: null, takesMore: true } as unknown as WatchLog;
    log.watch = this.watches.open({ match, bytes: b(prefix), groups: [0], after: after === null ? null : decodeResumeToken(after) }, {
      onReady: (_, resume) => { log.ready = resume; },
      onChange: (_, change, resume) => { log.changes.push({ change, resume }); return log.takesMore; },
      onEnd: (code, message) => { log.ended = { code, message }; },
    });
    return log;
  }

  /** Move the outbox's records over the ring (small, so long runs wrap it) to the watch set. */
  private carry(): void {
    carryChanges(this.outbox, this.ring, this.watches);
  }
}

/** The records waiting in `outbox`, over `ring`, into `watches`: what a worker and its IO thread do with them. */
export function carryChanges(outbox: ChangeOutbox, ring: SpscRing, watches: WatchSet): void {
  while (outbox.pending > 0) {
    outbox.writeTo(ring);
    ring.publish();
    for (let at = ring.peek(); at >= 0; at = ring.peek()) {
      const record = decodeChangeRecord(ring.data, at, at + ring.lastLength);
      ring.release();
      watches.handleRecord(record);
    }
    ring.flushHead();
  }
}

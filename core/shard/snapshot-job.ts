// A snapshot produced a slice at a time: `Shard.beginSnapshot()` fixes the
// state as of the applied index (index, term, timestamp) and this job
// encodes it (core/shard/snapshot.ts's layout) over many `step`s, while the
// shard goes on applying entries between them. The store's capture
// (core/store/store-capture.ts) keeps the bytes exact: the walk emits the
// records untouched since the index, and a write that reaches a record the
// walk has not emits its old contents first (they ride in the next chunk).
//
// Use: `for (let c = job.step(); c !== null; c = job.step()) out(c)`, one
// step per worker tick; the chunks concatenated are the snapshot. A job must
// run to its end or be cancelled: until then every write checks it.
//
// What a step costs: walking about `bytesMax` bytes of records and encoding
// the live ones among them (a large value crossing the limit is finished),
// plus copying out the pre-images that writes emitted since the last step.

import { assert } from '../assert.js';
import { ByteWriter } from '../ring/byte-writer.js';
import type { ShardStore } from '../store/store.js';
import type { StoreCapture } from '../store/store-capture.js';
import {
  SNAPSHOT_ENTRY_FIXED_BYTES, SNAPSHOT_HEADER_BYTES, SNAPSHOT_TRAILER_BYTES, writeSnapshotEntry, writeSnapshotHeader, writeSnapshotTrailer,
  type SnapshotApplied,
} from './snapshot.js';

/**
 * Bytes of records a step walks by default: about 0.1-0.3 ms of a worker's
 * time (bench/snapshot-pause.ts), short beside a request's latency budget,
 * while a 1M-key shard (~130 MB) still finishes in ~2,000 steps.
 */
export const SNAPSHOT_STEP_BYTES = 64 * 1024;

export class SnapshotJob {
  private readonly capture: StoreCapture;
  private readonly writer: ByteWriter;
  private finished = false;

  /** Begin capturing `store` at `applied` (the shard's applied index, term and timestamp). */
  constructor(private readonly store: ShardStore, readonly applied: SnapshotApplied, initialBytes = SNAPSHOT_STEP_BYTES * 2) {
    this.writer = new ByteWriter(Math.max(SNAPSHOT_HEADER_BYTES, initialBytes));
    this.capture = store.beginCapture(applied.index, (k, ks, kl, v, vs, vl, version, expireAtMs, type) => {
      writeSnapshotEntry(this.writer, k, ks, kl, v, vs, vl, version, expireAtMs, type);
    });
    writeSnapshotHeader(this.writer, { applied, count: this.capture.count });
  }

  /** Whether the last chunk was handed out (or the job was cancelled). */
  get done(): boolean {
    return this.finished;
  }

  /** Entries the snapshot holds (keys stored at its index). */
  get count(): number {
    return this.capture.count;
  }

  /** Bytes waiting for the next step: the header before the first step, then pre-images writes emitted since the last one. */
  get pendingBytes(): number {
    return this.writer.length;
  }

  /** Entries emitted because a write reached them before the walk, and their key and value bytes (for tests and metrics). */
  get preserved(): { entries: number; bytes: number } {
    return { entries: this.capture.preserved, bytes: this.capture.preservedBytes };
  }

  /**
   * The next chunk of the snapshot (a fresh copy the caller owns; it may be
   * short, and the walk may pass records with nothing to emit), or null once
   * the last chunk was handed out.
   */
  step(bytesMax: number = SNAPSHOT_STEP_BYTES): Uint8Array | null {
    if (this.finished) return null;
    const walked = this.capture.step(bytesMax);
    if (walked) {
      assert(this.capture.emitted === this.capture.count,
        () => `a snapshot at index ${this.applied.index} emitted ${this.capture.emitted} of ${this.capture.count} entries`);
      writeSnapshotTrailer(this.writer, this.capture.digest.lo, this.capture.digest.hi);
      this.end();
    }
    const chunk = this.writer.bytes().slice();
    this.writer.reset();
    return chunk;
  }

  /** Stop: the store no longer reports writes to this job, and `step` returns null. */
  cancel(): void {
    if (!this.finished) this.end();
  }

  private end(): void {
    this.finished = true;
    this.store.endCapture(this.capture);
  }
}

/**
 * At least a whole snapshot's bytes, to size its buffer once: an entry's
 * framing (key and value lengths, version, expiry: 24 bytes) plus its key and
 * value is at most its record (a 15- or 28-byte header, key, inline value,
 * rounded up to its class) plus 24, or a large value's own bytes plus 24;
 * then the header and trailer.
 */
export function snapshotBytesEstimate(store: ShardStore): number {
  const m = store.memory();
  return SNAPSHOT_HEADER_BYTES + m.recordBytes + m.largeValueBytes + store.count * SNAPSHOT_ENTRY_FIXED_BYTES + SNAPSHOT_TRAILER_BYTES;
}

/**
 * A snapshot job whose chunks are gathered into one buffer as they come, for
 * a caller that needs the snapshot whole (Raft's Snapshot.data and the
 * snapshot file today): `step` returns null until the last step, which
 * returns the whole snapshot. The buffer is sized once from
 * snapshotBytesEstimate, so no step copies more than its own chunk; the
 * result is a view of it (up to ~20% of it unused, kept with it).
 */
export class WholeSnapshotJob {
  private buffer: Uint8Array;
  private length = 0;

  constructor(private readonly job: SnapshotJob, bytesEstimate: number) {
    this.buffer = new Uint8Array(Math.max(SNAPSHOT_HEADER_BYTES, bytesEstimate));
  }

  get applied(): SnapshotApplied {
    return this.job.applied;
  }

  get preserved(): { entries: number; bytes: number } {
    return this.job.preserved;
  }

  /** One step of the job; the whole snapshot after the last one, null before. */
  step(bytesMax: number = SNAPSHOT_STEP_BYTES): Uint8Array | null {
    const chunk = this.job.step(bytesMax);
    assert(chunk !== null, 'a finished snapshot job was stepped');
    if (this.length + chunk.length > this.buffer.length) {
      // The estimate is a bound, so this is a safety net, not a path taken.
      const bigger = new Uint8Array(Math.max(this.buffer.length * 2, this.length + chunk.length));
      bigger.set(this.buffer.subarray(0, this.length));
      this.buffer = bigger;
    }
    this.buffer.set(chunk, this.length);
    this.length += chunk.length;
    return this.job.done ? this.buffer.subarray(0, this.length) : null;
  }

  cancel(): void {
    this.job.cancel();
  }
}

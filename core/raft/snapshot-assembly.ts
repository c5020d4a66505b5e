// A follower's side of a chunked snapshot: the chunks of one snapshot from
// one leader, put together in order until the whole is there.
//
// A snapshot can be far larger than any message a transport carries (a peer
// ring record, a link's queue), so a leader sends it in chunks of
// RaftConfig.snapshotChunkBytes, a few in flight, and goes on as the follower
// answers how many bytes it holds (raft.ts, 'snapshotResponse'). Chunks are
// taken only in order: one at the offset where the held bytes end extends
// them; one at offset 0 of another snapshot (or leader, or term) starts
// over; any other (a duplicate, or one after a lost chunk) is ignored, and
// the answer tells the leader where to resume.
//
// What must hold: the snapshot handed on is exactly the leader's bytes, under
// the meta its chunks carried; chunks of different snapshots, leaders or terms
// never mix. Memory: at most one snapshot's `size` bytes, which the peer
// rules bound (PeerLimits.snapshotBytesMax); the replica drops it when its
// term or role changes (Raft.reset).

import { assert } from '../assert.js';
import type { ReplicaId, Snapshot, SnapshotMeta } from './raft-types.js';

export interface SnapshotChunk {
  readonly from: ReplicaId;
  /** The message's term: a new leader's chunks never extend an old leader's. */
  readonly term: number;
  /** The chunk's bytes, under the whole snapshot's meta. */
  readonly snapshot: Snapshot;
  readonly offset: number;
  readonly size: number;
}

export class SnapshotAssembly {
  constructor(
    /** Mutation suite: a chunk continues the transfer in progress if its leader and term match, whatever snapshot it is of. */
    private readonly plantedBugAnySnapshot = false,
  ) {}

  private from = 0;
  private term = 0;
  private meta: SnapshotMeta | null = null;
  private bytes: Uint8Array | null = null;
  /** Bytes held, contiguous from 0. */
  private received = 0;

  /** Bytes held of a transfer in progress (0: none). */
  get heldBytes(): number {
    return this.received;
  }

  /**
   * Take a chunk: the whole snapshot once the chunks make it up (the
   * assembly is then empty), else how many bytes of the chunk's snapshot are
   * held (where the leader should go on).
   */
  add(chunk: SnapshotChunk): Snapshot | number {
    const { offset, size } = chunk;
    const data = chunk.snapshot.data;
    assert(offset + data.length <= size, 'a chunk lies within its snapshot (peer rules)');
    if (offset === 0 && data.length === size) {
      // The whole in one message: nothing to put together.
      this.clear();
      return chunk.snapshot;
    }
    if (offset === 0 && !(this.sameSnapshot(chunk) && this.received > 0)) {
      // A new transfer. (The same snapshot's first chunk again is a duplicate, or a leader that began
      // again: the answer, the bytes held, lets it go on from there.)
      this.clear();
      this.from = chunk.from;
      this.term = chunk.term;
      this.meta = chunk.snapshot.meta;
      this.bytes = new Uint8Array(size);
    } else if (!this.sameSnapshot(chunk)) {
      // A chunk of a transfer whose start we do not hold: the leader must begin again.
      return 0;
    }
    const bytes = this.bytes!;
    if (offset !== this.received) return this.received; // a duplicate, or one after a lost chunk
    // Only the planted bug lets another snapshot's chunk this far: one that would not fit is dropped, not thrown.
    if (this.plantedBugAnySnapshot && offset + data.length > bytes.length) return this.received;
    bytes.set(data, offset);
    this.received += data.length;
    if (this.received < bytes.length) return this.received;
    const whole: Snapshot = { meta: this.meta!, data: bytes };
    this.clear();
    return whole;
  }

  /** Forget the transfer in progress (a new term or role: its leader's chunks no longer count). */
  clear(): void {
    this.from = 0;
    this.term = 0;
    this.meta = null;
    this.bytes = null;
    this.received = 0;
  }

  private sameSnapshot(chunk: SnapshotChunk): boolean {
    const meta = this.meta;
    if (this.plantedBugAnySnapshot) return meta !== null && this.from === chunk.from && this.term === chunk.term;
    return meta !== null && this.from === chunk.from && this.term === chunk.term && this.bytes!.length === chunk.size
      && meta.index === chunk.snapshot.meta.index && meta.term === chunk.snapshot.meta.term;
  }
}

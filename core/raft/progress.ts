// What the leader knows of one follower's log, and how it sends to it:
// - probe: one append at a time until the follower's match point is found;
// - replicate: appends pipelined optimistically: after sending entries up to N
//   the leader moves `next` to N + 1 and may send more before any answer, while
//   the in-flight window (inflights.ts: appends and bytes) has room;
// - snapshot: a snapshot is on its way in chunks, a few at a time (the bytes
//   in flight are [snapshotAcked, snapshotSent)); nothing else until it is installed.
// A rejection in replicate drops back to probe (raft.ts), which empties the window.

import { Inflights, type InflightLimits } from './inflights.js';
import type { Snapshot } from './raft-types.js';

export type ProgressState = 'probe' | 'replicate' | 'snapshot';

export class Progress {
  /** Highest index known to be in the follower's log. */
  match = 0;
  /** Next index to send. */
  next: number;
  state: ProgressState = 'probe';
  /** In probe state: an append was sent and no answer has come yet. */
  probeSent = false;
  /** In snapshot state: the snapshot's index. */
  pendingSnapshot = 0;
  /** Heard from since the last check-quorum round. */
  recentActive = false;
  /** Election timeouts since the snapshot transfer last made progress: a transfer that stalls is begun again. */
  snapshotTicks = 0;
  /** In snapshot state: the snapshot being sent, kept to the end even if a newer one is taken meanwhile. */
  sendingSnapshot: Snapshot | null = null;
  /** In snapshot state: bytes the follower holds (its last answer that moved forward), and bytes sent. */
  snapshotAcked = 0;
  snapshotSent = 0;
  /** An answer below snapshotAcked (a follower that lost its part, or a stale answer): where a resend begins. */
  snapshotLowAnswer = -1;
  /** Chunks sent since the transfer began or was rewound. */
  snapshotChunksSent = 0;
  /** Heartbeat answers since a chunk was last sent or acknowledged: the clock by which a chunk is judged lost. */
  snapshotAnswersIdle = 0;
  /** Unacknowledged appends with entries (replicate state). */
  private readonly inflights: Inflights;
  /** Heartbeat answers so far: the clock by which an unanswered append is judged lost. */
  private heartbeatAnswers = 0;

  constructor(next: number, public isLearner: boolean, limits: InflightLimits, inflightDoubleFreeBug = false) {
    this.next = next;
    this.inflights = new Inflights(limits, inflightDoubleFreeBug);
  }

  get inflightCount(): number {
    return this.inflights.count;
  }

  get inflightBytes(): number {
    return this.inflights.bytes;
  }

  /** May the leader send this follower an append now? */
  isPaused(): boolean {
    switch (this.state) {
      case 'probe': return this.probeSent;
      case 'replicate': return this.inflights.full();
      case 'snapshot': return true;
    }
  }

  becomeProbe(): void {
    // After a snapshot, resume right after it; otherwise from just past the match.
    this.next = this.state === 'snapshot' ? Math.max(this.match + 1, this.pendingSnapshot + 1) : this.match + 1;
    this.reset('probe');
  }

  becomeReplicate(): void {
    this.next = this.match + 1;
    this.reset('replicate');
  }

  becomeSnapshot(snapshot: Snapshot): void {
    this.reset('snapshot');
    this.pendingSnapshot = snapshot.meta.index;
    this.sendingSnapshot = snapshot;
  }

  /** The offset of the next chunk to send, or -1: all sent, or `windowBytes` already in flight. */
  nextSnapshotChunk(windowBytes: number): number {
    const size = this.sendingSnapshot!.data.length;
    // (An empty snapshot is one chunk too: sent once per round.)
    if (this.snapshotSent >= size && (size > 0 || this.snapshotChunksSent > 0)) return -1;
    if (this.snapshotSent - this.snapshotAcked >= windowBytes) return -1;
    return this.snapshotSent;
  }

  /** The chunk that ends at `end` left. */
  sentSnapshotChunk(end: number): void {
    this.snapshotSent = end;
    this.snapshotChunksSent++;
    this.snapshotAnswersIdle = 0;
  }

  /**
   * The follower holds `received` bytes of the snapshot. True when that is
   * more than it said before (more may be sent); an answer below an earlier
   * one is stale, or the follower lost its part: kept for a resend.
   */
  snapshotAnswer(received: number): boolean {
    if (received <= this.snapshotAcked) {
      if (received < this.snapshotAcked) this.snapshotLowAnswer = received;
      return false;
    }
    this.snapshotAcked = received;
    this.snapshotSent = Math.max(this.snapshotSent, received);
    this.snapshotLowAnswer = -1;
    this.snapshotTicks = 0;
    this.snapshotAnswersIdle = 0;
    return true;
  }

  /** The chunks in flight look lost: send again from where the follower last said it stands. */
  rewindSnapshot(): void {
    const from = this.snapshotLowAnswer >= 0 ? this.snapshotLowAnswer : this.snapshotAcked;
    this.snapshotAcked = from;
    this.snapshotSent = from;
    this.snapshotChunksSent = 0;
    this.snapshotLowAnswer = -1;
    this.snapshotAnswersIdle = 0;
  }

  /** A heartbeat answer: the follower is alive, so a lost probe or append may be retried. */
  onHeartbeatResponse(): void {
    this.recentActive = true;
    this.probeSent = false;
    this.heartbeatAnswers++;
    if (this.state === 'snapshot') this.snapshotAnswersIdle++;
    // A full window whose appends were lost would stall forever: let one more go (the follower
    // rejects it if there is a gap, which puts us back in probe).
    if (this.state === 'replicate' && this.inflights.full()) this.inflights.freeFirst();
  }

  /**
   * Whether the oldest unacknowledged append left after the heartbeat answer
   * before the last one: it has not had a whole heartbeat interval to be
   * answered, so a follower behind by it is not yet behind by a lost append.
   * (A heartbeat answer that finds the follower behind resends only when this
   * is false: answering every heartbeat with an empty append while a write is
   * merely in flight doubled the messages of a busy group.)
   */
  appendsInFlightFresh(): boolean {
    const sentAt = this.inflights.oldestSentAtAnswers();
    return this.state === 'replicate' && sentAt !== undefined && sentAt >= this.heartbeatAnswers - 1;
  }

  private reset(state: ProgressState): void {
    this.state = state;
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.sendingSnapshot = null;
    this.snapshotTicks = 0;
    this.snapshotAcked = 0;
    this.snapshotSent = 0;
    this.snapshotChunksSent = 0;
    this.snapshotLowAnswer = -1;
    this.snapshotAnswersIdle = 0;
    this.inflights.clear();
  }

  /** An append ending at `lastIndex`, with `entryCount` entries of `bytes` data bytes, left for the follower. */
  sentAppend(lastIndex: number, entryCount: number, bytes: number): void {
    if (this.state === 'replicate') {
      if (entryCount > 0) {
        // Optimistic: the next append starts after this one, before any answer.
        this.next = lastIndex + 1;
        this.inflights.add(lastIndex, bytes, this.heartbeatAnswers);
      }
    } else if (this.state === 'probe') {
      this.probeSent = true;
    }
  }

  /** The follower has everything up to `index`. Returns whether that is news. */
  maybeUpdate(index: number): boolean {
    let updated = false;
    if (index > this.match) {
      this.match = index;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, index + 1);
    // Appends up to `index` are acknowledged.
    this.inflights.freeTo(index);
    return updated;
  }

  /**
   * The follower rejected an append at `rejected` and its log ends at
   * `hintIndex`. Returns whether the rejection is current (not a stale answer).
   */
  maybeDecrease(rejected: number, hintIndex: number): boolean {
    if (this.state === 'replicate') {
      // Stale if we already know it has `rejected`.
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    // Probe: only an answer to the probe we sent counts.
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(this.match + 1, Math.min(rejected, hintIndex + 1));
    this.probeSent = false;
    return true;
  }
}

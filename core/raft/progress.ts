// What the leader knows of one follower's log, and how it sends to it:
// - probe: one append at a time until the follower's match point is found;
// - replicate: appends pipelined optimistically, at most `inflightMax` unacknowledged;
// - snapshot: a snapshot is on its way; nothing else until it is acknowledged.

import { assert } from '../assert.js';

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
  /** Leader ticks since the snapshot left; a lost snapshot is resent after a while. */
  snapshotTicks = 0;
  /** Last index of each unacknowledged append, oldest first (replicate state). */
  private readonly inflights: number[] = [];
  /** For each of `inflights`: heartbeatAnswers when it was sent. */
  private readonly inflightAnswers: number[] = [];
  /** Heartbeat answers so far: the clock by which an unanswered append is judged lost. */
  private heartbeatAnswers = 0;

  constructor(next: number, public isLearner: boolean, private readonly inflightMax: number) {
    assert(inflightMax > 0, 'the in-flight window holds at least one append');
    this.next = next;
  }

  get inflightCount(): number {
    return this.inflights.length;
  }

  /** May the leader send this follower an append now? */
  isPaused(): boolean {
    switch (this.state) {
      case 'probe': return this.probeSent;
      case 'replicate': return this.inflights.length >= this.inflightMax;
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

  becomeSnapshot(snapshotIndex: number): void {
    this.reset('snapshot');
    this.pendingSnapshot = snapshotIndex;
    this.snapshotTicks = 0;
  }

  /** A heartbeat answer: the follower is alive, so a lost probe or append may be retried. */
  onHeartbeatResponse(): void {
    this.recentActive = true;
    this.probeSent = false;
    this.heartbeatAnswers++;
    // A full window whose appends were lost would stall forever: let one more go (the follower
    // rejects it if there is a gap, which puts us back in probe).
    if (this.state === 'replicate' && this.inflights.length >= this.inflightMax) {
      this.inflights.shift();
      this.inflightAnswers.shift();
    }
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
    return this.state === 'replicate' && this.inflights.length > 0 && this.inflightAnswers[0]! >= this.heartbeatAnswers - 1;
  }

  private reset(state: ProgressState): void {
    this.state = state;
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.inflights.length = 0;
    this.inflightAnswers.length = 0;
  }

  /** An append ending at `lastIndex` left for the follower. */
  sentAppend(lastIndex: number, entryCount: number): void {
    if (this.state === 'replicate') {
      if (entryCount > 0) {
        this.next = lastIndex + 1;
        this.inflights.push(lastIndex);
        this.inflightAnswers.push(this.heartbeatAnswers);
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
    let done = 0;
    while (done < this.inflights.length && this.inflights[done]! <= index) done++;
    if (done > 0) {
      this.inflights.splice(0, done);
      this.inflightAnswers.splice(0, done);
    }
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

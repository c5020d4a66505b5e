// Linearizable reads without writing the log (Raft thesis §6.4, "ReadIndex"):
// the leader notes its commit index, confirms it is still leader by a round
// of heartbeats acknowledged by a majority, and then the read may be served
// once the state machine has applied up to that index.
//
// Rounds are shared (etcd's ReadOnlySafe, with the batching etcd's server
// does on top): a read waits for the NEXT round whose heartbeats leave after
// it arrived, and one round confirms every read that waited for it. A round
// starts when no round is out (at once: in the same Ready as the read), when
// the one out is confirmed, or with the periodic heartbeat (so a lost round
// delays waiting reads by at most a heartbeat interval). So reads that arrive
// together share one round, and reads that arrive while one is out share the
// next, instead of a heartbeat broadcast each.
//
// Rounds are numbered; a heartbeat carries the newest round's number, and an
// acknowledgement of round n confirms every round up to n (a reply to a later
// heartbeat proves leadership at a later moment).
//
// What must hold: a read is confirmed only by a round started after it
// arrived (started: its heartbeats were made; they leave with the Ready that
// carries them), at an index at least the commit index when it arrived. The
// mutation suites plant the opposite (`readJoinsRoundInFlight`: a read that
// arrives while a round is out joins that round) and must catch it.
//
// The floor: a read made on the leader itself also waits for every entry the
// leader had proposed when it arrived (the log's last index then, its
// `floor`), so a pipeline's `SET k v` then `GET k` sees v. A confirmed read
// whose floor is not committed yet waits in ReadsAwaitingFloor, and is
// answered at its floor once the floor commits: an answer's index is always
// committed, so the reader can always reach it. The floor is also a ceiling:
// such a read is answered at its floor even when its round's index is higher
// (another read of the round arrived later), since the floor holds every write
// committed before it arrived, and the replica applies nothing proposed after
// it until it is served, so a pipeline's `GET k` then `SET k v` reads the old
// value, as in Redis (ShardReplica, applies held behind reads). A read a
// follower forwards has floor 0: the follower cannot know the leader's
// pending writes, and needs not (a write sent to a follower is refused, so a
// pipeline's writes are on the leader, with their reads).
//
// A follower's reads go to its leader (ForwardedReads); only that leader's
// answer in that term can confirm them, so when the follower stops following
// it they are failed at once, not left to the reader's timeout.

import { assert } from '../assert.js';
import { hasQuorum } from './quorum.js';
import type { ReplicaId } from './raft-types.js';

export interface ReadRequest {
  /** The reader's own id for the read (a client request id). */
  readonly context: number;
  /** Who asked: this replica, or a follower that forwarded the read. */
  readonly from: ReplicaId;
  /** The leader's last log index when the read arrived there (0: forwarded): it is answered at no lower index. */
  readonly floor: number;
}

export interface ConfirmedRead {
  readonly request: ReadRequest;
  readonly index: number;
}

interface Round {
  readonly seq: number;
  readonly index: number;
  readonly requests: ReadRequest[];
  readonly acks: Set<ReplicaId>;
}

/**
 * The leader's read rounds. Not bounded here: it holds the reads its replica
 * and the followers keep pending, which they bound (a replica's reads time
 * out, READ_TIMEOUT_TICKS), and every read leaves with leadership.
 */
export class ReadIndexRounds {
  /** Rounds whose heartbeats are out, waiting for a majority, oldest first. */
  private rounds: Round[] = [];
  /** Reads waiting for the next round, and the highest commit index seen when one of them arrived. */
  private waiting: ReadRequest[] = [];
  private waitingIndex = 0;
  private seq = 0;

  constructor(private readonly joinRoundInFlightBug = false) {}

  /** Rounds out, waiting for a majority. */
  get pending(): number {
    return this.rounds.length;
  }

  /** Reads waiting for the next round. */
  get waitingCount(): number {
    return this.waiting.length;
  }

  /** A read arrived when the commit index was `index`: it waits for the next round. */
  add(request: ReadRequest, index: number): void {
    const newest = this.rounds.length > 0 ? this.rounds[this.rounds.length - 1] : undefined; // index -1 would be a slow property lookup
    if (this.joinRoundInFlightBug && newest !== undefined) {
      // The planted bug: confirmed by heartbeats that left before it arrived, at that round's index.
      newest.requests.push(request);
      return;
    }
    this.waiting.push(request);
    if (index > this.waitingIndex) this.waitingIndex = index;
  }

  /** Reads wait and no round is out: the next round should start now. */
  roundDue(): boolean {
    return this.waiting.length > 0 && this.rounds.length === 0;
  }

  /**
   * Start a round for every waiting read; returns its number, to send in the
   * heartbeats made right after (0 when no read waits: no round).
   */
  startRound(self: ReplicaId): number {
    if (this.waiting.length === 0) return 0;
    const last = this.rounds.length > 0 ? this.rounds[this.rounds.length - 1] : undefined;
    assert(last === undefined || last.index <= this.waitingIndex, 'read rounds are started in commit order');
    this.seq++;
    this.rounds.push({ seq: this.seq, index: this.waitingIndex, requests: this.waiting, acks: new Set([self]) });
    this.waiting = [];
    return this.seq;
  }

  /** `from` acknowledged heartbeat round `seq`: returns the reads now confirmed, with their index. */
  acknowledge(seq: number, from: ReplicaId, voters: readonly ReplicaId[]): readonly ConfirmedRead[] {
    let confirmedUpTo = -1;
    for (let i = 0; i < this.rounds.length; i++) {
      const round = this.rounds[i]!;
      if (round.seq > seq) break;
      round.acks.add(from);
      if (hasQuorum(voters, (id) => round.acks.has(id))) confirmedUpTo = i;
    }
    if (confirmedUpTo < 0) return NO_READS;
    const done = this.rounds.splice(0, confirmedUpTo + 1);
    const out: ConfirmedRead[] = [];
    for (const round of done) for (const request of round.requests) out.push({ request, index: round.index });
    return out;
  }

  /** Leadership lost: every pending read, in a round or waiting for one, must be retried elsewhere. */
  abandon(): ReadRequest[] {
    const out = this.rounds.flatMap((r) => r.requests);
    for (const request of this.waiting) out.push(request);
    this.rounds = [];
    this.waiting = [];
    this.waitingIndex = 0;
    return out;
  }

  /** The newest round's number (0 = none), carried by heartbeats. */
  latestSeq(): number {
    return this.rounds.length > 0 ? this.rounds[this.rounds.length - 1]!.seq : 0;
  }
}

/** What acknowledge() returns when it confirms nothing (frozen: shared, and most answers confirm nothing). */
const NO_READS: readonly never[] = Object.freeze([]);

/**
 * The leader's confirmed reads whose floor (ReadRequest.floor) is not
 * committed yet, in the order they were confirmed. Like the rounds, not
 * bounded here: every read in it is one its replica keeps pending, and all
 * leave with leadership (abandon).
 */
export class ReadsAwaitingFloor {
  private reads: ConfirmedRead[] = [];

  get count(): number {
    return this.reads.length;
  }

  /** `read` was confirmed (its index is at least its floor) while its index is beyond the commit index. */
  add(read: ConfirmedRead): void {
    assert(read.index >= read.request.floor, 'a read waits for its floor at its floor or above');
    this.reads.push(read);
  }

  /**
   * The commit index reached `committed`: the reads it covers now, oldest
   * first. Released from the front only, so reads are answered in the order
   * they were confirmed (a pipeline's order; their indices only grow anyway:
   * floors and round indices do, within a term).
   */
  release(committed: number): readonly ConfirmedRead[] {
    let n = 0;
    while (n < this.reads.length && this.reads[n]!.index <= committed) n++;
    return n === 0 ? NO_READS : this.reads.splice(0, n);
  }

  /** Leadership lost: their floors may never commit; every one must be retried. */
  abandon(): ReadRequest[] {
    const out = this.reads.map((r) => r.request);
    this.reads = [];
    return out;
  }
}

/**
 * Reads a follower forwarded to its leader, by context. They are failed (to
 * be retried: a read changes nothing) as soon as this replica stops following
 * that leader (a new term, an election of its own): the leader's answer, if
 * it ever comes, is of an older term and would be dropped anyway. A Set, not
 * a bounded queue: it holds one number per read its replica keeps pending,
 * which that replica bounds.
 */
export class ForwardedReads {
  private contexts = new Set<number>();

  get pending(): number {
    return this.contexts.size;
  }

  /** `context` was sent to the leader. */
  add(context: number): void {
    assert(!this.contexts.has(context), 'a read context is forwarded once');
    this.contexts.add(context);
  }

  /** The leader answered `context`: true when it was still pending (an answer to an abandoned read is dropped). */
  answered(context: number): boolean {
    return this.contexts.delete(context);
  }

  /** No longer following the leader they went to: every pending context, to be failed. */
  abandon(): number[] {
    if (this.contexts.size === 0) return [];
    const out = [...this.contexts];
    this.contexts = new Set();
    return out;
  }
}

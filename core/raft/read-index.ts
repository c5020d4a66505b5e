// Linearizable reads without writing the log (Raft thesis §6.4, "ReadIndex"):
// the leader notes its commit index, confirms it is still leader by a round
// of heartbeats acknowledged by a majority, and then the read may be served
// once the state machine has applied up to that index.
//
// Rounds are numbered; a heartbeat carries the newest round's number, and an
// acknowledgement of round n confirms every round up to n (a reply to a later
// heartbeat proves leadership at a later moment).
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
}

interface Round {
  readonly seq: number;
  readonly index: number;
  readonly requests: ReadRequest[];
  readonly acks: Set<ReplicaId>;
}

export class ReadIndexRounds {
  private rounds: Round[] = [];
  private seq = 0;

  /** Rounds waiting for a majority. */
  get pending(): number {
    return this.rounds.length;
  }

  /** Start a round for `requests` at commit index `index`; returns the round number to send in heartbeats. */
  start(index: number, requests: ReadRequest[], self: ReplicaId): number {
    assert(requests.length > 0, 'a read round serves at least one read');
    const last = this.rounds[this.rounds.length - 1];
    assert(last === undefined || last.index <= index, 'read rounds are started in commit order');
    this.seq++;
    this.rounds.push({ seq: this.seq, index, requests, acks: new Set([self]) });
    return this.seq;
  }

  /** `from` acknowledged heartbeat round `seq`: returns the reads now confirmed, with their index. */
  acknowledge(seq: number, from: ReplicaId, voters: readonly ReplicaId[]): { request: ReadRequest; index: number }[] {
    let confirmedUpTo = -1;
    for (let i = 0; i < this.rounds.length; i++) {
      const round = this.rounds[i]!;
      if (round.seq > seq) break;
      round.acks.add(from);
      if (hasQuorum(voters, (id) => round.acks.has(id))) confirmedUpTo = i;
    }
    if (confirmedUpTo < 0) return [];
    const done = this.rounds.splice(0, confirmedUpTo + 1);
    const out: { request: ReadRequest; index: number }[] = [];
    for (const round of done) for (const request of round.requests) out.push({ request, index: round.index });
    return out;
  }

  /** Leadership lost: every pending read must be retried elsewhere. */
  abandon(): ReadRequest[] {
    const out = this.rounds.flatMap((r) => r.requests);
    this.rounds = [];
    return out;
  }

  /** The newest round's number (0 = none), carried by heartbeats. */
  latestSeq(): number {
    return this.rounds.length > 0 ? this.rounds[this.rounds.length - 1]!.seq : 0;
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

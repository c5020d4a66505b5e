// The driver's view of one Raft replica (etcd's RawNode): feed it `tick()`
// and `step(message)`, call local requests, then take `ready()` and carry it
// out in this order (ready() first has Raft send what the inputs since the
// last Ready left due: one append per follower for all the proposals, one
// ReadIndex round for the waiting reads; so inputs of one turn share them):
//   1. persist `hardState`, `snapshot` and `entries` (entries replace any
//      stored entries from entries[0].index on) and make them durable;
//   2. send `messages` (they may promise what step 1 stored: votes, appends);
//   3. load `snapshot` into the state machine, then apply `committedEntries`
//      in order (a 'conf' entry also goes to applyConfChange);
//   4. answer `readStates` once the state machine has applied their index
//      (index 0: the read was abandoned, retry it);
//   5. call `advance(ready)`.
// Nothing else may be called between ready() and advance().
//
// A driver that syncs in the background (group commit overlapping the next
// batch's work, as etcd's asynchronous storage writes) writes step 1 without
// waiting, holds step 2's messages until the sync is done, calls
// `advance(ready, { persisted: false })`, and later `persisted(index, term)`
// for the last entry the sync covered. Committed entries need no wait: they
// were durable on a quorum before they were committed, and the leader counts
// itself in that quorum only from persisted() on.

import { assert } from '../assert.js';
import { Raft, type RaftConfig, type RaftRestore } from './raft.js';
import type { ConfChange, Entry, HardState, Membership, Message, ReadState, ReplicaId, Role, Snapshot } from './raft-types.js';

export interface Ready {
  /** Changed since the last Ready; null when unchanged. */
  readonly hardState: HardState | null;
  readonly entries: readonly Entry[];
  readonly snapshot: Snapshot | null;
  readonly messages: readonly Message[];
  readonly committedEntries: readonly Entry[];
  readonly readStates: readonly ReadState[];
}

export interface Status {
  readonly id: ReplicaId;
  readonly role: Role;
  readonly term: number;
  readonly lead: ReplicaId;
  readonly commit: number;
  readonly applied: number;
  readonly lastIndex: number;
  readonly membership: Membership;
}

export interface AdvanceOptions {
  /** Whether the Ready's entries are durable now; false: persisted() will say when. */
  readonly persisted: boolean;
}

const PERSISTED: AdvanceOptions = Object.freeze({ persisted: true });

export class RawNode {
  readonly raft: Raft;
  private lastHardState: HardState;
  private inReady = false;

  constructor(config: RaftConfig, restore: RaftRestore) {
    this.raft = new Raft(config, restore);
    this.lastHardState = restore.hardState;
  }

  tick(): void {
    this.checkOutsideReady();
    this.raft.tick();
  }

  step(message: Message): void {
    this.checkOutsideReady();
    assert(message.to === this.raft.id, () => `message for ${message.to} stepped into replica ${this.raft.id}`);
    this.raft.step(message);
  }

  private checkOutsideReady(): void {
    assert(!this.inReady, 'ready() must be followed by advance() before the replica is driven again');
  }

  hasReady(): boolean {
    const r = this.raft;
    // O(1) and allocation-free: the driver asks after every input.
    const last = this.lastHardState;
    return r.messages.length > 0 || r.readStates.length > 0 || r.flushDue() || r.log.hasUnstable()
      || r.log.pendingSnapshot !== null || r.log.hasToApply()
      || r.term !== last.term || r.vote !== last.vote || r.log.committed !== last.commit;
  }

  ready(): Ready {
    this.checkOutsideReady();
    const r = this.raft;
    // The turn's proposals and reads leave together: one append per follower, one read round.
    r.flush();
    const last = this.lastHardState;
    // Nothing is built that is not there: most Readies carry only messages, or only a commit.
    const hardStateChanged = r.term !== last.term || r.vote !== last.vote || r.log.committed !== last.commit;
    const ready: Ready = {
      hardState: hardStateChanged ? r.hardState() : null,
      entries: r.log.hasUnstable() ? r.log.unstableEntries() : NONE,
      snapshot: r.log.pendingSnapshot,
      messages: r.messages.length > 0 ? r.messages : NONE,
      committedEntries: r.log.hasToApply() ? r.log.entriesToApply() : NONE,
      readStates: r.readStates.length > 0 ? r.readStates : NONE,
    };
    if (r.messages.length > 0) r.messages = [];
    if (r.readStates.length > 0) r.readStates = [];
    this.inReady = true;
    return ready;
  }

  advance(ready: Ready, options: AdvanceOptions = PERSISTED): void {
    assert(this.inReady, 'advance() without ready()');
    this.inReady = false;
    const r = this.raft;
    if (ready.hardState) this.lastHardState = ready.hardState;
    if (ready.snapshot) r.log.snapshotApplied();
    // Lengths checked first: reading index -1 of an empty array is a named-property lookup up the prototype chain.
    const committed = ready.committedEntries;
    if (committed.length > 0) r.log.appliedTo(committed[committed.length - 1]!.index);
    const entries = ready.entries;
    if (entries.length > 0) {
      const last = entries[entries.length - 1]!;
      r.log.writtenTo(last.index);
      if (options.persisted) r.persisted(last.index, last.term);
    }
    // Also when nothing was applied: a follower's answer may be what lets entries go.
    r.releaseApplied();
  }

  /** A background sync finished: entries up to (index, term) are durable (see the header). */
  persisted(index: number, term: number): void {
    this.checkOutsideReady();
    this.raft.persisted(index, term);
  }

  propose(data: Uint8Array): ReturnType<Raft['propose']> {
    this.checkOutsideReady();
    return this.raft.propose(data);
  }

  proposeConfChange(change: ConfChange, encoded: Uint8Array): ReturnType<Raft['proposeConfChange']> {
    this.checkOutsideReady();
    return this.raft.proposeConfChange(change, encoded);
  }

  applyConfChange(change: ConfChange): Membership {
    return this.raft.applyConfChange(change);
  }

  /** See Raft.readIndex: returns the index above which nothing may be applied until the read is served. */
  readIndex(context: number): number {
    this.checkOutsideReady();
    return this.raft.readIndex(context);
  }

  transferLeadership(to: ReplicaId): boolean {
    this.checkOutsideReady();
    return this.raft.transferLeadership(to);
  }

  /** The application snapshotted its state at snapshot.meta.index; keep `keepEntries` entries behind it for slow followers. */
  snapshotTaken(snapshot: Snapshot, keepEntries: number): void {
    this.checkOutsideReady();
    this.raft.snapshotTaken(snapshot, keepEntries);
  }

  status(): Status {
    const r = this.raft;
    return {
      id: r.id, role: r.role, term: r.term, lead: r.lead, commit: r.log.committed, applied: r.log.applied,
      lastIndex: r.log.lastIndex(), membership: r.membership(),
    };
  }
}

/** The empty lists of a Ready (frozen: shared by every Ready that has nothing of a kind). */
const NONE: readonly never[] = Object.freeze([]);

// The data Raft works with: log entries, the hard state it must persist,
// snapshots, membership, and the messages replicas exchange. Plain data only,
// so the same values can be encoded (schema/), carried by the simulator's
// network, and compared in checkers.

/** A replica's id within its group; 0 is reserved for "none". */
export type ReplicaId = number;
export const NO_REPLICA: ReplicaId = 0;

export type EntryKind = 'normal' | 'conf';

export interface Entry {
  readonly index: number;
  readonly term: number;
  readonly kind: EntryKind;
  /**
   * For 'normal': the application's command bytes; empty for the leader's
   * no-op at the start of its term. For 'conf': an encoded ConfChange.
   */
  readonly data: Uint8Array;
}

/** What must be on stable storage before any message that depends on it is sent. */
export interface HardState {
  readonly term: number;
  readonly vote: ReplicaId;
  readonly commit: number;
}

export const EMPTY_HARD_STATE: HardState = Object.freeze({ term: 0, vote: NO_REPLICA, commit: 0 });

/** Voters decide elections and commits; learners only receive the log. */
export interface Membership {
  readonly voters: readonly ReplicaId[];
  readonly learners: readonly ReplicaId[];
}

export interface SnapshotMeta {
  /** The last entry the snapshot covers, and its term. */
  readonly index: number;
  readonly term: number;
  /** Membership as of `index`. */
  readonly membership: Membership;
}

export interface Snapshot {
  readonly meta: SnapshotMeta;
  /** The application's state machine at meta.index. */
  readonly data: Uint8Array;
}

export type ConfChangeKind = 'addVoter' | 'addLearner' | 'remove';

/** One server at a time: each change alters the voters by at most one. */
export interface ConfChange {
  readonly kind: ConfChangeKind;
  readonly replica: ReplicaId;
}

interface MessageBase {
  readonly from: ReplicaId;
  readonly to: ReplicaId;
  /** The sender's term (for pre-votes: the term it would campaign for). */
  readonly term: number;
}

export type Message =
  /** Ask for a vote. `preVote`: a trial election that changes no term; `transfer`: leadership transfer, ignores leases. */
  | MessageBase & { readonly type: 'vote'; readonly preVote: boolean; readonly transfer: boolean; readonly lastIndex: number; readonly lastTerm: number }
  | MessageBase & { readonly type: 'voteResponse'; readonly preVote: boolean; readonly granted: boolean }
  /** Entries after (prevIndex, prevTerm), and the leader's commit index. */
  | MessageBase & {
    readonly type: 'append'; readonly prevIndex: number; readonly prevTerm: number;
    readonly entries: readonly Entry[]; readonly commit: number;
  }
  /**
   * Accepted: `index` is the follower's last index matching the leader.
   * Rejected: `index` is the prevIndex that did not match, `hintIndex` the
   * follower's last index, so the leader can skip back quickly.
   */
  | MessageBase & { readonly type: 'appendResponse'; readonly rejected: boolean; readonly index: number; readonly hintIndex: number }
  /** Keeps followers from campaigning, advances their commit, and confirms read-index rounds (`context`). */
  | MessageBase & { readonly type: 'heartbeat'; readonly commit: number; readonly context: number }
  | MessageBase & { readonly type: 'heartbeatResponse'; readonly context: number }
  /**
   * A snapshot, whole or in chunks: `snapshot.data` holds bytes [offset,
   * offset + data.length) of the whole's `size` bytes (offset 0 and size =
   * data.length: the whole in one message). Each chunk carries the meta.
   */
  | MessageBase & { readonly type: 'snapshot'; readonly snapshot: Snapshot; readonly offset: number; readonly size: number }
  /** A follower holds the first `received` bytes of the snapshot at `index` (chunks arrive in order; the leader goes on from there). */
  | MessageBase & { readonly type: 'snapshotResponse'; readonly index: number; readonly received: number }
  /** Leadership transfer: campaign now, without waiting for the election timeout. */
  | MessageBase & { readonly type: 'timeoutNow' }
  /** A follower asks the leader for a read index on behalf of a client read (`context` identifies it). */
  | MessageBase & { readonly type: 'readIndex'; readonly context: number }
  /** `index` 0 means the leader could not serve it (e.g. it lost leadership); the reader retries. */
  | MessageBase & { readonly type: 'readIndexResponse'; readonly context: number; readonly index: number };

export type MessageType = Message['type'];

/** A read that is linearizable once the state machine has applied `index`. */
export interface ReadState {
  readonly context: number;
  readonly index: number;
}

/** A replica's role. Pre-candidates run a trial election before disturbing anyone's term. */
export type Role = 'follower' | 'preCandidate' | 'candidate' | 'leader';

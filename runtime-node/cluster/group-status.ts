// What each hosted group's replica looks like, published by the worker that
// hosts it into shared memory the IO thread reads without asking: the
// leader it knows, its term, commit and applied index, its role. The IO
// thread routes with it (MOVED to the leader), answers CLUSTER SLOTS with
// it, and tells peers its terms (node cards, for the vote gate).
//
// One Int32 row per group; only the worker hosting a group writes its row
// (groups are disjoint between workers), so rows need no lock. A reader may
// see a row half-updated (a new term with the old leader): every use
// tolerates that, since a stale leader only costs one more redirect.

export const STATUS_HOSTED = 0;
export const STATUS_LEADER = 1;
export const STATUS_TERM = 2;
export const STATUS_COMMIT = 3;
export const STATUS_APPLIED = 4;
export const STATUS_ROLE = 5;
/** Snapshots the replica, leading, did not send because they exceed what a follower accepts (Raft.snapshotsTooLarge). */
export const STATUS_SNAPSHOTS_TOO_LARGE = 6;
const STATUS_WORDS = 8;

export const ROLE_CODES = { follower: 0, preCandidate: 1, candidate: 2, leader: 3 } as const;

export interface GroupStatus {
  hosted: boolean;
  /** The leader's replica id (= node id), 0 if unknown. */
  leader: number;
  term: number;
  commit: number;
  applied: number;
  role: keyof typeof ROLE_CODES;
  /** Snapshots not sent because they exceed snapshotBytesMax: a replica that needs one cannot catch up. */
  snapshotsTooLarge: number;
}

const ROLE_NAMES = Object.keys(ROLE_CODES) as (keyof typeof ROLE_CODES)[];

export class GroupStatusTable {
  readonly words: Int32Array;

  constructor(readonly memory: SharedArrayBuffer, readonly groups: number) {
    this.words = new Int32Array(memory);
  }

  static allocate(groups: number): GroupStatusTable {
    return new GroupStatusTable(new SharedArrayBuffer(groups * STATUS_WORDS * 4), groups);
  }

  /** The hosting worker's row for `group` (arguments, not an object: it runs after every turn of the worker). */
  write(group: number, leader: number, term: number, commit: number, applied: number, role: keyof typeof ROLE_CODES, snapshotsTooLarge = 0): void {
    const at = group * STATUS_WORDS;
    const w = this.words;
    Atomics.store(w, at + STATUS_LEADER, leader);
    // Terms and indexes are kept below 2^31 here; a group that outgrows that shows a clamped number, never a wrong leader.
    Atomics.store(w, at + STATUS_TERM, Math.min(term, 0x7fffffff));
    Atomics.store(w, at + STATUS_COMMIT, Math.min(commit, 0x7fffffff));
    Atomics.store(w, at + STATUS_APPLIED, Math.min(applied, 0x7fffffff));
    Atomics.store(w, at + STATUS_ROLE, ROLE_CODES[role]);
    Atomics.store(w, at + STATUS_SNAPSHOTS_TOO_LARGE, Math.min(snapshotsTooLarge, 0x7fffffff));
    Atomics.store(w, at + STATUS_HOSTED, 1);
  }

  read(group: number): GroupStatus {
    const at = group * STATUS_WORDS;
    const w = this.words;
    return {
      hosted: Atomics.load(w, at + STATUS_HOSTED) === 1,
      leader: Atomics.load(w, at + STATUS_LEADER),
      term: Atomics.load(w, at + STATUS_TERM),
      commit: Atomics.load(w, at + STATUS_COMMIT),
      applied: Atomics.load(w, at + STATUS_APPLIED),
      role: ROLE_NAMES[Atomics.load(w, at + STATUS_ROLE)] ?? 'follower',
      snapshotsTooLarge: Atomics.load(w, at + STATUS_SNAPSHOTS_TOO_LARGE),
    };
  }

  leaderOf(group: number): number {
    return Atomics.load(this.words, group * STATUS_WORDS + STATUS_LEADER);
  }
}

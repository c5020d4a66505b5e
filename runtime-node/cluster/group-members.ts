// Each hosted group's Raft configuration (voters and learners) as its
// replica last applied it, published by the worker hosting the group into
// shared memory the IO thread reads: GET /v1/cluster shows it, and the
// replica mover (replica-mover.ts) plans from the leaders' copies.
//
// One row per group, written only by the worker hosting it. A row has more
// than one word that must agree, so it is guarded by a sequence word
// (a seqlock): odd while the worker writes, bumped to even after; a reader
// retries until it saw the same even value before and after.

import { assert } from '../../core/assert.js';

/** Voters plus learners a row holds: a group has a few replicas, plus one learner during a move. */
export const GROUP_MEMBERS_MAX = 16;
const WORD_SEQ = 0;
const WORD_VOTERS = 1;
const WORD_LEARNERS = 2;
const WORD_IDS = 3;
const ROW_WORDS = WORD_IDS + GROUP_MEMBERS_MAX;
/** A reader that keeps meeting a write in progress gives up (the worker writes a row in microseconds). */
const READ_TRIES_MAX = 1000;

export interface GroupMembers {
  readonly voters: readonly number[];
  readonly learners: readonly number[];
}

export class GroupMembersTable {
  private readonly words: Int32Array;

  constructor(readonly memory: SharedArrayBuffer, readonly groups: number) {
    this.words = new Int32Array(memory);
  }

  static allocate(groups: number): GroupMembersTable {
    return new GroupMembersTable(new SharedArrayBuffer(groups * ROW_WORDS * 4), groups);
  }

  write(group: number, members: GroupMembers): void {
    const count = members.voters.length + members.learners.length;
    assert(count <= GROUP_MEMBERS_MAX, () => `group ${group} has ${count} members; a row holds ${GROUP_MEMBERS_MAX}`);
    const at = group * ROW_WORDS;
    const w = this.words;
    Atomics.add(w, at + WORD_SEQ, 1);
    Atomics.store(w, at + WORD_VOTERS, members.voters.length);
    Atomics.store(w, at + WORD_LEARNERS, members.learners.length);
    [...members.voters, ...members.learners].forEach((id, i) => Atomics.store(w, at + WORD_IDS + i, id));
    Atomics.add(w, at + WORD_SEQ, 1);
  }

  /** The group's members as its replica here applied them, or null when this node's workers never published the group. */
  read(group: number): GroupMembers | null {
    const at = group * ROW_WORDS;
    const w = this.words;
    for (let i = 0; i < READ_TRIES_MAX; i++) {
      const seq = Atomics.load(w, at + WORD_SEQ);
      if (seq === 0) return null;
      if ((seq & 1) === 1) continue;
      const voters = Atomics.load(w, at + WORD_VOTERS);
      const learners = Atomics.load(w, at + WORD_LEARNERS);
      const ids = Array.from({ length: Math.min(voters + learners, GROUP_MEMBERS_MAX) }, (_, k) => Atomics.load(w, at + WORD_IDS + k));
      if (Atomics.load(w, at + WORD_SEQ) === seq) return { voters: ids.slice(0, voters), learners: ids.slice(voters) };
    }
    return null;
  }
}

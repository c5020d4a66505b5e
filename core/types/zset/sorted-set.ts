// What every sorted-set command needs from a sorted set, whichever way it is
// kept (zset-compact-list.ts for a small one decoded from its listpack-like
// bytes, zset-large.ts for a large one): members ordered by (score, member
// bytes), each member once. Ranks count from 0 at the lowest. The commands
// (zset-*-commands.ts) are written once against this.

import type { Bytes } from '../../protocol/ops.js';

export interface SortedSet {
  readonly size: number;
  /** The member's score, or undefined when it is not a member. */
  scoreOf(member: Bytes): number | undefined;
  /** The member's rank (0 = lowest), or -1 when it is not a member. */
  rankOf(member: Bytes): number;
  /** The first rank whose score is above `score` (`exclusive`) or at least `score`; size when none. */
  rankAfterScore(score: number, exclusive: boolean): number;
  /**
   * The first rank whose member is above `member` (`exclusive`) or at least
   * `member`, bytewise; as Redis's BYLEX ranges, meaningful only when every
   * score is equal.
   */
  rankAfterMember(member: Bytes, exclusive: boolean): number;
  /** Calls `fn` for ranks from..to (inclusive, within 0..size-1), in rank order or reversed; `fn` returning false stops. Members are copies. */
  each(from: number, to: number, reverse: boolean, fn: (member: Bytes, score: number) => boolean | void): void;
  /** Add the member or change its score (score is never NaN); true when it was added. */
  put(member: Bytes, score: number): boolean;
  /** Remove the member; false when it was not one. */
  remove(member: Bytes): boolean;
}

/** Bytewise order of two members, as Redis's memcmp-then-length. */
export function compareMembers(a: Bytes, b: Bytes): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** The order of a sorted set: by score, then by member bytes. */
export function compareEntries(scoreA: number, memberA: Bytes, scoreB: number, memberB: Bytes): number {
  if (scoreA !== scoreB) return scoreA < scoreB ? -1 : 1;
  return compareMembers(memberA, memberB);
}

// Every kind of sorted-set range (by rank, by score, by lex; forward or
// REV; LIMIT offset count) resolved to what a set can walk: a run of ranks
// [from, to] and a direction. Ranks as Redis's: negative counts from the
// end, out-of-range ends clamped, an empty run when start > end.

import type { LexBound, LexRange, ScoreRange } from './zset-args.js';
import type { SortedSet } from './sorted-set.js';

export interface RankSpan {
  /** Lowest rank covered; the run is empty when from > to. */
  from: number;
  to: number;
  reverse: boolean;
}

export const EMPTY_SPAN: RankSpan = Object.freeze({ from: 0, to: -1, reverse: false });

export function spanLength(s: RankSpan): number {
  return Math.max(0, s.to - s.from + 1);
}

/** Redis's rank range: `start`..`stop` counted from the lowest (from the highest when `reverse`). */
export function rankSpan(size: number, start: number, stop: number, reverse: boolean): RankSpan {
  if (start < 0) start += size;
  if (stop < 0) stop += size;
  if (start < 0) start = 0;
  if (start > stop || start >= size) return EMPTY_SPAN;
  if (stop >= size) stop = size - 1;
  return reverse ? { from: size - 1 - stop, to: size - 1 - start, reverse } : { from: start, to: stop, reverse };
}

/** The ranks whose scores are in `r`. */
export function scoreSpan(z: SortedSet, r: ScoreRange, reverse: boolean): RankSpan {
  const from = z.rankAfterScore(r.min, r.minExclusive);
  const to = z.rankAfterScore(r.max, !r.maxExclusive) - 1;
  return { from, to, reverse };
}

/** The ranks whose members are in `r` (meaningful when all scores are equal, as Redis says). */
export function lexSpan(z: SortedSet, r: LexRange, reverse: boolean): RankSpan {
  return { from: lowestAtOrAbove(z, r.min), to: highestAtOrBelow(z, r.max), reverse };
}

function lowestAtOrAbove(z: SortedSet, b: LexBound): number {
  if (b.kind === 'min') return 0;
  if (b.kind === 'max') return z.size;
  return z.rankAfterMember(b.member, b.exclusive);
}

function highestAtOrBelow(z: SortedSet, b: LexBound): number {
  if (b.kind === 'min') return -1;
  if (b.kind === 'max') return z.size - 1;
  return z.rankAfterMember(b.member, !b.exclusive) - 1;
}

/** LIMIT offset count applied in the span's direction: a negative offset gives nothing, a negative count no limit. */
export function limitSpan(s: RankSpan, offset: number, count: number): RankSpan {
  if (offset < 0 || s.from > s.to) return EMPTY_SPAN;
  const n = spanLength(s);
  if (offset >= n) return EMPTY_SPAN;
  const take = count < 0 ? n - offset : Math.min(count, n - offset);
  if (take === 0) return EMPTY_SPAN;
  return s.reverse
    ? { from: s.to - offset - take + 1, to: s.to - offset, reverse: true }
    : { from: s.from + offset, to: s.from + offset + take - 1, reverse: false };
}

/** Walk the span's members in its direction; `fn` returning false stops. */
export function eachInSpan(z: SortedSet, s: RankSpan, fn: (member: Uint8Array, score: number) => boolean | void): void {
  if (s.from > s.to) return;
  z.each(s.from, s.to, s.reverse, fn);
}

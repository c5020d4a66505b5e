// SORT and SORT_RO's arguments read as Redis 7 reads them: left to right,
// the first wrong one answering with Redis's words (a LIMIT that is not an
// integer, a BY or GET pattern whose keys may live in another slot, anything
// else "syntax error"). The same reading serves the command's key spec (the
// STORE destination is a key) and its routing (only SORT ... STORE writes),
// so the three never disagree.

import type { Bytes } from '../../protocol/ops.js';
import { isOption } from '../../resp/command-args.js';
import { parseInt64Number } from '../../resp/resp-numbers.js';
import { NOT_INTEGER_MESSAGE, SYNTAX_ERROR_MESSAGE } from '../list/list-args.js';
import { hasStar, isSelfPattern, patternSharesSlot } from './sort-pattern.js';

/**
 * Redis Cluster's refusals (Redis 7.2's words), applied on every Piccolo
 * node: keys are partitioned by slot even on a lone node's shards, so a
 * pattern's keys are readable only when its hash tag puts them in the
 * sorted key's slot (then they are on the sorted key's shard).
 */
export const BY_CROSS_SLOT_MESSAGE =
  'BY option of SORT denied in Cluster mode when keys formed by the pattern may be in different slots.';
export const GET_CROSS_SLOT_MESSAGE =
  'GET option of SORT denied in Cluster mode when keys formed by the pattern may be in different slots.';

export interface SortArgs {
  key: Bytes;
  /** BY's pattern when it has a `*` (the weights' keys); null without BY or with a constant one. */
  by: Bytes | null;
  /** BY with a constant pattern (`nosort`): keep the collection's order. */
  keepOrder: boolean;
  /** LIMIT's offset and count as given (Redis's defaults 0 and -1: everything); clamped by limitRange. */
  limitStart: number;
  limitCount: number;
  /** GET patterns in order (`#` is the element itself). */
  gets: Bytes[];
  desc: boolean;
  alpha: boolean;
  /** STORE's destination (the last one given), or null. */
  store: Bytes | null;
}

/** The arguments after the name, or the error text (BAD_REQUEST) for the first wrong one. SORT_RO (`readOnly`) knows no STORE. */
export function parseSortArgs(args: readonly Bytes[], readOnly: boolean): SortArgs | string {
  const key = args[0]!;
  const out: SortArgs = { key, by: null, keepOrder: false, limitStart: 0, limitCount: -1, gets: [], desc: false, alpha: false, store: null };
  for (let j = 1; j < args.length; j++) {
    const word = args[j]!;
    const left = args.length - j - 1;
    if (isOption(word, 'ASC')) out.desc = false;
    else if (isOption(word, 'DESC')) out.desc = true;
    else if (isOption(word, 'ALPHA')) out.alpha = true;
    else if (isOption(word, 'LIMIT') && left >= 2) {
      const start = parseInt64Number(args[j + 1]!);
      const count = parseInt64Number(args[j + 2]!);
      if (start === null || count === null) return NOT_INTEGER_MESSAGE;
      out.limitStart = start;
      out.limitCount = count;
      j += 2;
    } else if (!readOnly && isOption(word, 'STORE') && left >= 1) {
      out.store = args[++j]!;
    } else if (isOption(word, 'BY') && left >= 1) {
      const pattern = args[++j]!;
      // A BY without `*` names no weights: nothing to sort by (Redis's "nosort").
      if (!hasStar(pattern)) {
        out.keepOrder = true;
        out.by = null;
      } else {
        if (!patternSharesSlot(pattern, key)) return BY_CROSS_SLOT_MESSAGE;
        out.by = pattern;
      }
    } else if (isOption(word, 'GET') && left >= 1) {
      const pattern = args[++j]!;
      if (!isSelfPattern(pattern) && !patternSharesSlot(pattern, key)) return GET_CROSS_SLOT_MESSAGE;
      out.gets.push(pattern);
    } else {
      return SYNTAX_ERROR_MESSAGE;
    }
  }
  return out;
}

/**
 * The positions [start, end] of the sorted sequence of `length` elements
 * LIMIT selects, as Redis clamps them (a negative count: to the end; an
 * offset past the end: nothing); end < start selects nothing.
 */
export function limitRange(limitStart: number, limitCount: number, length: number): [number, number] {
  let start = Math.min(Math.max(limitStart, 0), length);
  const count = Math.min(Math.max(limitCount, -1), length);
  let end = count < 0 ? length - 1 : start + count - 1;
  if (start >= length) {
    start = length - 1;
    end = length - 2;
  }
  if (end >= length) end = length - 1;
  return [start, end];
}

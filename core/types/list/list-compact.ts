// A small list's compact form (as Redis's listpack): the record's own value
// bytes, LIST_COMPACT_TAG then its elements back to back (list-element.ts).
// A list stays compact while it is one run of at most LIST_COMPACT_BYTES_MAX
// bytes; past that it becomes a QuickList (quick-list.ts) kept beside the
// record, and a large list shrunk to LIST_COMPACT_SHRINK_BYTES_MAX goes back.

import type { Limits } from '../../limits.js';
import { countElements } from './list-element.js';
import { QuickList } from './quick-list.js';

/** First byte of a compact list; a large list's image starts with LIST_LARGE_TAG instead. */
export const LIST_COMPACT_TAG = 0x6c; // 'l'

/**
 * Largest compact list, tag included: Redis's list-max-listpack-size -2
 * (8 KiB). Every write copies the record's bytes, so this bounds what a
 * push to a small list copies; far below valueBytesMax.
 */
export const LIST_COMPACT_BYTES_MAX = 8 * 1024;

/**
 * A large list goes back to compact at half the limit, not at the limit
 * (as Redis 7.2 does): a list that hovers near the limit does not convert
 * at every push and pop.
 */
export const LIST_COMPACT_SHRINK_BYTES_MAX = LIST_COMPACT_BYTES_MAX / 2;

/** The compact limit under these limits: a record's value never exceeds valueBytesMax (a node run with a smaller one). */
function compactBytesMax(limits: Limits): number {
  return Math.min(LIST_COMPACT_BYTES_MAX, limits.valueBytesMax);
}

/** Whether a list that was compact stays compact: one node that fits the limit. */
export function fitsCompact(list: QuickList, limits: Limits): boolean {
  return list.nodeCount <= 1 && 1 + list.encodedBytes <= compactBytesMax(limits);
}

/** Whether a large list is small enough to go back to compact. */
export function shrinksToCompact(list: QuickList, limits: Limits): boolean {
  return 1 + list.encodedBytes <= Math.min(LIST_COMPACT_SHRINK_BYTES_MAX, compactBytesMax(limits) / 2);
}

export function compactBytesOf(list: QuickList): Uint8Array {
  const run = list.run();
  const out = new Uint8Array(1 + run.length);
  out[0] = LIST_COMPACT_TAG;
  out.set(run, 1);
  return out;
}

/** A compact list's elements as a one-node QuickList (a copy: the record's bytes change under later writes). */
export function listOfCompact(bytes: Uint8Array): QuickList {
  const count = countElements(bytes, 1, bytes.length);
  if (typeof count === 'string') throw new Error(`a stored compact list is malformed: ${count}`);
  return QuickList.ofRun(bytes.subarray(1), count);
}

/** Null when `bytes` is a valid compact list, else why not (snapshots read back). */
export function checkCompact(bytes: Uint8Array): string | null {
  if (bytes[0] !== LIST_COMPACT_TAG) return 'not a compact list';
  if (bytes.length > LIST_COMPACT_BYTES_MAX) return `a compact list of ${bytes.length} bytes is over ${LIST_COMPACT_BYTES_MAX}`;
  const count = countElements(bytes, 1, bytes.length);
  if (typeof count === 'string') return count;
  return count === 0 ? 'an empty list' : null;
}

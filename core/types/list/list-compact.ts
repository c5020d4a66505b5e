// A small list's compact form (as Redis's listpack): the record's own value
// bytes, LIST_COMPACT_TAG then its elements back to back (list-element.ts).
// A list stays compact while it is one run within the node's
// list-max-listpack-size (keys.limits.collections: -1 = 4 KiB, -2 = 8 KiB,
// the default, or N elements and 8 KiB); past that it becomes a QuickList
// (quick-list.ts) kept beside the record, and a large list shrunk to half
// of that goes back.

import type { Limits } from '../../limits.js';
import type { CollectionThresholds } from '../collection-thresholds.js';
import { countElements } from './list-element.js';
import { QuickList } from './quick-list.js';

/** First byte of a compact list; a large list's image starts with LIST_LARGE_TAG instead. */
export const LIST_COMPACT_TAG = 0x6c; // 'l'

/**
 * Largest compact list, tag included, whatever the setting: Redis's
 * list-max-listpack-size -2 (8 KiB), and its size safety limit for the
 * element-count forms. Every write copies the record's bytes, so this
 * bounds what a push to a small list copies; far below valueBytesMax.
 */
export const LIST_COMPACT_BYTES_MAX = 8 * 1024;

/** list-max-listpack-size's default, as Redis's: -2, 8 KiB. */
export const LIST_COMPACT_SIZE_DEFAULT = -2;

/**
 * Redis's list-max-listpack-size byte forms this build honours: -1 and -2.
 * The compact list is one QuickList node, at most LIST_NODE_BYTES_MAX (8 KiB),
 * so -3..-5 (16..64 KiB) would need larger nodes.
 */
export const LIST_COMPACT_SIZE_BYTES: ReadonlyMap<number, number> = new Map([[-1, 4 * 1024], [-2, 8 * 1024]]);

/** The shrink point at the default size: half of it. */
export const LIST_COMPACT_SHRINK_BYTES_MAX = LIST_COMPACT_BYTES_MAX / 2;

/** A list's compact limits under these thresholds: bytes (tag included) and elements (Infinity for the byte forms). */
export function listCompactBounds(t: CollectionThresholds): { bytesMax: number; entriesMax: number } {
  const size = t.listCompactSize;
  return size > 0 ? { bytesMax: LIST_COMPACT_BYTES_MAX, entriesMax: size } : { bytesMax: LIST_COMPACT_SIZE_BYTES.get(size)!, entriesMax: Infinity };
}

/** The compact limits under these limits: a record's value never exceeds valueBytesMax (a node run with a smaller one). */
function compactBounds(limits: Limits): { bytesMax: number; entriesMax: number } {
  const bounds = listCompactBounds(limits.collections);
  return { bytesMax: Math.min(bounds.bytesMax, limits.valueBytesMax), entriesMax: bounds.entriesMax };
}

/** Whether a list that was compact stays compact: one node within the limits. */
export function fitsCompact(list: QuickList, limits: Limits): boolean {
  const { bytesMax, entriesMax } = compactBounds(limits);
  return list.nodeCount <= 1 && 1 + list.encodedBytes <= bytesMax && list.length <= entriesMax;
}

/**
 * Whether a large list is small enough to go back to compact: within half
 * the limits, not the limits (as Redis 7.2 does), so a list that hovers near
 * them does not convert at every push and pop.
 */
export function shrinksToCompact(list: QuickList, limits: Limits): boolean {
  const { bytesMax, entriesMax } = compactBounds(limits);
  return 1 + list.encodedBytes <= bytesMax / 2 && list.length <= entriesMax / 2;
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

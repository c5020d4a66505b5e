// A set's encodings and the thresholds between them, as Redis 7's:
// - intset: a sorted array of integers (2, 4 or 8 bytes each, the width of
//   the widest), while every member is an integer's canonical text and there
//   are at most set-max-intset-entries of them (set-intset.ts);
// - listpack: the members one after another, in insertion order, while there
//   are at most set-max-listpack-entries of at most set-max-listpack-value
//   bytes each (set-listpack.ts);
// The thresholds are the node's (keys.limits.collections,
// core/types/collection-thresholds.ts); the constants here are their defaults.
// - hashtable: the large form, a hash set in typed arrays (large-set.ts).
// The two compact forms are the key's record value; the first byte of a
// stored value (compact or a large image) says which it is. A set moves
// only towards the large form, as Redis's does (deleting members never
// converts back; SINTERSTORE and friends build their result afresh).

import { assert } from '../../assert.js';

/** Redis's set-max-intset-entries: beyond it a sorted array's inserts (moving half of it) cost more than hashing. */
export const SET_INTSET_ENTRIES_MAX = 512;
/** Redis's set-max-listpack-entries: a listpack is searched front to back, so it must stay short. */
export const SET_COMPACT_ENTRIES_MAX = 128;
/** Redis's set-max-listpack-value: longer members make a linear search (and the record) too costly. */
export const SET_COMPACT_MEMBER_BYTES_MAX = 64;

/** The first byte of a stored set value: which encoding follows. Stored in snapshots: never renumber. */
export const SetTag = {
  INTSET: 1,
  LISTPACK: 2,
  LARGE: 3,
} as const;

/** The listpack's own bound on a member's length: one length byte, kept below 128 so it could become a varint without a format change. */
export const SET_COMPACT_MEMBER_FORMAT_MAX = 127;
/** The listpack's own bound on its count (u16). */
export const SET_COMPACT_COUNT_FORMAT_MAX = 0xffff;

// The default compact forms stay far below any value limit (8 MiB by default): an
// intset is at most 2 + 512 * 8 bytes, a listpack at most 3 + 128 * 65 bytes
// (collection-thresholds.ts bounds the settings the same way).
assert(2 + SET_INTSET_ENTRIES_MAX * 8 < 64 * 1024, 'an intset stays a small record');
assert(3 + SET_COMPACT_ENTRIES_MAX * (SET_COMPACT_MEMBER_BYTES_MAX + 1) < 64 * 1024, 'a listpack stays a small record');
assert(SET_COMPACT_MEMBER_BYTES_MAX <= SET_COMPACT_MEMBER_FORMAT_MAX, 'a listpack member length fits one varint byte');

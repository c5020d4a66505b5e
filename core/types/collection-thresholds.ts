// The thresholds at which a small collection leaves its compact encoding
// (as Redis's listpack and intset) for its large form: one object per node,
// carried in Limits (`keys.limits.collections`), set at start under Redis's
// setting names and never changed while the node runs.
//
// Why never changed: a command's effect may depend on the encoding (SPOP and
// HRANDFIELD draw by position in the encoding; HSCAN of a compact hash is
// whole and in insertion order), so every replica applying the same log must
// pick the same encodings, hence hold the same thresholds. The peer handshake
// (runtime-node/peer/) and the data directory's record
// (runtime-node/storage/data-dir-thresholds.ts) refuse a mismatch.
//
// Each setting is bounded by what its encoding can hold (a one-byte length, a
// u16 count) and by what a write may cost: a compact collection is decoded,
// changed and re-encoded whole by every write, and searched linearly.

import { assert } from '../assert.js';
import { HASH_COMPACT_ENTRIES_MAX, HASH_COMPACT_FORMAT_MAX, HASH_COMPACT_VALUE_BYTES_MAX } from './hash/hash-compact.js';
import { LIST_COMPACT_BYTES_MAX, LIST_COMPACT_SIZE_BYTES, LIST_COMPACT_SIZE_DEFAULT } from './list/list-compact.js';
import {
  SET_COMPACT_ENTRIES_MAX, SET_COMPACT_MEMBER_BYTES_MAX, SET_COMPACT_MEMBER_FORMAT_MAX, SET_INTSET_ENTRIES_MAX,
} from './set/set-encoding.js';
import { ZSET_COMPACT_ENTRIES_MAX, ZSET_COMPACT_MEMBER_BYTES_MAX, ZSET_COMPACT_MEMBER_FORMAT_MAX } from './zset/zset-compact-list.js';

export interface CollectionThresholds {
  /** hash-max-listpack-entries: most fields of a compact hash. */
  hashCompactEntriesMax: number;
  /** hash-max-listpack-value: longest field or value of a compact hash. */
  hashCompactValueBytesMax: number;
  /** set-max-intset-entries: most members of an intset. */
  setIntsetEntriesMax: number;
  /** set-max-listpack-entries: most members of a set's listpack. */
  setCompactEntriesMax: number;
  /** set-max-listpack-value: longest member of a set's listpack. */
  setCompactMemberBytesMax: number;
  /** zset-max-listpack-entries: most members of a compact sorted set. */
  zsetCompactEntriesMax: number;
  /** zset-max-listpack-value: longest member of a compact sorted set. */
  zsetCompactMemberBytesMax: number;
  /**
   * list-max-listpack-size, as Redis reads it: -1 = 4 KiB, -2 = 8 KiB (the
   * compact list's bytes, tag included), or a positive count of elements
   * (then also at most 8 KiB, Redis's size safety limit).
   */
  listCompactSize: number;
}

/** Redis 7's defaults, which are the constants each type names. */
export const DEFAULT_COLLECTION_THRESHOLDS: Readonly<CollectionThresholds> = Object.freeze({
  hashCompactEntriesMax: HASH_COMPACT_ENTRIES_MAX,
  hashCompactValueBytesMax: HASH_COMPACT_VALUE_BYTES_MAX,
  setIntsetEntriesMax: SET_INTSET_ENTRIES_MAX,
  setCompactEntriesMax: SET_COMPACT_ENTRIES_MAX,
  setCompactMemberBytesMax: SET_COMPACT_MEMBER_BYTES_MAX,
  zsetCompactEntriesMax: ZSET_COMPACT_ENTRIES_MAX,
  zsetCompactMemberBytesMax: ZSET_COMPACT_MEMBER_BYTES_MAX,
  listCompactSize: LIST_COMPACT_SIZE_DEFAULT,
});

/**
 * Most entries any compact set or sorted set may be configured to hold.
 * Every write decodes and re-encodes the whole compact form and lookups walk
 * it, so 8192 (64x Redis's default) keeps a write's copy near 1 MiB at most
 * (8192 members of a 127-byte listpack) and far below valueBytesMax (8 MiB).
 */
export const COMPACT_ENTRIES_SETTING_MAX = 8192;

/** A positive list-max-listpack-size counts elements; each takes at least one byte of the 8 KiB, so a larger count could never be reached. */
export const LIST_COMPACT_ENTRIES_SETTING_MAX = LIST_COMPACT_BYTES_MAX;

/** One setting: its Redis name, its field, its bounds (inclusive) and why they are what they are. */
export interface ThresholdSetting {
  readonly name: string;
  readonly key: keyof CollectionThresholds;
  readonly min: number;
  readonly max: number;
  readonly help: string;
}

export const THRESHOLD_SETTINGS: readonly ThresholdSetting[] = [
  { name: 'hash-max-listpack-entries', key: 'hashCompactEntriesMax', min: 0, max: HASH_COMPACT_FORMAT_MAX,
    help: 'fields a hash keeps compact (listpack), 0..255' },
  { name: 'hash-max-listpack-value', key: 'hashCompactValueBytesMax', min: 0, max: HASH_COMPACT_FORMAT_MAX,
    help: 'longest field or value of a compact hash, bytes, 0..255' },
  { name: 'set-max-intset-entries', key: 'setIntsetEntriesMax', min: 0, max: COMPACT_ENTRIES_SETTING_MAX,
    help: 'integers a set keeps as an intset, 0..8192' },
  { name: 'set-max-listpack-entries', key: 'setCompactEntriesMax', min: 0, max: COMPACT_ENTRIES_SETTING_MAX,
    help: 'members a set keeps compact (listpack), 0..8192' },
  { name: 'set-max-listpack-value', key: 'setCompactMemberBytesMax', min: 0, max: SET_COMPACT_MEMBER_FORMAT_MAX,
    help: 'longest member of a compact set, bytes, 0..127' },
  { name: 'zset-max-listpack-entries', key: 'zsetCompactEntriesMax', min: 0, max: COMPACT_ENTRIES_SETTING_MAX,
    help: 'members a sorted set keeps compact (listpack), 0..8192' },
  { name: 'zset-max-listpack-value', key: 'zsetCompactMemberBytesMax', min: 0, max: ZSET_COMPACT_MEMBER_FORMAT_MAX,
    help: 'longest member of a compact sorted set, bytes, 0..255' },
  { name: 'list-max-listpack-size', key: 'listCompactSize', min: -5, max: LIST_COMPACT_ENTRIES_SETTING_MAX,
    help: 'a compact list at most: -1 = 4 KiB, -2 = 8 KiB, or 1..8192 elements (and 8 KiB)' },
];

/** Null when `value` may be the setting's value, else why not (a user's mistake: say what is allowed). */
export function thresholdValueProblem(setting: ThresholdSetting, value: number): string | null {
  if (setting.key === 'listCompactSize') {
    if (value < 0 && value >= -5 && !LIST_COMPACT_SIZE_BYTES.has(value)) {
      return `${setting.name} ${value} (${2 << -value} KiB) is not supported: a list node is 8 KiB here; use -1 (4 KiB), -2 (8 KiB) or an element count 1..${setting.max}`;
    }
    if (value === 0 || !Number.isSafeInteger(value) || value < setting.min || value > setting.max) {
      return `${setting.name} must be -1 (4 KiB), -2 (8 KiB) or an element count 1..${setting.max}, got ${value}`;
    }
    return null;
  }
  if (!Number.isSafeInteger(value) || value < setting.min || value > setting.max) {
    return `${setting.name} must be an integer in ${setting.min}..${setting.max}, got ${value}`;
  }
  return null;
}

/** Null when every threshold is allowed, else the first problem. */
export function collectionThresholdsProblem(t: CollectionThresholds): string | null {
  for (const s of THRESHOLD_SETTINGS) {
    const problem = thresholdValueProblem(s, t[s.key]);
    if (problem !== null) return problem;
  }
  return null;
}

/** The thresholds as `name value` pairs in table order: CONFIG GET's view and what peers and data directories compare. */
export function thresholdPairs(t: CollectionThresholds): [string, number][] {
  return THRESHOLD_SETTINGS.map((s) => [s.name, t[s.key]]);
}

/** Where `ours` and `theirs` differ, as "name ours (here) / theirs (there)" phrases; empty when they agree. */
export function thresholdDifferences(ours: CollectionThresholds, theirs: CollectionThresholds, here: string, there: string): string[] {
  return THRESHOLD_SETTINGS.filter((s) => ours[s.key] !== theirs[s.key])
    .map((s) => `${s.name} ${ours[s.key]} (${here}) / ${theirs[s.key]} (${there})`);
}

assert(collectionThresholdsProblem(DEFAULT_COLLECTION_THRESHOLDS) === null, 'the default thresholds are within their bounds');
assert(THRESHOLD_SETTINGS.length === Object.keys(DEFAULT_COLLECTION_THRESHOLDS).length, 'every threshold has one setting');
// The largest compact forms the bounds allow stay small records (far below the default 8 MiB value limit).
assert(COMPACT_ENTRIES_SETTING_MAX * 8 <= 64 * 1024, 'an intset at its largest holds at most 64 KiB of integers');
assert(COMPACT_ENTRIES_SETTING_MAX * (1 + SET_COMPACT_MEMBER_FORMAT_MAX) <= 1024 * 1024, 'a set listpack at its largest holds at most 1 MiB of members');
assert(3 + COMPACT_ENTRIES_SETTING_MAX * (9 + ZSET_COMPACT_MEMBER_FORMAT_MAX) <= 4 * 1024 * 1024, 'a compact sorted set at its largest is at most 4 MiB');

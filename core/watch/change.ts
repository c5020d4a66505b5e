// A committed change to one key, as a watch sees it, and its place in its
// group's change order. Every replica of a group applies the same log
// entries in the same order, so every replica produces the same changes at
// the same positions: (index of the log entry that made the change, its
// rank within that entry). An MSET, a transaction, a FLUSH or an expiry
// sweep make several changes at one index; a plain write makes one.

import { assert } from '../assert.js';

/** What happened to the key: written (any write that leaves it present), deleted, or removed because its TTL ran out. */
export type ChangeKind = 'set' | 'delete' | 'expire';

export const CHANGE_KINDS: readonly ChangeKind[] = ['set', 'delete', 'expire'];

/** A change's place in its group's order: the log index, then the rank within that entry. */
export interface ChangePosition {
  readonly index: number;
  readonly seq: number;
}

/**
 * The rank that stands for "after every change of the entry": a position
 * (i, SEQ_END) means everything up to and including entry i. A real rank is
 * far below it (an entry changes at most a shard's keys).
 */
export const SEQ_END = 0xffff_ffff;

export interface Change {
  /** The shard group whose log made it (a lone node: the shard). */
  readonly group: number;
  readonly key: Uint8Array;
  readonly kind: ChangeKind;
  /** The value after a 'set'; null for 'delete' and 'expire'. */
  readonly value: Uint8Array | null;
  /** The key's version after the change: the entry's log index (for a delete or expiry, the index that removed it). */
  readonly version: number;
  readonly seq: number;
}

/** Where the shard state machine reports its changes while it applies an entry (core/shard/shard.ts). */
export interface ChangeSink {
  /** One change of the entry at `version` in `group`, in apply order. `key` and `value` may be views: copy what is kept. */
  record(group: number, version: number, kind: ChangeKind, key: Uint8Array, value: Uint8Array | null): void;
  /** The group's log told its identity (its first entry, core/replica/log-id.ts): the reports go on, nothing skipped. */
  identify(group: number, logId: number): void;
}

/** Negative, zero or positive as `a` is before, at or after `b`. */
export function comparePositions(a: ChangePosition, b: ChangePosition): number {
  return a.index !== b.index ? a.index - b.index : a.seq - b.seq;
}

export function positionOf(change: Change): ChangePosition {
  return { index: change.version, seq: change.seq };
}

/** The position just after entry `index` (everything it made included). */
export function endOfEntry(index: number): ChangePosition {
  assert(Number.isSafeInteger(index) && index >= 0, 'a log index is a non-negative safe integer');
  return { index, seq: SEQ_END };
}

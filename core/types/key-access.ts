// What a data command (data-command.ts) may do to the shard's keys: the
// shard hands one of these to a command's `run`, for a read (at the read's
// time, no writes) or for the apply of a log entry (at the entry's time and
// index). The shard keeps its accounting and invariants; the command keeps
// its type's semantics.
//
// A handle names a stored key (core/store/store.ts) until the next write;
// -1 means absent. A key holds a string, a collection in its compact
// encoding (`bytesOf`: the record's own bytes) or a large collection
// (`collectionOf`: the object, changed in place through `edit`).

import type { Limits } from '../limits.js';
import type { Bytes } from '../protocol/ops.js';
import type { Random } from '../random.js';
import type { Collection } from '../store/collection.js';
import type { ValueType } from '../store/value-type.js';

export const ABSENT = -1;

export interface KeyAccess {
  /** The time expiry is judged at: the entry's timestamp in a write, the read's clamped time in a read. */
  readonly atMs: number;
  /** The index of the entry being applied (every key it writes takes it as its version); 0 in a read. */
  readonly version: number;
  readonly limits: Limits;
  /**
   * A PRNG for the command's random choices (SPOP, SRANDMEMBER ...): in a
   * write, seeded from the entry's index so every replica draws the same.
   */
  readonly random: Random;
  /** The live key's handle, or ABSENT. In a write an expired key is removed first (as every replica does at that index). */
  find(key: Bytes): number;
  typeOf(h: number): ValueType;
  /** A string's value or a compact collection's encoding: a view valid until the next write; copy what you keep. */
  bytesOf(h: number): Uint8Array;
  /** The large collection at `h`, or null when it is a string or compact. Read only: change it through `edit`. */
  collectionOf(h: number): Collection | null;
  versionOf(h: number): number;
  /** Absolute expiry in ms, 0 = none. */
  expireAtOf(h: number): number;

  // ---- writes (only while applying an entry) ----
  /**
   * Store `bytes` (a string, or a compact encoding of `type`) under `key`,
   * replacing `h` (its current handle, or ABSENT) and keeping its expiry
   * unless `expireAtMs` is given (0 = none). Returns the new handle.
   */
  putBytes(key: Bytes, h: number, type: ValueType, bytes: Uint8Array, expireAtMs?: number): number;
  /** Store a large collection under `key`, replacing `h`, keeping its expiry unless `expireAtMs` is given. */
  putCollection(key: Bytes, h: number, collection: Collection, expireAtMs?: number): number;
  /** Change the large collection at `h` in place (the key takes this entry's version). `change` must not call this KeyAccess. */
  edit<R>(h: number, change: (collection: Collection) => R): R;
  /** Give the key at `h`, whatever its type, this expiry (0 = none; must be after atMs) and this entry's version. */
  setExpiry(key: Bytes, h: number, expireAtMs: number): void;
  /** Remove the key (an emptied collection goes, as in Redis). */
  remove(key: Bytes, h: number): void;
}

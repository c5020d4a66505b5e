// A large collection: a hash, list, set or sorted set grown past its compact
// encoding (core/types/*), kept by the store beside the key's record (as a
// large string value is) instead of inside it. A small collection needs none
// of this: its compact encoding is the record's value bytes.
//
// The store asks a collection only what a snapshot, a digest and memory
// accounting need; the commands in core/types/ know its real class.

import type { ValueType } from './value-type.js';

export interface Collection {
  readonly type: ValueType;
  /** Bytes it holds from the system (its arrays and buffers), for --maxmemory and INFO. */
  readonly memoryBytes: number;
  /**
   * Its exact image as bytes: decoding it (the type's codec in
   * core/types/collection-codecs.ts) rebuilds the same layout, so a replica
   * restored from a snapshot iterates, picks at random and grows exactly as
   * the one that wrote it. Also what the content digest hashes. Starts with
   * the type's LARGE encoding tag, so a snapshot reader tells it from a
   * compact encoding.
   */
  encode(): Uint8Array;
}

export function isCollection(value: Uint8Array | Collection): value is Collection {
  return !(value instanceof Uint8Array);
}

// A hash as commands read it, whichever its encoding: the compact pairs in
// the record's bytes (hash-compact.ts) or the large table (hash-table.ts),
// behind one small interface; and OBJECT ENCODING's name for each.

import { assert } from '../../assert.js';
import type { ErrReply } from '../../protocol/ops.js';
import { ValueType } from '../../store/value-type.js';
import { ABSENT, type KeyAccess } from '../key-access.js';
import { wrongKind } from '../wrong-kind.js';
import { compactCount, compactForEach, compactGet } from './hash-compact.js';
import { HashTable } from './hash-table.js';

/** A hash's fields and values. Views it hands out are valid until the next write: copy what you keep. */
export interface HashEntries {
  readonly size: number;
  get(field: Uint8Array): Uint8Array | null;
  /** Every pair: compact ones in insertion order, a table's in slot order. */
  forEach(fn: (field: Uint8Array, value: Uint8Array) => void): void;
}

/** A compact hash's bytes read in place. */
export class CompactHash implements HashEntries {
  constructor(readonly encoded: Uint8Array) {}

  get size(): number {
    return compactCount(this.encoded);
  }

  get(field: Uint8Array): Uint8Array | null {
    return compactGet(this.encoded, field);
  }

  forEach(fn: (field: Uint8Array, value: Uint8Array) => void): void {
    compactForEach(this.encoded, fn);
  }
}

/** The hash at a key: its handle (ABSENT when there is none) and its entries (null when absent). */
export interface HashAt {
  h: number;
  entries: CompactHash | HashTable | null;
}

/** The hash at `key`, or WRONGTYPE when the key holds something else. */
export function hashAt(keys: KeyAccess, key: Uint8Array): HashAt | ErrReply {
  const h = keys.find(key);
  if (h === ABSENT) return { h, entries: null };
  if (keys.typeOf(h) !== ValueType.HASH) return wrongKind();
  const collection = keys.collectionOf(h);
  if (collection !== null) {
    assert(collection instanceof HashTable, 'a hash key holds a collection of another class');
    return { h, entries: collection };
  }
  return { h, entries: new CompactHash(keys.bytesOf(h)) };
}

export function isErr(x: HashAt | ErrReply): x is ErrReply {
  return 'ok' in x;
}

/** OBJECT ENCODING's answer for the hash at `h` (Redis 7's names). */
export function encodingName(keys: KeyAccess, h: number): string {
  return keys.collectionOf(h) !== null ? 'hashtable' : 'listpack';
}

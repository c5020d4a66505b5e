// How each collection type turns a snapshot's bytes back into the store's
// form: a compact encoding stays as bytes (the record's value), a large
// image (Collection.encode) becomes the object again with the same layout.
// Each type lists its codec here; a string needs none.

import type { Collection } from '../store/collection.js';
import { ValueType } from '../store/value-type.js';
import { HASH_CODEC } from './hash/hash-codec.js';
import { LIST_CODEC } from './list/list-codec.js';
import { ZSET_CODEC } from './zset/zset-commands.js';

export interface CollectionCodec {
  /**
   * From a snapshot value of this type: the compact encoding itself
   * (Uint8Array, stored as the record's bytes), or the rebuilt large
   * collection; a string (an error text) when the bytes are not a valid
   * encoding of this type (the snapshot is then refused).
   */
  restore(bytes: Uint8Array): Uint8Array | Collection | string;
}

/**
 * Each collection type's codec; a type's module adds its line here (a
 * string needs none). Until a type has one, a snapshot holding it is refused.
 */
const CODECS: Partial<Record<ValueType, CollectionCodec>> = {
  // hash (core/types/hash/)
  [ValueType.HASH]: HASH_CODEC,
  // list (core/types/list/)
  [ValueType.LIST]: LIST_CODEC,
  // set (core/types/set/)
  // zset (core/types/zset/)
  [ValueType.ZSET]: ZSET_CODEC,
};

/**
 * A stored value of `type` (a snapshot entry's, a DUMP payload's) as the
 * store keeps it: a string's or compact encoding's bytes, or the rebuilt
 * large collection; an error text when the bytes are not valid for the type
 * or the type has no codec in this build.
 */
export function restoreValue(type: ValueType, bytes: Uint8Array): Uint8Array | Collection | string {
  if (type === ValueType.STRING) return bytes;
  const codec = CODECS[type];
  return codec === undefined ? `type ${type} is not known to this build` : codec.restore(bytes);
}

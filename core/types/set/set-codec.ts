// A set's stored value read back (a snapshot entry, a DUMP payload): a
// compact encoding stays the record's bytes, a large image becomes the hash
// set again with the same layout; and OBJECT ENCODING's name for each form.

import type { Collection } from '../../store/collection.js';
import type { CollectionCodec } from '../collection-codecs.js';
import type { KeyAccess } from '../key-access.js';
import { LargeSet } from './large-set.js';
import { SetTag } from './set-encoding.js';
import { intsetInvalid } from './set-intset.js';
import { listpackInvalid } from './set-listpack.js';

export const SET_CODEC: CollectionCodec = {
  restore(bytes: Uint8Array): Uint8Array | Collection | string {
    switch (bytes[0]) {
      case SetTag.INTSET: return intsetInvalid(bytes) ?? bytes;
      case SetTag.LISTPACK: return listpackInvalid(bytes) ?? bytes;
      case SetTag.LARGE: return LargeSet.restore(bytes);
      default: return `a set value with tag ${bytes[0]}`;
    }
  },
};

/** OBJECT ENCODING of the set at `h`: Redis 7's names, "intset", "listpack" or "hashtable". */
export function encodingName(keys: KeyAccess, h: number): string {
  if (keys.collectionOf(h) !== null) return 'hashtable';
  return keys.bytesOf(h)[0] === SetTag.INTSET ? 'intset' : 'listpack';
}

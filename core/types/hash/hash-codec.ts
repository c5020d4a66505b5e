// A hash's snapshot value back to the store's form: a compact hash
// (hash-compact.ts) stays bytes, a large one's image (hash-table-image.ts)
// becomes the table again with the same layout. Listed in
// core/types/collection-codecs.ts.

import type { CollectionCodec } from '../collection-codecs.js';
import { HASH_COMPACT_TAG, compactCheck } from './hash-compact.js';
import { HASH_TABLE_TAG } from './hash-table-image.js';
import { HashTable } from './hash-table.js';

export const HASH_CODEC: CollectionCodec = {
  restore(bytes) {
    if (bytes[0] === HASH_COMPACT_TAG) return compactCheck(bytes) ?? bytes;
    if (bytes[0] === HASH_TABLE_TAG) return HashTable.fromImage(bytes);
    return 'not a hash encoding';
  },
};

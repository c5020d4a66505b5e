// How a list comes back from a snapshot (core/types/collection-codecs.ts):
// its compact bytes as they are, or its large image rebuilt into the same
// QuickList layout. And OBJECT ENCODING's answer for a list.

import type { CollectionCodec } from '../collection-codecs.js';
import type { KeyAccess } from '../key-access.js';
import { checkCompact, LIST_COMPACT_TAG } from './list-compact.js';
import { QuickList } from './quick-list.js';

export const LIST_CODEC: CollectionCodec = {
  restore(bytes) {
    if (bytes[0] === LIST_COMPACT_TAG) return checkCompact(bytes) ?? bytes;
    const list = QuickList.decode(bytes);
    if (typeof list === 'string') return list;
    return list.length === 0 ? 'an empty list' : list;
  },
};

/** OBJECT ENCODING of the list at `h`, in Redis 7.2's words: "listpack" while compact, "quicklist" when large. */
export function encodingName(keys: KeyAccess, h: number): string {
  return keys.collectionOf(h) === null ? 'listpack' : 'quicklist';
}

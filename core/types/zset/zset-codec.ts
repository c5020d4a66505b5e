// The sorted-set type's snapshot codec (listed in core/types/collection-codecs.ts),
// apart from the commands so that the codec table imports no command module.

import type { CollectionCodec } from '../collection-codecs.js';
import { decodeZSetCompact, ZSET_COMPACT_TAG } from './zset-compact-list.js';
import { ZSetLarge } from './zset-large.js';

/** A snapshot's sorted set: compact bytes are checked and kept as they are; a large image becomes the object again. */
export const ZSET_CODEC: CollectionCodec = {
  restore(bytes) {
    if (bytes.length > 0 && bytes[0] === ZSET_COMPACT_TAG) {
      const list = decodeZSetCompact(bytes);
      return typeof list === 'string' ? list : bytes;
    }
    return ZSetLarge.decode(bytes);
  },
};

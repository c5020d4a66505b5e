// The sorted-set type's commands (listed in core/types/data-commands.ts) and
// its snapshot codec (listed in core/types/collection-codecs.ts).

import type { CollectionCodec } from '../collection-codecs.js';
import type { DataCommand } from '../data-command.js';
import { decodeZSetCompact, ZSET_COMPACT_TAG } from './zset-compact-list.js';
import { ZSetLarge } from './zset-large.js';
import { ZSET_ALGEBRA_COMMANDS } from './zset-algebra-commands.js';
import { ZSET_POP_COMMANDS } from './zset-pop-commands.js';
import { ZSET_RANGE_COMMANDS } from './zset-range-commands.js';
import { ZSET_READ_COMMANDS } from './zset-read-commands.js';
import { ZSET_WRITE_COMMANDS } from './zset-write-commands.js';

export { encodingName } from './zset-keys.js';

export const ZSET_COMMANDS: readonly DataCommand[] = [
  ...ZSET_WRITE_COMMANDS,
  ...ZSET_READ_COMMANDS,
  ...ZSET_RANGE_COMMANDS,
  ...ZSET_POP_COMMANDS,
  ...ZSET_ALGEBRA_COMMANDS,
];

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

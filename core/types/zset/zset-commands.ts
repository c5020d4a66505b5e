// The sorted-set type's commands (listed in core/types/data-commands.ts);
// its snapshot codec is zset-codec.ts (listed in core/types/collection-codecs.ts).

import type { DataCommand } from '../data-command.js';
import { ZSET_ALGEBRA_COMMANDS } from './zset-algebra-commands.js';
import { ZSET_POP_COMMANDS } from './zset-pop-commands.js';
import { ZSET_RANGE_COMMANDS } from './zset-range-commands.js';
import { ZSET_READ_COMMANDS } from './zset-read-commands.js';
import { ZSET_WRITE_COMMANDS } from './zset-write-commands.js';

export { encodingName } from './zset-keys.js';
export { ZSET_CODEC } from './zset-codec.js';

export const ZSET_COMMANDS: readonly DataCommand[] = [
  ...ZSET_WRITE_COMMANDS,
  ...ZSET_READ_COMMANDS,
  ...ZSET_RANGE_COMMANDS,
  ...ZSET_POP_COMMANDS,
  ...ZSET_ALGEBRA_COMMANDS,
];

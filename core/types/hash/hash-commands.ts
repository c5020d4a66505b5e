// Every hash command (Redis 7's), for the data command table
// (core/types/data-commands.ts).

import type { DataCommand } from '../data-command.js';
import { HASH_FIELD_COMMANDS } from './hash-field-commands.js';
import { HASH_NUMBER_COMMANDS } from './hash-number-commands.js';
import { HASH_WALK_COMMANDS } from './hash-walk-commands.js';

export const HASH_COMMANDS: readonly DataCommand[] = [...HASH_FIELD_COMMANDS, ...HASH_NUMBER_COMMANDS, ...HASH_WALK_COMMANDS];

export { encodingName } from './hash-read.js';

// Every data command, by lower-case name: the one table the doors, routing,
// validation and the shard consult for the `call` op. Each type's module
// exports its commands; they are listed here.

import type { DataCommand } from './data-command.js';
import { HASH_COMMANDS } from './hash/hash-commands.js';
import { DUMP_COMMANDS } from './keyspace/dump-commands.js';
import { EXPIRE_COMMANDS } from './keyspace/expire-commands.js';
import { objectCommand } from './keyspace/object-command.js';
import { KEY_TYPE_COMMANDS } from './key-type-commands.js';
import { LIST_COMMANDS } from './list/list-commands.js';
import { BIT_COMMANDS } from './string/bit-commands.js';
import { lcsCommand } from './string/lcs-command.js';
import { ZSET_COMMANDS } from './zset/zset-commands.js';

const ALL: readonly DataCommand[] = [
  ...KEY_TYPE_COMMANDS,
  // hashes (core/types/hash/)
  ...HASH_COMMANDS,
  // lists (core/types/list/)
  ...LIST_COMMANDS,
  // sets (core/types/set/)
  // sorted sets (core/types/zset/)
  ...ZSET_COMMANDS,
  // more string and keyspace commands (core/types/string/, core/types/keyspace/)
  ...EXPIRE_COMMANDS,
  ...BIT_COMMANDS,
  lcsCommand,
  ...DUMP_COMMANDS,
  objectCommand,
];

export const DATA_COMMANDS: ReadonlyMap<string, DataCommand> = new Map(ALL.map((c) => [c.name, c]));

if (DATA_COMMANDS.size !== ALL.length) throw new Error('a data command is defined twice');

export function dataCommandOf(name: string): DataCommand | undefined {
  return DATA_COMMANDS.get(name);
}

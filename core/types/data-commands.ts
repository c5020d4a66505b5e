// Every data command, by lower-case name: the one table the doors, routing,
// validation and the shard consult for the `call` op. Each type's module
// exports its commands; they are listed here.

import type { DataCommand } from './data-command.js';
import { HASH_COMMANDS } from './hash/hash-commands.js';
import { DUMP_COMMANDS } from './keyspace/dump-commands.js';
import { EXPIRE_COMMANDS } from './keyspace/expire-commands.js';
import { objectCommand } from './keyspace/object-command.js';
import { SORT_COMMANDS } from './keyspace/sort-command.js';
import { KEY_TYPE_COMMANDS } from './key-type-commands.js';
import { LIST_COMMANDS } from './list/list-commands.js';
import { SET_COMMANDS } from './set/set-commands.js';
import { BIT_COMMANDS } from './string/bit-commands.js';
import { lcsCommand } from './string/lcs-command.js';
import { ZSET_COMMANDS } from './zset/zset-commands.js';

/**
 * Built on first use, not while modules load: the types' modules import
 * helpers (argument parsing, error words) whose imports lead back here, so
 * reading their command lists at load time could meet one not yet defined.
 */
let table: ReadonlyMap<string, DataCommand> | null = null;

/** Every data command by lower-case name. */
export function dataCommands(): ReadonlyMap<string, DataCommand> {
  if (table !== null) return table;
  const all: readonly DataCommand[] = [
    ...KEY_TYPE_COMMANDS,
    // hashes (core/types/hash/)
    ...HASH_COMMANDS,
    // lists (core/types/list/)
    ...LIST_COMMANDS,
    // sets (core/types/set/)
    ...SET_COMMANDS,
    // sorted sets (core/types/zset/)
    ...ZSET_COMMANDS,
    // more string and keyspace commands (core/types/string/, core/types/keyspace/)
    ...EXPIRE_COMMANDS,
    ...BIT_COMMANDS,
    lcsCommand,
    ...DUMP_COMMANDS,
    objectCommand,
    ...SORT_COMMANDS,
  ];
  const built = new Map(all.map((c) => [c.name, c]));
  if (built.size !== all.length) throw new Error('a data command is defined twice');
  table = built;
  return built;
}

export function dataCommandOf(name: string): DataCommand | undefined {
  return dataCommands().get(name);
}

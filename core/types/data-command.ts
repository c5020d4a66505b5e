// One data command's definition: its Redis name and arity, where its keys
// are among its arguments, whether it writes, and how it runs against a
// shard's keys (key-access.ts). The RESP door, the JSON and Cap'n Proto
// doors (the `call` op), routing and the shard all read this one record, so
// a command is defined once.

import type { Bytes, Reply } from '../protocol/ops.js';
import type { KeyAccess } from './key-access.js';

export interface DataCommand {
  /** Redis's name, lower case. */
  name: string;
  /** Redis's arity counting the name: n > 0 exactly n, n < 0 at least -n. */
  arity: number;
  /** Whether it may change the state (then it goes through the log); reads never do. */
  write: boolean;
  /**
   * For a command that writes only with some arguments (SORT ... STORE): whether
   * this call does; it then goes through the log, else it is a read. Absent:
   * `write` decides. Use `writesWith` rather than either field alone.
   */
  writes?(args: readonly Bytes[]): boolean;
  /**
   * The keys among `args` (the arguments after the name), or an error text
   * when the arguments that say where keys are (a numkeys) are wrong.
   */
  keys(args: readonly Bytes[]): Bytes[] | string;
  /**
   * Run on the shard owning every key. A reply's data is the command's
   * RESP3-shaped answer (core/protocol/data-value.ts); a write's reply
   * carries the entry's index as version when it changed something.
   * Deterministic: the same state, arguments and KeyAccess give the same
   * reply and the same writes on every replica.
   */
  run(keys: KeyAccess, args: readonly Bytes[]): Reply;
}

/** Whether a call of `command` with these arguments goes through the log (a write) or is answered as a read. */
export function writesWith(command: DataCommand, args: readonly Bytes[]): boolean {
  return command.writes?.(args) ?? command.write;
}

/** Keys at Redis's (first, last, step) positions among the arguments after the name; last -1 = the last argument. */
export function keysAt(first: number, last: number, step: number): (args: readonly Bytes[]) => Bytes[] {
  return (args) => {
    const end = last < 0 ? args.length + last : Math.min(last, args.length - 1);
    const keys: Bytes[] = [];
    for (let i = first; i <= end; i += step) keys.push(args[i]!);
    return keys;
  };
}

/** The first argument is the one key (most commands). */
export const FIRST_KEY = keysAt(0, 0, 1);

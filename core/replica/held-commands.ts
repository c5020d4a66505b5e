// The commands a leader proposed since its last process(), kept beside their
// encoded entries so that it can apply its own entries without decoding them
// back (a group of one commits and applies within that process(): decoding
// would rebuild, with new objects and byte views, the very command it just
// encoded). Followers, and any entry applied later, decode the bytes as before.
//
// An index identifies an entry only together with its term (Raft's Log
// Matching): a command is used only for the index and term it was proposed
// at, so an entry of another leader in that slot is decoded. The table is
// cleared at the end of every process(): the commands' bytes belong to the
// caller again from then on (ShardReplica.proposeHeld). It holds one run of
// consecutive indexes of one term; a proposal that does not continue the run
// starts a new one. Its size is bounded by what a caller proposes between two
// process() calls (a worker's drain: WORKER_BATCH_MAX requests).

import type { Command } from '../shard/command.js';

export class HeldCommands {
  /** Index of commands[0]; the run is [firstIndex, firstIndex + count). */
  private firstIndex = 0;
  private term = -1;
  private count = 0;
  /** Parallel arrays, reused across runs (no object per command). */
  private readonly commands: (Command | undefined)[] = [];
  private readonly timestamps: number[] = [];

  /** The command proposed at (`index`, `term`) with its timestamp. */
  add(index: number, term: number, command: Command, timestampMs: number): void {
    if (this.count === 0 || term !== this.term || index !== this.firstIndex + this.count) {
      this.clear();
      this.firstIndex = index;
      this.term = term;
    }
    this.commands[this.count] = command;
    this.timestamps[this.count++] = timestampMs;
  }

  /** The command held for the entry at (`index`, `term`), or undefined (decode the entry). */
  command(index: number, term: number): Command | undefined {
    const at = index - this.firstIndex;
    if (term !== this.term || at < 0 || at >= this.count) return undefined;
    return this.commands[at];
  }

  /** The timestamp of a command command() returned. */
  timestampMs(index: number): number {
    return this.timestamps[index - this.firstIndex]!;
  }

  /** Forget every command (their bytes are the caller's again). */
  clear(): void {
    for (let i = 0; i < this.count; i++) this.commands[i] = undefined;
    this.count = 0;
  }
}

// The writes a lone leader proposed since its last process(), kept beside
// their encoded entries: the command, its timestamp and who waits for the
// outcome. A group of one commits and applies them within that process(), so
// it applies each from its command instead of decoding its bytes back (which
// would rebuild, with new objects and byte views, the command it just
// encoded), and answers it without a pending-write record in a Map.
// Followers, and any entry applied later, decode the bytes as before.
//
// An index identifies an entry only together with its term (Raft's Log
// Matching): a command is used only if the entry applied at its index has its
// term. The table holds one run of consecutive indexes of one term (a
// proposal that does not continue the run starts a new one, after the replica
// has taken the old run's writes over: ShardReplica.releaseHeld). It is
// emptied at the end of every process(), and its writes not applied by then
// become ordinary pending writes: the commands' bytes belong to the caller
// again from then on (ShardReplica.proposeHeld). Its size is bounded by what
// a caller proposes between two process() calls (a worker's drain:
// WORKER_BATCH_MAX requests).

import type { OutcomeCallback } from './shard-replica.js';
import type { Command } from '../shard/command.js';

export class HeldCommands {
  /** Index of slot 0; the run is [firstIndex, firstIndex + count). */
  firstIndex = 0;
  /** The term of every entry in the run. */
  term = -1;
  count = 0;
  /** Parallel arrays, reused across runs (no object per write); a taken slot's outcome is undefined. */
  private readonly commands: (Command | undefined)[] = [];
  private readonly timestamps: number[] = [];
  private readonly outcomes: (OutcomeCallback | undefined)[] = [];
  private readonly tags: number[] = [];
  /** Slots not taken yet. */
  private waiting = 0;

  /** Whether a write at (`index`, `term`) continues the run (add() may be called), or the run must be released first. */
  continues(index: number, term: number): boolean {
    return this.count === 0 || (term === this.term && index === this.firstIndex + this.count);
  }

  add(index: number, term: number, command: Command, timestampMs: number, onOutcome: OutcomeCallback, tag: number): void {
    if (this.count === 0) {
      this.firstIndex = index;
      this.term = term;
    }
    const slot = this.count++;
    this.commands[slot] = command;
    this.timestamps[slot] = timestampMs;
    this.outcomes[slot] = onOutcome;
    this.tags[slot] = tag;
    this.waiting++;
  }

  /** The slot of a write held for `index` and not taken yet, or -1. */
  slot(index: number): number {
    const slot = index - this.firstIndex;
    return slot >= 0 && slot < this.count && this.outcomes[slot] !== undefined ? slot : -1;
  }

  commandAt(slot: number): Command {
    return this.commands[slot]!;
  }

  timestampMsAt(slot: number): number {
    return this.timestamps[slot]!;
  }

  tagAt(slot: number): number {
    return this.tags[slot]!;
  }

  /** The write's callback, and the slot is taken: its outcome is the caller's to give. */
  take(slot: number): OutcomeCallback {
    const onOutcome = this.outcomes[slot]!;
    this.outcomes[slot] = undefined;
    this.commands[slot] = undefined;
    this.waiting--;
    return onOutcome;
  }

  /** Writes held and not taken (waiting for their outcome). */
  get waitingCount(): number {
    return this.waiting;
  }

  /** Forget every write (call after taking those still waiting). */
  clear(): void {
    for (let i = 0; i < this.count; i++) {
      this.commands[i] = undefined;
      this.outcomes[i] = undefined;
    }
    this.count = 0;
    this.waiting = 0;
  }
}

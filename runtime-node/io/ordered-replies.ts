// Replies of one connection leave in request order, although shards answer
// in any order. Each request takes a ticket; a finished reply waits in its
// slot until every earlier one has been sent.

import { assert } from '../../core/assert.js';

export class OrderedReplies<T> {
  private slots: (T | undefined)[] = [];
  /** Index in `slots` of the oldest unsent ticket. */
  private start = 0;
  /** Ticket number of slots[start]. */
  private firstTicket = 0;

  /** Requests taken but not yet sent. */
  get pending(): number {
    return this.slots.length - this.start;
  }

  take(): number {
    this.slots.push(undefined);
    return this.firstTicket + this.slots.length - 1 - this.start;
  }

  /** Store the reply for `ticket` and hand every reply now in order to `send`. */
  fill(ticket: number, reply: T, send: (reply: T) => void): void {
    const index = this.start + (ticket - this.firstTicket);
    assert(index >= this.start && index < this.slots.length && this.slots[index] === undefined, () => `ticket ${ticket} filled twice or unknown`);
    this.slots[index] = reply;
    while (this.start < this.slots.length && this.slots[this.start] !== undefined) {
      const next = this.slots[this.start]!;
      this.slots[this.start] = undefined;
      this.start++;
      this.firstTicket++;
      send(next);
    }
    // Compact now and then so the array does not grow with the connection's age.
    if (this.start >= 1024 && this.start * 2 >= this.slots.length) {
      this.slots = this.slots.slice(this.start);
      this.start = 0;
    }
  }
}

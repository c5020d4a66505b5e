// One group's requests on their way to its leader, kept in the order they
// arrived, so that a client's pipelined requests to a group apply in the
// order sent even when the leader moves under them. Used where a request
// can be sent again or go by another way: the gateway
// (runtime-node/gateway/gateway-router.ts) and a node forwarding HTTP and
// WebSocket requests (runtime-node/cluster/forwarding-router.ts). Two rules:
//   - a request goes out only once every earlier one of its group has: one
//     to be sent again (refused NOT_LEADER, its leader unreachable, a read
//     whose answer was lost) goes back in its place, ahead of every later
//     one (putBack);
//   - a request goes to the destination the group's outstanding requests
//     went to, or waits until they are answered (mayGoTo): one destination
//     takes requests in order, but a request sent straight to a new leader
//     could overtake one still held by the old leader, or on its way from it.
// In steady state (one leader) nothing waits.

import { assert } from '../assert.js';

export interface LanedRequest {
  /** Arrival order in its group (GroupLane.nextSeq). */
  readonly seq: number;
}

export class GroupLane<Item extends LanedRequest, Destination> {
  /** Not yet sent (or to be sent again), by seq. */
  private readonly waiting: Item[] = [];
  private seqNext = 0;
  private outstanding = 0;
  /** Where the outstanding requests went (meaningful while outstanding > 0). */
  private destination: Destination | undefined = undefined;
  private pumping = false;
  private pumpAgain = false;

  /** `sendWhatMay` sends from the head while the rules allow (the owner's; see pump). */
  constructor(private readonly sendWhatMay: () => void) {}

  nextSeq(): number {
    return this.seqNext++;
  }

  /** A new request, the group's latest. */
  add(item: Item): void {
    assert(item.seq === this.seqNext - 1, 'a lane takes new requests in the order their seq was drawn');
    this.waiting.push(item);
  }

  get head(): Item | undefined {
    return this.waiting[0];
  }

  get waitingCount(): number {
    return this.waiting.length;
  }

  get outstandingCount(): number {
    return this.outstanding;
  }

  /** Takes the head, to send it (then sent()) or to answer it. */
  shift(): Item {
    const item = this.waiting.shift();
    assert(item !== undefined, 'shift of an empty lane');
    return item;
  }

  /** The head may go to `destination` now: nothing of the group is outstanding, or all of it went there. */
  mayGoTo(destination: Destination): boolean {
    return this.outstanding === 0 || destination === this.destination;
  }

  sent(destination: Destination): void {
    assert(this.mayGoTo(destination), 'a lane sends to one destination at a time');
    this.outstanding++;
    this.destination = destination;
  }

  answered(): void {
    assert(this.outstanding > 0, 'an answer for a request the lane did not send');
    this.outstanding--;
    if (this.outstanding === 0) this.destination = undefined;
  }

  /** `item` (sent and refused, or taken and not sent) goes out again: back in its place among the waiting. */
  putBack(item: Item): void {
    let at = this.waiting.length;
    while (at > 0 && this.waiting[at - 1]!.seq > item.seq) at--;
    this.waiting.splice(at, 0, item);
  }

  /**
   * Runs `sendWhatMay` until a run asks for nothing more. A call made while
   * it runs (an answer that came at once, a client that sends more from its
   * reply) makes it run once more instead of nesting.
   */
  pump(): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        this.sendWhatMay();
      } while (this.pumpAgain);
    } finally {
      this.pumping = false;
    }
  }
}

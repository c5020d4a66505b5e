// A node's wall clock under simulation: virtual time, plus the node's skew
// (a fixed offset chosen by the seed), plus any forward jumps (an NTP step)
// that happened so far. The clock never goes backwards, so "the node's time
// when it applied a request" lies between its readings at the request's send
// and reply; the expiry check relies on that. A paused node's clock keeps
// running, as a real one does across a GC pause.

import { assert } from '../core/assert.js';

/** Virtual time 0 on the nodes' clocks: 2024-01-01T00:00:00Z, so expiry times look like real ones. */
export const SIM_EPOCH_MS = 1_704_067_200_000;

export class NodeClock {
  /** Offsets in force from each virtual time on: [atUs, offsetMs], atUs increasing. */
  private readonly offsets: [number, number][];

  constructor(readonly skewMs: number) {
    assert(Number.isSafeInteger(skewMs), 'skew must be an integer number of ms');
    this.offsets = [[0, skewMs]];
  }

  /** The clock steps forward by `jumpMs` at virtual time `atUs`. */
  jump(atUs: number, jumpMs: number): void {
    assert(jumpMs > 0 && Number.isSafeInteger(jumpMs), 'clock jumps go forward by whole ms');
    const last = this.offsets[this.offsets.length - 1]!;
    assert(atUs >= last[0], 'clock jumps must come in time order');
    this.offsets.push([atUs, last[1] + jumpMs]);
  }

  /** The node's reading, in ms since the epoch, at virtual time `atUs`. */
  nowMs(atUs: number): number {
    let offset = this.offsets[0]![1];
    for (let i = this.offsets.length - 1; i >= 0; i--) {
      if (this.offsets[i]![0] <= atUs) {
        offset = this.offsets[i]![1];
        break;
      }
    }
    return SIM_EPOCH_MS + Math.floor(atUs / 1000) + offset;
  }

  get jumps(): number {
    return this.offsets.length - 1;
  }
}

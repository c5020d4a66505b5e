// One budget of client connections per node, shared by every front door, so
// that `connectionsMax` bounds the memory clients can pin. Each door holds a
// view of it (`forDoor`) that shares the count and reports the door's own
// accepts, refusals and closes to an observer (the node's metrics).

import { assert } from '../../core/assert.js';

/** What a door's connections do, for metrics. */
export interface ConnectionObserver {
  onAccepted(): void;
  onRejected(): void;
  onClosed(): void;
}

export class ConnectionBudget {
  private open = 0;
  private max: number;

  constructor(connectionsMax: number) {
    assert(Number.isSafeInteger(connectionsMax) && connectionsMax >= 1, 'connectionsMax is a positive integer');
    this.max = connectionsMax;
  }

  /** Open connections of every door. */
  get count(): number {
    return this.open;
  }

  get connectionsMax(): number {
    return this.max;
  }

  /** CONFIG SET maxclients: open connections above a lowered max stay; new ones wait for room. */
  setConnectionsMax(connectionsMax: number): void {
    assert(Number.isSafeInteger(connectionsMax) && connectionsMax >= 1, 'connectionsMax is a positive integer');
    this.max = connectionsMax;
  }

  tryAcquire(): boolean {
    if (this.open >= this.max) return false;
    this.open++;
    return true;
  }

  release(): void {
    this.open--;
  }

  /** A door turned a connection away without asking (shutting down, or full before the handshake). */
  refused(): void {}

  /** This budget as one door sees it: the same count and max, the door's events told to `observer`. */
  forDoor(observer: ConnectionObserver): ConnectionBudget {
    return new DoorBudget(this, observer);
  }
}

class DoorBudget extends ConnectionBudget {
  constructor(private readonly node: ConnectionBudget, private readonly observer: ConnectionObserver) {
    super(node.connectionsMax);
  }

  override get count(): number {
    return this.node.count;
  }

  override get connectionsMax(): number {
    return this.node.connectionsMax;
  }

  override setConnectionsMax(connectionsMax: number): void {
    this.node.setConnectionsMax(connectionsMax);
  }

  override tryAcquire(): boolean {
    const ok = this.node.tryAcquire();
    if (ok) this.observer.onAccepted();
    else this.observer.onRejected();
    return ok;
  }

  override release(): void {
    this.node.release();
    this.observer.onClosed();
  }

  override refused(): void {
    this.observer.onRejected();
  }

  override forDoor(observer: ConnectionObserver): ConnectionBudget {
    return this.node.forDoor(observer);
  }
}

// One budget of client connections per node, shared by every front door, so
// that `connectionsMax` bounds the memory clients can pin.

export class ConnectionBudget {
  private open = 0;

  constructor(readonly connectionsMax: number) {}

  get count(): number {
    return this.open;
  }

  tryAcquire(): boolean {
    if (this.open >= this.connectionsMax) return false;
    this.open++;
    return true;
  }

  release(): void {
    this.open--;
  }
}

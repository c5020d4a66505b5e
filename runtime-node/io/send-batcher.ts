// Replies reach the IO thread in batches (one drain of a reply ring). Sending
// each reply with its own corked write would cost one syscall per reply; the
// batcher instead collects the connections that have replies waiting and
// flushes each once per batch (one write per connection), or at the latest
// at the end of the current event-loop turn.

export interface Flushable {
  flush(): void;
}

export class SendBatcher {
  private readonly dirty = new Set<Flushable>();
  private scheduled = false;

  mark(target: Flushable): void {
    this.dirty.add(target);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushAll);
    }
  }

  readonly flushAll = (): void => {
    this.scheduled = false;
    if (this.dirty.size === 0) return;
    const targets = [...this.dirty];
    this.dirty.clear();
    for (const target of targets) target.flush();
  };
}

// Pipeline order: what a connection sends, a node runs in that order for
// each key, as Redis does. A process's own operations are one at a time (the
// linearizability checker covers them), but several processes share a client
// host's connections, so their requests interleave on one stream; a request
// sent after another on the same stream is not concurrent with it from the
// server's side. The linearizability checker cannot tell (the two overlap in
// time), so this check does: a read must never return the value of a write
// sent after it on the same connection. Values are unique per write
// (values.ts), so the write a read saw is known. Lossy (datagram) clients
// have no stream and no order, and are not checked.
//
// Found in the wild first: a leader answered a read at a later round's index
// and applied the writes behind it meanwhile, so a `GET k` pipelined before
// `SET k v` could read v (core/raft/read-index.ts, the floor as ceiling).

/** Where and when a request left: its stream (-1: none) and its place in the order of every send. */
export interface SendTicket {
  readonly stream: number;
  readonly order: number;
}

interface Sent extends SendTicket {
  readonly process: number;
}

export class PipelineOrder {
  private sends = 0;
  /** Per key: the write of each value, where it was sent. */
  private readonly writes = new Map<string, Map<string, Sent>>();
  /** Reads that returned a value, to check once every write is known (a read may complete before the write it saw does). */
  private readonly reads: { key: string; value: string; sent: Sent }[] = [];

  /** A request left on `stream` (-1: not on a stream). */
  sent(stream: number): SendTicket {
    return { stream, order: this.sends++ };
  }

  /** A write of `value` to `key` that may have taken effect (ok or indeterminate). */
  wrote(key: string, value: string, ticket: SendTicket, process: number): void {
    let byValue = this.writes.get(key);
    if (byValue === undefined) this.writes.set(key, byValue = new Map());
    byValue.set(value, { ...ticket, process });
  }

  /** A read of `key` that returned `value`. */
  read(key: string, value: string, ticket: SendTicket, process: number): void {
    if (ticket.stream >= 0) this.reads.push({ key, value, sent: { ...ticket, process } });
  }

  /** Each read that returned a write sent after it on its own connection. */
  violations(): string[] {
    const out: string[] = [];
    for (const { key, value, sent } of this.reads) {
      const write = this.writes.get(key)?.get(value);
      if (write === undefined || write.stream !== sent.stream || write.order < sent.order) continue;
      out.push(`key ${JSON.stringify(key)}: process ${sent.process}'s read (send #${sent.order}) returned ${JSON.stringify(value)}, `
        + `written by process ${write.process}'s write sent after it on the same connection (send #${write.order})`);
    }
    return out;
  }
}

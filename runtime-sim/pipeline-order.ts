// Pipeline order: what a connection sends, a node runs in that order for
// each key, as Redis does. A process's own operations are one at a time (the
// linearizability checker covers them), but several processes share a client
// host's connections, so their requests interleave on one stream; a request
// sent after another on the same stream is not concurrent with it from the
// server's side. The linearizability checker cannot tell (the two overlap in
// time), so this check does, both ways:
// - a read must never return the value of a write sent after it on the same
//   connection;
// - nor the value of a write sent before another acknowledged write of the
//   key on that connection, itself sent before the read (`SET k a`, `SET k
//   b`, `GET k` must not read a).
// Values are unique per write (values.ts), so the write a read saw is known.
// Lossy (datagram) clients have no stream and no order, and are not checked.
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

interface SentWrite extends Sent {
  readonly value: string;
  /** Acknowledged (not only possibly applied). */
  readonly ok: boolean;
}

export class PipelineOrder {
  private sends = 0;
  /** Per key: the write of each value, where it was sent. */
  private readonly writes = new Map<string, Map<string, SentWrite>>();
  /** Reads that returned a value, to check once every write is known (a read may complete before the write it saw does). */
  private readonly reads: { key: string; value: string; sent: Sent }[] = [];

  /** A request left on `stream` (-1: not on a stream). */
  sent(stream: number): SendTicket {
    return { stream, order: this.sends++ };
  }

  /** A write of `value` to `key` that may have taken effect (`ok`: acknowledged; else indeterminate). */
  wrote(key: string, value: string, ok: boolean, ticket: SendTicket, process: number): void {
    let byValue = this.writes.get(key);
    if (byValue === undefined) this.writes.set(key, byValue = new Map());
    byValue.set(value, { ...ticket, process, value, ok });
  }

  /** A read of `key` that returned `value`. */
  read(key: string, value: string, ticket: SendTicket, process: number): void {
    if (ticket.stream >= 0) this.reads.push({ key, value, sent: { ...ticket, process } });
  }

  /** Each read that returned a write sent after it, or overwritten before it, on its own connection. */
  violations(): string[] {
    const out: string[] = [];
    const acknowledged = this.acknowledgedByStream();
    for (const { key, value, sent } of this.reads) {
      const write = this.writes.get(key)?.get(value);
      if (write === undefined || write.stream !== sent.stream) continue;
      if (write.order > sent.order) {
        out.push(`key ${JSON.stringify(key)}: process ${sent.process}'s read (send #${sent.order}) returned ${JSON.stringify(value)}, `
          + `written by process ${write.process}'s write sent after it on the same connection (send #${write.order})`);
        continue;
      }
      const later = firstAfter(acknowledged.get(`${key}\0${sent.stream}`) ?? [], write.order);
      if (later !== undefined && later.order < sent.order) {
        out.push(`key ${JSON.stringify(key)}: process ${sent.process}'s read (send #${sent.order}) returned ${JSON.stringify(value)} `
          + `(process ${write.process}'s write, send #${write.order}), but process ${later.process}'s acknowledged write of `
          + `${JSON.stringify(later.value)} was sent between them on the same connection (send #${later.order})`);
      }
    }
    return out;
  }

  /** Acknowledged writes per key and stream, in send order. */
  private acknowledgedByStream(): Map<string, SentWrite[]> {
    const out = new Map<string, SentWrite[]>();
    for (const [key, byValue] of this.writes) {
      for (const w of byValue.values()) {
        if (!w.ok || w.stream < 0) continue;
        const at = `${key}\0${w.stream}`;
        let list = out.get(at);
        if (list === undefined) out.set(at, list = []);
        list.push(w);
      }
    }
    for (const list of out.values()) list.sort((a, b) => a.order - b.order);
    return out;
  }
}

/** The first write of `sorted` (by send order) sent after `order`. */
function firstAfter(sorted: readonly SentWrite[], order: number): SentWrite | undefined {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]!.order <= order) lo = mid + 1;
    else hi = mid;
  }
  return sorted[lo];
}

// Splits a byte stream into Cap'n Proto messages using the standard stream
// framing (the segment table every message starts with): u32 segment count
// minus one, u32 size in words of each segment, padding to a word, then the
// segments. Peer batches travel as such messages back to back on one TCP
// connection, so no length prefix of our own is needed.
//
// Pure and incremental: feed chunks as they arrive, take whole messages out.
// A frame that claims more than `frameBytesMax` or too many segments is an
// error before any of it is buffered (a peer cannot make us hold more).

/** Segments one message may have: our writers use one; the reference library's far pointers use a few. */
export const STREAM_SEGMENTS_MAX = 64;

export type StreamResult = { ok: true; messages: Uint8Array[] } | { ok: false; error: string };

export class MessageStream {
  private chunks: Uint8Array[] = [];
  private buffered = 0;

  constructor(private readonly frameBytesMax: number) {}

  /** Bytes held for an incomplete message. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** Adds `chunk` (copied) and returns every message it completes. */
  push(chunk: Uint8Array): StreamResult {
    if (chunk.length > 0) {
      this.chunks.push(chunk.slice());
      this.buffered += chunk.length;
    }
    const messages: Uint8Array[] = [];
    for (;;) {
      const size = this.nextFrameBytes();
      if (size === null) return { ok: true, messages };
      if (typeof size === 'string') return { ok: false, error: size };
      if (this.buffered < size) return { ok: true, messages };
      messages.push(this.take(size));
    }
  }

  /** The whole size of the next frame, null if its header is incomplete, or why it is refused. */
  private nextFrameBytes(): number | null | string {
    if (this.buffered < 4) return null;
    const head = this.peek(Math.min(this.buffered, 4 + 4 * STREAM_SEGMENTS_MAX + 4));
    const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
    const segments = view.getUint32(0, true) + 1;
    if (segments > STREAM_SEGMENTS_MAX) return `a frame with ${segments} segments (at most ${STREAM_SEGMENTS_MAX})`;
    const tableBytes = 4 + 4 * segments;
    const headerBytes = tableBytes + (tableBytes % 8 === 0 ? 0 : 4);
    if (head.length < tableBytes) return null;
    let words = 0;
    for (let i = 0; i < segments; i++) words += view.getUint32(4 + 4 * i, true);
    const total = headerBytes + words * 8;
    if (total > this.frameBytesMax) return `a frame of ${total} bytes (at most ${this.frameBytesMax})`;
    return total;
  }

  /** The first `n` buffered bytes (a view when they sit in one chunk). */
  private peek(n: number): Uint8Array {
    const first = this.chunks[0]!;
    if (first.length >= n) return first.subarray(0, n);
    const out = new Uint8Array(n);
    let at = 0;
    for (const c of this.chunks) {
      const part = c.subarray(0, Math.min(c.length, n - at));
      out.set(part, at);
      at += part.length;
      if (at === n) break;
    }
    return out;
  }

  private take(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let at = 0;
    while (at < n) {
      const c = this.chunks[0]!;
      const part = Math.min(c.length, n - at);
      out.set(c.subarray(0, part), at);
      at += part;
      if (part === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(part);
    }
    this.buffered -= n;
    return out;
  }
}

// SCAN cursors. Redis cursors are integers; a Piccolo scan cursor is opaque
// bytes (the shard, then the last key seen), too long to pack into 64 bits. So
// the node keeps a table from integer handles to cursors: SCAN hands out a
// handle, a later SCAN looks it up. 0 is Redis's "start" and "done".
//
// The table is node-wide, not per connection, because clients iterate across
// connections: `redis-cli SCAN <cursor>` in a shell loop opens a connection
// per call, and pooled clients may send each page on a different connection.
// It is bounded; the least recently used cursors are forgotten first. An
// unknown handle is refused with "ERR invalid cursor" rather than silently
// restarting the iteration (a restart could make a client loop forever).
// Handles only grow, so a stale handle never names another iteration.
// (docs/protocol.md, "RESP", documents this for users.)

/**
 * Cursors the node keeps: enough for every connection (connectionsMax is
 * 10,000 by default) to have an iteration going, while abandoned iterations
 * age out.
 */
export const SCAN_CURSORS_MAX = 16_384;
/** Bytes of cursors the node keeps (a cursor holds a key, up to keyBytesMax). */
export const SCAN_CURSOR_BYTES_MAX = 16 * 1024 * 1024;

export class ScanCursors {
  /** In least-recently-used-first order (a Map iterates in insertion order). */
  private readonly cursors = new Map<number, Uint8Array>();
  private bytes = 0;
  private nextHandle = 1;

  constructor(readonly cursorsMax = SCAN_CURSORS_MAX, readonly bytesMax = SCAN_CURSOR_BYTES_MAX) {}

  get size(): number {
    return this.cursors.size;
  }

  /** A new handle for this cursor, forgetting the least recently used ones if the table is full. */
  store(cursor: Uint8Array): number {
    const handle = this.nextHandle++;
    // Copy: the cursor may be a view into a larger reply buffer we should not pin.
    const own = cursor.slice();
    this.cursors.set(handle, own);
    this.bytes += own.length;
    for (const [oldest, bytes] of this.cursors) {
      if (this.cursors.size <= this.cursorsMax && this.bytes <= this.bytesMax) break;
      if (oldest === handle) break; // always keep the one just handed out
      this.cursors.delete(oldest);
      this.bytes -= bytes.length;
    }
    return handle;
  }

  /** The cursor behind a handle (now most recently used), or undefined if never handed out or forgotten. */
  lookup(handle: number): Uint8Array | undefined {
    const cursor = this.cursors.get(handle);
    if (cursor !== undefined) {
      this.cursors.delete(handle);
      this.cursors.set(handle, cursor);
    }
    return cursor;
  }
}

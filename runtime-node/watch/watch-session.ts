// One WebSocket connection's watches: opens and closes them on the node's
// hub as watch / unwatch frames come (watch-frame.ts), and sends their
// frames out of band of the connection's ordered replies, once per batch
// (SendBatcher), like replies.
//
// Slow watchers: once the bytes the connection has not sent (the socket's
// buffer and this session's queue) reach bufferBytesMax, its watches fall
// behind (core/watch/watch-set.ts): they take no more frames until the
// socket drains, then read on from the node's history. A watcher that stays
// behind longer than the history holds loses its watch (COMPACTED). The
// worker never waits for a watcher, and a watcher's memory is bounded by
// bufferBytesMax (plus one frame and WATCH_QUEUE_BYTES_MAX).

import type { ErrorName } from '../../core/errors.js';
import type { Change } from '../../core/watch/change.js';
import type { WatchLimits } from '../../core/watch/watch-limits.js';
import type { JsonId } from '../../schema/json-reply.js';
import type { Flushable, SendBatcher } from '../io/send-batcher.js';

/** What a session sends of a change. */
export type WatchedChange = Pick<Change, 'key' | 'kind' | 'value' | 'version'>;

/** One open watch, as its session sees it. */
export interface WatchHandle {
  readonly state: 'pending' | 'live' | 'ended';
}

/** A watch's events (core/watch/watch-set.ts's WatchEvents, as a session takes them). */
export interface SessionWatchEvents {
  onReady(watch: WatchHandle, resume: string): void;
  /** Returns whether the session takes more now; false: it calls pump() when it has room. */
  onChange(watch: WatchHandle, change: WatchedChange, resume: string): boolean;
  onEnd(code: ErrorName, message: string): void;
}

/** Where a session's watches come from: the node's own changes (watch-hub.ts), or a node's watches relayed (relay-watch-source.ts, the gateway). */
export interface WatchSource {
  readonly limits: WatchLimits;
  /** Why this server cannot serve the watch (of `groups` only, when given: a prefix's), or null. */
  refusal(match: 'prefix' | 'key', bytes: Uint8Array, groups?: readonly number[] | null): string | null;
  /** Open a watch from now, or after the token text `after` (a malformed one ends it at once: BAD_REQUEST); of `groups` only, when given. */
  open(match: 'prefix' | 'key', bytes: Uint8Array, after: string | null, events: SessionWatchEvents, groups?: readonly number[] | null): WatchHandle;
  close(watch: WatchHandle): void;
  pump(watch: WatchHandle): void;
}

/** What the session needs of its socket. */
export interface WatchSocket {
  /** Bytes the socket holds unsent. */
  bufferedBytes(): number;
  /** Send these frames in one write. */
  sendAll(frames: readonly WatchOut[]): void;
}

export interface WatchOut {
  bytes: string | Uint8Array;
  binary: boolean;
}

/** How a watch's frames are written: JSON text or Cap'n Proto; the watch's own format, chosen by the frame that opened it. */
export interface WatchFrames {
  ready(id: JsonId | bigint, resume: string): WatchOut;
  change(id: JsonId | bigint, change: WatchedChange, resume: string): WatchOut;
  error(id: JsonId | bigint | null, code: ErrorName, message: string): WatchOut;
  unwatched(id: JsonId | bigint): WatchOut;
}

export interface WatchRequest {
  id: JsonId | bigint;
  match: 'prefix' | 'key';
  bytes: Uint8Array;
  after: string | null;
  /** A prefix watch of these groups only (a merging gateway asks each node for the groups it serves); absent: all. */
  groups?: readonly number[] | null;
}

/**
 * Bytes of frames a session queues before it writes them at once rather than
 * at the batch's end: past this a burst of changes (a big MSET) goes to the
 * socket as it comes, so the socket's own buffer, not this queue, is what
 * bufferBytesMax judges, and a reading watcher is never taken for a slow one.
 */
export const WATCH_QUEUE_BYTES_MAX = 256 * 1024;

export class WatchSession implements Flushable {
  /** Open watches by id (the JSON text of the id, or the binary id's decimal). */
  private readonly watches = new Map<string, WatchHandle>();
  private queue: WatchOut[] = [];
  private queuedBytes = 0;
  private closed = false;
  /** Watches that fell behind for want of room, to pump when the socket drains. */
  private readonly behind = new Set<WatchHandle>();
  /** Inside onDrain: a flush from within it must not start another. */
  private pumping = false;

  constructor(private readonly hub: WatchSource, private readonly socket: WatchSocket, private readonly batcher: SendBatcher) {}

  /** A watch frame: open the watch (its frames follow), or answer why not. */
  watch(request: WatchRequest, frames: WatchFrames): void {
    const { id } = request;
    const name = idName(id);
    if (this.watches.has(name)) return this.push(frames.error(id, 'BAD_REQUEST', `watch ${name} is open on this connection already: unwatch it first, or use another id`));
    if (this.watches.size >= this.hub.limits.watchesPerConnectionMax) {
      return this.push(frames.error(id, 'LIMIT_EXCEEDED', `a connection may hold ${this.hub.limits.watchesPerConnectionMax} watches open`));
    }
    const groups = request.groups ?? null;
    const refusal = this.hub.refusal(request.match, request.bytes, groups);
    if (refusal !== null) return this.push(frames.error(id, 'BAD_REQUEST', refusal));
    const watch = this.hub.open(request.match, request.bytes, request.after, {
      onReady: (live, resume) => {
        this.watches.set(name, live);
        this.push(frames.ready(id, resume));
      },
      onChange: (live, change, resume) => {
        this.push(frames.change(id, change, resume));
        if (this.hasRoom()) return true;
        this.behind.add(live);
        return false;
      },
      onEnd: (code, message) => {
        // An ended watch left in `behind` is dropped at the next drain (pumping it does nothing).
        this.watches.delete(name);
        this.push(frames.error(id, code, message));
      },
    }, groups);
    // Pending until every group it covers is reported (or live already, or ended: COMPACTED, cancelled while catching up).
    if (watch.state !== 'ended') this.watches.set(name, watch);
  }

  /** An unwatch frame: close the watch; nothing of it follows the answer. */
  unwatch(id: JsonId | bigint, frames: WatchFrames): void {
    const name = idName(id);
    const watch = this.watches.get(name);
    if (watch === undefined) return this.push(frames.error(id, 'NOT_FOUND', `no watch ${name} is open on this connection`));
    this.watches.delete(name);
    this.behind.delete(watch);
    this.hub.close(watch);
    this.push(frames.unwatched(id));
  }

  /** A watch frame refused before it reached the hub. */
  refuse(out: WatchOut): void {
    this.push(out);
  }

  /** The connection closed: close every watch, send nothing more. */
  close(): void {
    this.closed = true;
    for (const watch of this.watches.values()) this.hub.close(watch);
    this.watches.clear();
    this.behind.clear();
    this.queue = [];
    this.queuedBytes = 0;
  }

  flush(): void {
    if (this.closed || this.queue.length === 0) return;
    const out = this.queue;
    this.queue = [];
    this.queuedBytes = 0;
    this.socket.sendAll(out);
    if (this.behind.size > 0 && !this.pumping) this.onDrain();
  }

  /** The socket took what it held (uWS's drain), or the queue went out: the watches behind read on while there is room. */
  onDrain(): void {
    if (this.closed || this.pumping) return;
    this.pumping = true;
    for (const watch of this.behind) {
      if (!this.hasRoom()) break;
      this.behind.delete(watch);
      this.hub.pump(watch);
    }
    this.pumping = false;
  }

  private hasRoom(): boolean {
    return this.socket.bufferedBytes() + this.queuedBytes < this.hub.limits.bufferBytesMax;
  }

  private push(out: WatchOut): void {
    if (this.closed) return;
    this.queue.push(out);
    this.queuedBytes += sizeOf(out);
    if (this.queuedBytes >= WATCH_QUEUE_BYTES_MAX) this.flush();
    else this.batcher.mark(this);
  }
}

function idName(id: JsonId | bigint): string {
  return typeof id === 'bigint' ? id.toString() : JSON.stringify(id);
}

/** Bytes of a frame (a text frame's UTF-16 length: a close bound for the ASCII JSON carries). */
function sizeOf(out: WatchOut): number {
  return typeof out.bytes === 'string' ? out.bytes.length : out.bytes.length;
}

// db.watch(prefix, { after }): the changes of a prefix (or one key) as an
// async iterable, on a WebSocket of its own (Cap'n Proto or JSON watch
// frames, client/watch-wire.ts; docs/watch.md).
//
//   for await (const change of db.watch('user:', { after: savedToken })) {
//     apply(change);             // { key, kind: 'set' | 'delete' | 'expire', value, version, resume }
//     savedToken = change.resume;
//   }
//
// Exactly once across reconnects: the stream remembers the token of the last
// change it handed out (or the start point the node gave) and, when the
// socket drops, opens a new one and resumes after that token. A resume the
// node can no longer serve (COMPACTED) ends the iteration with that error:
// re-read, then watch again. Breaking out of the loop closes the socket.
//
// Memory: changes the loop has not taken yet wait in a queue of at most
// WATCH_QUEUED_CHANGES_MAX; past it the socket is closed, and reopened (after
// the last change received) once the loop has drained the queue, so a slow
// loop costs the node nothing either.

import { toBytes, type BytesLike } from './bytes.js';
import { ConnectionClosedError, PiccoloError, ProtocolError } from './errors.js';
import { WS_NORMAL_CLOSURE, type WebSocketLike } from './web-socket.js';
import type { FormatName } from './wire-format.js';
import { watchWire, type WatchChange, type WatchWire } from './watch-wire.js';

export type { WatchChange } from './watch-wire.js';

export interface WatchOptions {
  /** Resume after this token (a change's `resume`); absent or null: from now. */
  after?: string | null;
  /** Watch exactly this key instead of every key with the prefix. */
  exactKey?: boolean;
  /** Reopen a dropped socket and resume (default true); false: a drop ends the iteration with CONNECTION_CLOSED. */
  reconnect?: boolean;
  /**
   * Called when the node has the watch live (every change after `resume`
   * follows), again after each reconnect. Read the state you watch after the
   * first call, not before: then no change falls between the two.
   */
  onLive?: (resume: string) => void;
  /** Changes held for the loop before the stream stops reading (default WATCH_QUEUED_CHANGES_MAX); a relay keeps it small. */
  queuedChangesMax?: number;
  /** The watch's frames: 'binary' (Cap'n Proto, the default) or 'json'; db.watch uses the client's format. Tokens are the same in both. */
  format?: FormatName;
  /** A prefix watch of these groups only (a gateway merging several nodes' watches asks each for its share; docs/watch.md). */
  groups?: readonly number[];
}

/** Changes waiting for the loop before the stream stops reading (a change holds its key and value). */
export const WATCH_QUEUED_CHANGES_MAX = 10_000;
/** Reconnects in a row that may fail before the iteration ends: a node gone for good should not be retried forever. */
export const WATCH_RECONNECTS_MAX = 5;
/** Wait before a reconnect (doubled after each failure in a row): long enough for a restarting node's listener. */
export const WATCH_RECONNECT_WAIT_MS = 200;

/** The watch frame's id on its own socket (one watch per socket). */
const WATCH_ID = 1;

type Opener = () => Promise<WebSocketLike>;

export function watchChanges(open: Opener, target: BytesLike, options: WatchOptions = {}): AsyncIterable<WatchChange> {
  const bytes = toBytes(target, options.exactKey ? 'key' : 'prefix');
  return { [Symbol.asyncIterator]: () => new WatchStream(open, bytes, options).iterator() };
}

class WatchStream {
  private readonly queue: WatchChange[] = [];
  private socket: WebSocketLike | null = null;
  /** Opening a socket (the first, or a reconnect): only one at a time. */
  private connecting = false;
  /** Where a new socket resumes: the last change received, or the start point the node gave. */
  private resume: string | null;
  private failure: PiccoloError | null = null;
  private done = false;
  /** Sockets in a row that failed to open or closed before their watch was live. */
  private failedOpens = 0;
  private wake: (() => void) | null = null;
  private readonly wire: WatchWire;

  constructor(private readonly open: Opener, private readonly bytes: Uint8Array, private readonly options: WatchOptions) {
    this.resume = options.after ?? null;
    this.wire = watchWire(options.format ?? 'binary');
  }

  /**
   * The generator, with a return() that also works while the generator
   * waits for a change (a plain generator's return() would wait for that
   * change first): it ends the stream at once, then lets the generator finish.
   */
  iterator(): AsyncIterator<WatchChange, void, undefined> {
    const generator = this.generate();
    return {
      next: () => generator.next(),
      return: async () => {
        this.done = true;
        this.drop();
        this.notify();
        return generator.return(undefined);
      },
    };
  }

  private async *generate(): AsyncGenerator<WatchChange, void, undefined> {
    try {
      while (!this.done) {
        const change = this.queue.shift();
        if (change !== undefined) {
          yield change;
          continue;
        }
        if (this.failure) throw this.failure;
        // The first socket, or the one closed for a full queue now drained: read on after the last change received.
        if (this.socket === null && !this.connecting) void this.connect(0);
        await new Promise<void>((resolve) => { this.wake = resolve; });
      }
    } finally {
      this.done = true;
      this.drop();
    }
  }

  /** Open a socket and send the watch, after `waitMs`; retries with doubling waits up to WATCH_RECONNECTS_MAX failures in a row. */
  private async connect(waitMs: number): Promise<void> {
    this.connecting = true;
    try {
      for (let wait = waitMs; ; wait = WATCH_RECONNECT_WAIT_MS * 2 ** (this.failedOpens - 1)) {
        if (wait > 0) await sleep(wait);
        if (this.done) return;
        try {
          const socket = await this.open();
          if (this.done) return socket.close(WS_NORMAL_CLOSURE, 'watch ended');
          return this.attach(socket);
        } catch (error) {
          if (++this.failedOpens > WATCH_RECONNECTS_MAX || this.options.reconnect === false) {
            return this.fail(error instanceof PiccoloError ? error : new ConnectionClosedError(`the watch could not connect: ${(error as Error).message}`));
          }
        }
      }
    } finally {
      this.connecting = false;
    }
  }

  private attach(socket: WebSocketLike): void {
    this.socket = socket;
    socket.addEventListener('message', (event) => { if (this.socket === socket) this.onFrame(event.data); });
    socket.addEventListener('close', () => { if (this.socket === socket) this.onClose(); });
    socket.send(this.wire.watchFrame(WATCH_ID, {
      match: this.options.exactKey ? 'key' : 'prefix', bytes: this.bytes, after: this.resume,
      ...(this.options.groups !== undefined ? { groups: this.options.groups } : {}),
    }));
  }

  private onFrame(data: unknown): void {
    let event: ReturnType<WatchWire['read']>;
    try {
      event = this.wire.read(data, WATCH_ID);
    } catch (cause) {
      return this.fail(cause instanceof PiccoloError ? cause : new ProtocolError(`an unreadable watch frame: ${(cause as Error).message}`, cause));
    }
    if (event === null) return;
    switch (event.kind) {
      case 'change':
        this.queue.push(event.change);
        this.resume = event.change.resume;
        // Stop reading; the loop reopens once it has taken what waits.
        if (this.queue.length >= (this.options.queuedChangesMax ?? WATCH_QUEUED_CHANGES_MAX)) this.drop();
        break;
      case 'live':
        // Live (the node holds what follows): a socket that drops before any change resumes from here.
        this.failedOpens = 0;
        this.resume = event.resume;
        this.options.onLive?.(event.resume);
        break;
      case 'end':
        return this.fail(event.error);
    }
    this.notify();
  }

  private onClose(): void {
    this.socket = null;
    if (this.done || this.failure) return;
    if (this.options.reconnect === false) return this.fail(new ConnectionClosedError('the watch\'s connection closed'));
    // Dropped by the network or the node: resume after the last change received (queued ones are kept).
    this.failedOpens++;
    if (this.failedOpens > WATCH_RECONNECTS_MAX) return this.fail(new ConnectionClosedError(`the watch's connection closed ${this.failedOpens} times in a row`));
    void this.connect(WATCH_RECONNECT_WAIT_MS);
  }

  private fail(error: PiccoloError): void {
    this.failure ??= error;
    this.drop();
    this.notify();
  }

  /** Close the socket on purpose (a full queue, an end): its close event is ignored. */
  private drop(): void {
    const socket = this.socket;
    this.socket = null;
    try { socket?.close(WS_NORMAL_CLOSURE, 'watch ended'); } catch { /* already closing */ }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

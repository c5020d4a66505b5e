// db.watch(prefix, { after }): the changes of a prefix (or one key) as an
// async iterable, on a WebSocket of its own (JSON watch frames, docs/watch.md).
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

import { decodeJsonResponse } from '../schema/json-reply.js';
import { base64ToBytes, bytesToBase64 } from '../schema/base64.js';
import { toBytes, type BytesLike } from './bytes.js';
import { ConnectionClosedError, errorFromReply, PiccoloError, ProtocolError } from './errors.js';
import { WS_NORMAL_CLOSURE, type WebSocketLike } from './web-socket.js';

export interface WatchChange {
  key: Uint8Array;
  kind: 'set' | 'delete' | 'expire';
  /** The value after a 'set'; null for 'delete' and 'expire'. */
  value: Uint8Array | null;
  /** The key's version after the change (the log index that made it). */
  version: number;
  /** Pass as `after` to resume right after this change. */
  resume: string;
}

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

  constructor(private readonly open: Opener, private readonly bytes: Uint8Array, private readonly options: WatchOptions) {
    this.resume = options.after ?? null;
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
    const frame: Record<string, unknown> = { id: WATCH_ID, op: 'watch', [this.options.exactKey ? 'keyBase64' : 'prefixBase64']: bytesToBase64(this.bytes) };
    if (this.resume !== null) frame.after = this.resume;
    if (this.options.groups !== undefined) frame.groups = this.options.groups;
    socket.addEventListener('message', (event) => { if (this.socket === socket) this.onFrame(event.data); });
    socket.addEventListener('close', () => { if (this.socket === socket) this.onClose(); });
    socket.send(JSON.stringify(frame));
  }

  private onFrame(data: unknown): void {
    const text = typeof data === 'string' ? data : new TextDecoder().decode(data as Uint8Array);
    let json: { id?: unknown; ok?: unknown; resume?: unknown; change?: Record<string, unknown> };
    try {
      json = JSON.parse(text) as typeof json;
    } catch (cause) {
      return this.fail(new ProtocolError('a watch frame that is not JSON', cause));
    }
    if (json.id !== WATCH_ID) return;
    if (json.change !== undefined) {
      const change = changeOf(json.change);
      if (change === null) return this.fail(new ProtocolError('a watch change frame without its fields'));
      this.queue.push(change);
      this.resume = change.resume;
      // Stop reading; the loop reopens once it has taken what waits.
      if (this.queue.length >= (this.options.queuedChangesMax ?? WATCH_QUEUED_CHANGES_MAX)) this.drop();
    } else if (json.ok === true && typeof json.resume === 'string') {
      // Live (the node holds what follows): a socket that drops before any change resumes from here.
      this.failedOpens = 0;
      this.resume = json.resume;
      this.options.onLive?.(json.resume);
    } else {
      const { reply } = decodeJsonResponse(text);
      return this.fail(reply.ok ? new ProtocolError('a watch frame the client does not know') : errorFromReply(reply));
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

function changeOf(json: Record<string, unknown>): WatchChange | null {
  const key = bytesField(json, 'key');
  const kind = json.kind;
  if (key === null || (kind !== 'set' && kind !== 'delete' && kind !== 'expire')) return null;
  if (typeof json.version !== 'number' || typeof json.resume !== 'string') return null;
  const value = kind === 'set' ? bytesField(json, 'value') : null;
  if (kind === 'set' && value === null) return null;
  return { key, kind, value, version: json.version, resume: json.resume };
}

function bytesField(json: Record<string, unknown>, name: string): Uint8Array | null {
  if (typeof json[name] === 'string') return new TextEncoder().encode(json[name]);
  const b64 = json[`${name}Base64`];
  return typeof b64 === 'string' ? base64ToBytes(b64) : null;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// One write per node connection per event-loop turn. The `ws` package writes
// every frame to its TCP socket at once, and Node's socket write is a
// syscall (uv_try_write) when not corked: a gateway relaying a client's
// pipelined burst to a node paid one syscall per request, the largest cost
// in its profile. TurnCork corks a connection's socket at its first send in
// a turn and uncorks every corked socket once, in the turn's check phase
// (setImmediate: right after the poll phase that delivered the requests),
// so a burst leaves as one writev. The wait it adds is the rest of the
// current turn, not a timer.

import type { WebSocketLike } from '../../client/web-socket.js';

/** The part of a Node stream (net.Socket, tls.TLSSocket) that corking needs. */
interface CorkableStream {
  readonly writableCorked: number;
  readonly destroyed: boolean;
  cork(): void;
  uncork(): void;
}

function isCorkable(value: unknown): value is CorkableStream {
  const s = value as Partial<CorkableStream> | null | undefined;
  return typeof s?.cork === 'function' && typeof s.uncork === 'function' && typeof s.writableCorked === 'number';
}

export class TurnCork {
  /** Streams this corked in the current turn; each once. */
  private corked: CorkableStream[] = [];
  private scheduled = false;

  /**
   * `socket`, sending through this: its TCP stream is corked at the turn's
   * first send and written at the turn's end. A socket whose stream cannot
   * be reached (not the `ws` package) is returned as it is: one write per
   * frame, as before.
   */
  wrap(socket: WebSocketLike): WebSocketLike {
    const stream = (socket as { _socket?: unknown })._socket;
    if (!isCorkable(stream)) return socket;
    // Everything but send goes to the socket itself (its methods keep their own `this`).
    return {
      get binaryType() { return socket.binaryType; },
      set binaryType(type: string) { socket.binaryType = type; },
      get readyState() { return socket.readyState; },
      send: (data: string | Uint8Array): void => {
        this.hold(stream);
        socket.send(data);
      },
      close: (code?: number, reason?: string): void => socket.close(code, reason),
      addEventListener: socket.addEventListener.bind(socket),
    };
  }

  private hold(stream: CorkableStream): void {
    // Corked already means corked by this turn (ws uncorks its own nesting inside send).
    if (stream.writableCorked > 0 || stream.destroyed) return;
    stream.cork();
    this.corked.push(stream);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.release);
    }
  }

  private readonly release = (): void => {
    this.scheduled = false;
    const streams = this.corked;
    this.corked = [];
    for (const stream of streams) stream.uncork();
  };
}

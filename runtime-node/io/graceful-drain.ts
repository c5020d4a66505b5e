// A graceful shutdown of the HTTP/WebSocket door, shared by a node
// (server.ts) and a gateway (gateway/gateway-server.ts): stop accepting,
// wait until nothing is in flight but not forever, then close the
// WebSockets left open with SHUTTING_DOWN.

import '../uws-env.js'; // must precede the uWebSockets.js import
import uWS from 'uWebSockets.js';
import { WS_CLOSE } from '../../core/errors.js';

/** The doors call check() after each reply; wait(msMax) resolves on the first check that finds the process idle, or after msMax. */
export class IdleWatch {
  private onIdle: (() => void) | null = null;

  constructor(private readonly isIdle: () => boolean) {}

  /** Called after every reply; does nothing until a shutdown waits. */
  readonly check = (): void => {
    if (this.onIdle && this.isIdle()) this.onIdle();
  };

  /** Resolves once idle, or after msMax (requests still running then are cut off by the caller). */
  wait(msMax: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, msMax);
      this.onIdle = () => { clearTimeout(timer); resolve(); };
      this.check();
    });
  }
}

/** Stop listening, wait for in-flight requests (at most msMax), then end every WebSocket still open. */
export async function drainDoor<T>(listenToken: uWS.us_listen_socket, sockets: Set<uWS.WebSocket<T>>, idle: IdleWatch, msMax: number, reason: string): Promise<void> {
  uWS.us_listen_socket_close(listenToken);
  await idle.wait(msMax);
  for (const ws of [...sockets]) ws.end(WS_CLOSE.SHUTTING_DOWN, reason);
}

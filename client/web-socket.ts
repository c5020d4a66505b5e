// The few WebSocket features the client uses, typed structurally so that the
// browser's WebSocket, Node 22's global one and the `ws` package all fit.
// Node 20 has no global WebSocket: there the client loads `ws`, lazily, so a
// browser bundle never needs it.

import { ConnectError } from './errors.js';

/** WebSocket readyState values (the same in every implementation). */
export const WS_OPEN = 1;

/** Close code for a normal close; browsers let scripts send only 1000 and 3000-4999. */
export const WS_NORMAL_CLOSURE = 1000;

/** setTimeout fires at once for delays beyond 2^31-1 ms; longer waits are capped to this. */
export const TIMER_DELAY_MS_MAX = 2 ** 31 - 1;

export interface MessageEventLike { data: unknown }
export interface CloseEventLike { code: number; reason: string }
/** Browsers give no detail; `ws` sets message and error. */
export interface ErrorEventLike { message?: string; error?: unknown }

export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
  // Method syntax keeps the listener parameter bivariant, so implementations
  // with their own event classes are assignable.
  addEventListener(type: 'message', listener: (event: MessageEventLike) => void): void;
  addEventListener(type: 'close', listener: (event: CloseEventLike) => void): void;
  addEventListener(type: 'error', listener: (event: ErrorEventLike) => void): void;
  addEventListener(type: 'open', listener: (event: unknown) => void): void;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** The WebSocket to use: the caller's, the platform's, or the `ws` package. */
export async function resolveWebSocket(given: WebSocketConstructor | undefined): Promise<WebSocketConstructor> {
  if (given) return given;
  const native = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (native) return native;
  const mod = (await import('ws')) as unknown as { WebSocket?: WebSocketConstructor; default?: WebSocketConstructor };
  const ctor = mod.WebSocket ?? mod.default;
  if (!ctor) throw new Error('the ws package has no WebSocket export');
  return ctor;
}

/**
 * Opens a socket and waits for the handshake. Rejects with ConnectError when
 * the connection fails, the server refuses the upgrade, or `timeoutMs` passes.
 */
export function openWebSocket(Ctor: WebSocketConstructor, url: string, timeoutMs: number): Promise<WebSocketLike> {
  return new Promise((resolve, reject) => {
    let socket: WebSocketLike;
    try {
      socket = new Ctor(url);
    } catch (cause) {
      reject(new ConnectError(url, (cause as Error).message ?? String(cause), cause));
      return;
    }
    socket.binaryType = 'arraybuffer';
    let settled = false;
    let lastError = '';
    const timer = Number.isFinite(timeoutMs)
      ? setTimeout(() => fail(`no handshake within ${timeoutMs} ms`), Math.min(timeoutMs, TIMER_DELAY_MS_MAX))
      : null;
    const fail = (detail: string, cause?: unknown): void => {
      if (settled) return;
      settled = true;
      if (timer !== null) clearTimeout(timer);
      try { socket.close(); } catch { /* already closing */ }
      reject(new ConnectError(url, detail, cause));
    };
    socket.addEventListener('open', () => {
      if (settled) return;
      settled = true;
      if (timer !== null) clearTimeout(timer);
      resolve(socket);
    });
    socket.addEventListener('error', (event) => {
      lastError = event.message || (event.error instanceof Error ? event.error.message : '') || lastError;
      fail(lastError || 'the WebSocket reported an error', event.error);
    });
    socket.addEventListener('close', (event) => {
      fail(lastError || `closed during the handshake (${event.code}${event.reason ? ` ${event.reason}` : ''})`);
    });
  });
}

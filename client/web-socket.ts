// The few WebSocket features the client uses, typed structurally so that the
// browser's WebSocket, Node 22's global one and the `ws` package all fit.
// Node 20 has no global WebSocket: there the client loads `ws`, lazily, so a
// browser bundle never needs it. A node's password goes in an Authorization
// header where the WebSocket can send one (`ws`), else in an auth frame.

import { ConnectError } from './errors.js';
import type { ResolvedOptions } from './options.js';

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

/** Browsers' constructors take (url, protocols); the `ws` package's also takes options, headers among them. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[], options?: { headers?: Record<string, string> }) => WebSocketLike;

/** The WebSocket to use: the caller's, the platform's, or the `ws` package (the one that can send headers). */
export async function resolveWebSocket(given: WebSocketConstructor | undefined): Promise<{ Ctor: WebSocketConstructor; sendsHeaders: boolean }> {
  if (given) return { Ctor: given, sendsHeaders: false };
  const native = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (native) return { Ctor: native, sendsHeaders: false };
  const mod = (await import('ws')) as unknown as { WebSocket?: WebSocketConstructor; default?: WebSocketConstructor };
  const ctor = mod.WebSocket ?? mod.default;
  if (!ctor) throw new Error('the ws package has no WebSocket export');
  return { Ctor: ctor, sendsHeaders: true };
}

/**
 * Opens a socket to `url` that is ready for requests: the handshake done and,
 * with a password, authenticated (by header, or by an auth frame answered
 * within connectTimeoutMs). Rejects with ConnectError otherwise.
 */
export async function openSocket(given: WebSocketConstructor | undefined, url: string, options: ResolvedOptions): Promise<WebSocketLike> {
  const { Ctor, sendsHeaders } = await resolveWebSocket(given);
  const password = options.password;
  const viaHeader = password !== null && (options.passwordVia ?? (sendsHeaders ? 'header' : 'frame')) === 'header';
  const headers = viaHeader ? { authorization: `Bearer ${password}` } : undefined;
  const socket = await openWebSocket(Ctor, url, options.connectTimeoutMs, headers);
  if (password !== null && !viaHeader) await authenticateWithFrame(socket, url, password, options.connectTimeoutMs);
  return socket;
}

/**
 * Opens a socket and waits for the handshake. Rejects with ConnectError when
 * the connection fails, the server refuses the upgrade, or `timeoutMs` passes.
 */
export function openWebSocket(Ctor: WebSocketConstructor, url: string, timeoutMs: number, headers?: Record<string, string>): Promise<WebSocketLike> {
  return new Promise((resolve, reject) => {
    let socket: WebSocketLike;
    try {
      socket = headers === undefined ? new Ctor(url) : new Ctor(url, undefined, { headers });
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

/** The id of the auth frame; the reply must carry it. */
const AUTH_FRAME_ID = 0;

/**
 * Sends the auth frame (`{"id":0,"op":"auth","password":..}`) first and waits
 * for `{"id":0,"ok":true}`. A wrong password closes the socket (4401), which
 * rejects with ConnectError, as does no answer within `timeoutMs`.
 */
export function authenticateWithFrame(socket: WebSocketLike, url: string, password: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (error: ConnectError | null): void => {
      if (settled) return;
      settled = true;
      if (timer !== null) clearTimeout(timer);
      if (error === null) return resolve();
      try { socket.close(); } catch { /* already closing */ }
      reject(error);
    };
    const timer = Number.isFinite(timeoutMs)
      ? setTimeout(() => settle(new ConnectError(url, `no answer to authentication within ${timeoutMs} ms`)), Math.min(timeoutMs, TIMER_DELAY_MS_MAX))
      : null;
    socket.addEventListener('message', (event) => {
      let reply: { id?: unknown; ok?: unknown } | null = null;
      try {
        reply = typeof event.data === 'string' ? JSON.parse(event.data) as { id?: unknown; ok?: unknown } : null;
      } catch { /* not JSON: refused below */ }
      settle(reply !== null && reply.ok === true && reply.id === AUTH_FRAME_ID
        ? null
        : new ConnectError(url, 'the server answered the auth frame with something other than {"ok":true}'));
    });
    socket.addEventListener('close', (event) => {
      settle(new ConnectError(url, `authentication refused (${event.code}${event.reason ? ` ${event.reason}` : ''})`));
    });
    socket.send(JSON.stringify({ id: AUTH_FRAME_ID, op: 'auth', password }));
  });
}

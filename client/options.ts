// Options of connect() and their defaults, checked once so a typo fails at
// connect time rather than as odd behaviour later.

import { DEFAULT_LIMITS } from '../core/limits.js';
import type { DataBytesAs } from './data-reply.js';
import { FORMAT_NAMES, type FormatName } from './wire-format.js';
import type { WebSocketConstructor } from './web-socket.js';

export interface ConnectOptions {
  /** A WebSocket implementation; default: the platform's, else the `ws` package (Node 20). */
  WebSocket?: WebSocketConstructor;
  /** Wire format: 'binary' (Cap'n Proto, the default) or 'json'. */
  format?: FormatName;
  /** Reject a call with TimeoutError after this long without a reply; Infinity for never. */
  requestTimeoutMs?: number;
  /** Give up opening the connection after this long. */
  connectTimeoutMs?: number;
  /** Requests on the wire at once; further calls wait in the client. */
  pipelineMax?: number;
  /**
   * Largest request frame to send. The server closes the whole connection on
   * a bigger frame, failing every call in flight, so the client refuses such
   * a call alone with FRAME_TOO_LARGE. Match the server's frameBytesMax.
   */
  frameBytesMax?: number;
  /**
   * Bytes of requests that may wait in the client beyond pipelineMax; a call
   * past this rejects at once with OVERLOADED instead of growing memory
   * without bound. Await earlier calls to pace a bulk load.
   */
  waitingBytesMax?: number;
  /**
   * The node's password. Sent as `Authorization: Bearer` on the upgrade when
   * the WebSocket can send headers (the `ws` package the client loads in
   * Node), else (browsers) as an auth frame that must be answered before
   * connect() resolves. Either way a wrong password rejects with ConnectError.
   */
  password?: string;
  /** Force how the password is sent: 'header' (needs a WebSocket taking `ws`'s options) or 'frame'. */
  passwordVia?: PasswordVia;
  /** How data commands (db.call, db.hget, ...) give bytes: 'bytes' (Uint8Array, the default) or 'text' (UTF-8 decoded strings). */
  dataBytesAs?: DataBytesAs;
}

export type PasswordVia = 'header' | 'frame';

/** Long enough for any single request on a loaded node; short enough that a hung node is noticed. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** A local or LAN handshake takes milliseconds; ten seconds covers slow networks. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** The server's own per-connection pipeline limit: more in flight would only queue there. */
export const DEFAULT_PIPELINE_MAX = DEFAULT_LIMITS.pipelineMax;
export const DEFAULT_FRAME_BYTES_MAX = DEFAULT_LIMITS.frameBytesMax;
/**
 * Four times the largest frame: a deep burst of small calls (a million gets)
 * fits, while a burst of large values is paced before it eats the heap.
 */
export const DEFAULT_WAITING_BYTES_MAX = 4 * DEFAULT_FRAME_BYTES_MAX;

export interface ResolvedOptions {
  format: FormatName;
  requestTimeoutMs: number;
  connectTimeoutMs: number;
  pipelineMax: number;
  frameBytesMax: number;
  waitingBytesMax: number;
  /** null: the node needs none. */
  password: string | null;
  /** null: 'header' where the WebSocket can send headers, else 'frame'. */
  passwordVia: PasswordVia | null;
  dataBytesAs: DataBytesAs;
}

export function resolveOptions(options: ConnectOptions): ResolvedOptions {
  const format = options.format ?? 'binary';
  if (!FORMAT_NAMES.includes(format)) throw new TypeError(`format must be 'binary' or 'json', got ${String(format)}`);
  return {
    format,
    requestTimeoutMs: positiveDuration(options.requestTimeoutMs, DEFAULT_REQUEST_TIMEOUT_MS, 'requestTimeoutMs'),
    connectTimeoutMs: positiveDuration(options.connectTimeoutMs, DEFAULT_CONNECT_TIMEOUT_MS, 'connectTimeoutMs'),
    pipelineMax: positiveInteger(options.pipelineMax, DEFAULT_PIPELINE_MAX, 'pipelineMax'),
    frameBytesMax: positiveInteger(options.frameBytesMax, DEFAULT_FRAME_BYTES_MAX, 'frameBytesMax'),
    waitingBytesMax: positiveInteger(options.waitingBytesMax, DEFAULT_WAITING_BYTES_MAX, 'waitingBytesMax'),
    password: passwordOption(options.password),
    passwordVia: passwordViaOption(options.passwordVia),
    dataBytesAs: dataBytesAsOption(options.dataBytesAs),
  };
}

function passwordOption(value: string | undefined): string | null {
  if (value === undefined) return null;
  if (typeof value !== 'string' || value === '') throw new TypeError('password must be a non-empty string');
  return value;
}

function passwordViaOption(value: PasswordVia | undefined): PasswordVia | null {
  if (value === undefined) return null;
  if (value !== 'header' && value !== 'frame') throw new TypeError(`passwordVia must be 'header' or 'frame', got ${String(value)}`);
  return value;
}

function dataBytesAsOption(value: DataBytesAs | undefined): DataBytesAs {
  if (value === undefined) return 'bytes';
  if (value !== 'bytes' && value !== 'text') throw new TypeError(`dataBytesAs must be 'bytes' or 'text', got ${String(value)}`);
  return value;
}

function positiveDuration(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value <= 0) {
    throw new TypeError(`${name} must be a positive number of milliseconds (or Infinity), got ${String(value)}`);
  }
  return value;
}

function positiveInteger(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) throw new TypeError(`${name} must be a positive integer, got ${String(value)}`);
  return value;
}

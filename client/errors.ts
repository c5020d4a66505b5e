// The errors a Piccolo client call can reject with. Every one is a
// PiccoloError with a stable `code`, so callers can branch on
// `e.code === 'VERSION_MISMATCH'`. Codes the server sends are the wire
// ErrorNames (core/errors.ts); the client adds its own for failures that
// happen on this side of the connection.

import { ErrorCode, type ErrorName } from '../core/errors.js';
import type { ErrReply } from '../core/protocol/ops.js';

/**
 * Failures raised by the client itself, never by a server. Their numbers are
 * negative so they can never collide with the wire codes, which are positive
 * and only ever grow.
 */
export const ClientErrorCode = {
  /** The WebSocket could not be opened (nothing listening, refused upgrade, bad URL). */
  CONNECT_FAILED: -1,
  /** The connection ended (or close() was called) before the reply came. */
  CONNECTION_CLOSED: -2,
  /** No reply within requestTimeoutMs. */
  TIMEOUT: -3,
  /** The server sent something that is not a reply to our request (a server bug). */
  PROTOCOL_ERROR: -4,
} as const;

export type ClientErrorName = keyof typeof ClientErrorCode;
export type PiccoloErrorCode = ErrorName | ClientErrorName;

const numberOf = (code: PiccoloErrorCode): number =>
  code in ErrorCode ? ErrorCode[code as ErrorName] : ClientErrorCode[code as ClientErrorName];

export class PiccoloError extends Error {
  override name = 'PiccoloError';
  /** Stable name of the failure, e.g. 'VERSION_MISMATCH' or 'TIMEOUT'. */
  readonly code: PiccoloErrorCode;
  /** The wire number of `code` (positive), or the client's own (negative). */
  readonly number: number;
  /** VERSION_MISMATCH and KEY_EXISTS: the key's version now (0 = absent); not set otherwise. */
  declare readonly currentVersion?: number;

  constructor(code: PiccoloErrorCode, message: string, options: { currentVersion?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.number = numberOf(code);
    if (options.currentVersion !== undefined) (this as { currentVersion?: number }).currentVersion = options.currentVersion;
  }
}

/** A compare-and-set lost: the key is at `currentVersion`, not the expected one. */
export class VersionMismatchError extends PiccoloError {
  override name = 'VersionMismatchError';
  declare readonly code: 'VERSION_MISMATCH';
  declare readonly currentVersion: number;

  constructor(message: string, currentVersion: number) {
    super('VERSION_MISMATCH', message, { currentVersion });
  }
}

export class ConnectError extends PiccoloError {
  override name = 'ConnectError';
  declare readonly code: 'CONNECT_FAILED';

  /** detail: what went wrong, e.g. "connect ECONNREFUSED 127.0.0.1:7700". */
  constructor(readonly url: string, readonly detail: string, cause?: unknown) {
    super('CONNECT_FAILED', `cannot connect to ${url}: ${detail}`, { cause });
  }
}

export class ConnectionClosedError extends PiccoloError {
  override name = 'ConnectionClosedError';
  declare readonly code: 'CONNECTION_CLOSED';

  /** closeCode/reason: the WebSocket close frame, when the server sent one. */
  constructor(message: string, readonly closeCode?: number, readonly reason?: string) {
    super('CONNECTION_CLOSED', message);
  }
}

export class TimeoutError extends PiccoloError {
  override name = 'TimeoutError';
  declare readonly code: 'TIMEOUT';

  constructor(readonly op: string, readonly timeoutMs: number) {
    super('TIMEOUT', `${op} got no reply within ${timeoutMs} ms`);
  }
}

export class ProtocolError extends PiccoloError {
  override name = 'ProtocolError';
  declare readonly code: 'PROTOCOL_ERROR';

  constructor(message: string, cause?: unknown) {
    super('PROTOCOL_ERROR', message, { cause });
  }
}

/** The typed error for a server's error reply. */
export function errorFromReply(reply: ErrReply): PiccoloError {
  if (reply.code === 'VERSION_MISMATCH' && reply.currentVersion !== undefined) {
    return new VersionMismatchError(reply.message, reply.currentVersion);
  }
  return reply.currentVersion === undefined
    ? new PiccoloError(reply.code, reply.message)
    : new PiccoloError(reply.code, reply.message, { currentVersion: reply.currentVersion });
}

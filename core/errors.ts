// Stable error codes. The numbers and names are part of the wire protocol
// (docs/protocol.md): never renumber, only add.

export const ErrorCode = {
  BAD_FRAME: 1,
  UNKNOWN_OP: 2,
  BAD_REQUEST: 3,
  KEY_TOO_LONG: 4,
  VALUE_TOO_LARGE: 5,
  WRONG_TYPE: 6,
  OVERFLOW: 7,
  VERSION_MISMATCH: 8,
  KEY_EXISTS: 9,
  NOT_FOUND: 10,
  OVERLOADED: 11,
  FRAME_TOO_LARGE: 12,
  SHUTTING_DOWN: 13,
  INTERNAL: 14,
  TOO_MANY_CONNECTIONS: 15,
  LIMIT_EXCEEDED: 16,
  UNAUTHORIZED: 17,
  FORBIDDEN_ORIGIN: 18,
  METHOD_NOT_ALLOWED: 19,
  NOT_LEADER: 20,
  INDETERMINATE: 21,
  OUT_OF_MEMORY: 22,
  CROSS_SLOT: 23,
  UNAVAILABLE: 24,
  COMPACTED: 25,
} as const;

export type ErrorName = keyof typeof ErrorCode;
export type ErrorNumber = (typeof ErrorCode)[ErrorName];

const namesByNumber = new Map<number, ErrorName>(
  (Object.entries(ErrorCode) as [ErrorName, number][]).map(([name, n]) => [n, name]),
);

export function errorName(code: number): ErrorName | undefined {
  return namesByNumber.get(code);
}

/** HTTP status for each error, used by the REST front door. */
export const HTTP_STATUS: Readonly<Record<ErrorName, number>> = Object.freeze({
  BAD_FRAME: 400,
  UNKNOWN_OP: 400,
  BAD_REQUEST: 400,
  KEY_TOO_LONG: 414,
  VALUE_TOO_LARGE: 413,
  WRONG_TYPE: 409,
  OVERFLOW: 409,
  VERSION_MISMATCH: 409,
  KEY_EXISTS: 412,
  NOT_FOUND: 404,
  OVERLOADED: 503,
  FRAME_TOO_LARGE: 413,
  SHUTTING_DOWN: 503,
  INTERNAL: 500,
  TOO_MANY_CONNECTIONS: 503,
  LIMIT_EXCEEDED: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN_ORIGIN: 403,
  METHOD_NOT_ALLOWED: 405,
  NOT_LEADER: 421,
  INDETERMINATE: 504,
  // 507 Insufficient Storage: the server cannot store what the request adds (--maxmemory).
  OUT_OF_MEMORY: 507,
  CROSS_SLOT: 400,
  // A gateway that cannot reach the group's leader: nothing was sent, retry (runtime-node/gateway/).
  UNAVAILABLE: 503,
  // 410 Gone: the changes a watch asked to resume after are no longer held (core/watch/).
  COMPACTED: 410,
});

/** WebSocket close codes for errors that end a connection (4000-4999 are ours). */
export const WS_CLOSE = {
  BAD_FRAME: 4001,
  FRAME_TOO_LARGE: 1009,
  TOO_MANY_CONNECTIONS: 4003,
  SHUTTING_DOWN: 1001,
  /** No authentication before other frames or within the time allowed, or a wrong password (4000 + HTTP 401). */
  UNAUTHORIZED: 4401,
} as const;

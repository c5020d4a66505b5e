// Where each field of schema/piccolo.capnp sits on the wire, as the Cap'n
// Proto compiler laid it out (read off schema/generated/piccolo.capnp.ts:
// the `_capnp.size` of each struct and the offsets its getters pass).
// Data fields are byte offsets into the data section (booleans: bit offsets),
// pointer fields are indexes into the pointer section.
//
// The schema only ever grows (see its header), so these never change; new
// fields get new entries. test/schema/fast-capnp.test.ts checks the sizes
// against the generated code and every field against capnp-ts.

/** A struct's size: data section words and pointer count. */
export interface StructSize { readonly dataWords: number; readonly pointers: number }

export const RequestLayout = {
  size: { dataWords: 2, pointers: 1 },
  idU64: 0,
  /** Which union member is set (Request_Which in the generated code). */
  whichU16: 8,
  /** The union member's struct (none for count and flush). */
  bodyPtr: 0,
} as const;

/** Union tags of Request, in declaration order. */
export const RequestTag = {
  GET: 0, SET: 1, DEL: 2, INCR: 3, INCR_FLOAT: 4, APPEND: 5, EXISTS: 6, TTL: 7, EXPIRE: 8,
  GET_RANGE: 9, SET_RANGE: 10, GET_EX: 11, SCAN: 12, MGET: 13, MSET: 14, COUNT: 15, FLUSH: 16, TX: 17, CALL: 18,
  /** A watch's frames (schema/binary-watch.ts), not requests: decodeRequest answers them UNKNOWN_OP. */
  WATCH: 19, UNWATCH: 20,
} as const;

/** GetRequest and KeyRequest (exists, ttl) share this shape. */
export const KeyRequestLayout = { size: { dataWords: 0, pointers: 1 }, keyPtr: 0 } as const;

export const SetRequestLayout = {
  size: { dataWords: 4, pointers: 2 },
  keyPtr: 0,
  valuePtr: 1,
  ifAbsentBit: 0,
  ifPresentBit: 1,
  hasExpectedVersionBit: 2,
  keepTtlBit: 3,
  returnPreviousBit: 4,
  expectedVersionU64: 8,
  ttlMsU64: 16,
  expireAtMsU64: 24,
} as const;

export const DelRequestLayout = {
  size: { dataWords: 2, pointers: 1 },
  keyPtr: 0,
  hasExpectedVersionBit: 0,
  returnPreviousBit: 1,
  expectedVersionU64: 8,
} as const;

export const IncrRequestLayout = { size: { dataWords: 1, pointers: 1 }, keyPtr: 0, deltaI64: 0 } as const;

export const IncrFloatRequestLayout = { size: { dataWords: 1, pointers: 1 }, keyPtr: 0, deltaF64: 0 } as const;

export const AppendRequestLayout = { size: { dataWords: 0, pointers: 2 }, keyPtr: 0, valuePtr: 1 } as const;

export const ExpireRequestLayout = { size: { dataWords: 2, pointers: 1 }, keyPtr: 0, ttlMsU64: 0, expireAtMsU64: 8 } as const;

export const GetRangeRequestLayout = { size: { dataWords: 2, pointers: 1 }, keyPtr: 0, startI64: 0, endI64: 8 } as const;

export const SetRangeRequestLayout = { size: { dataWords: 1, pointers: 2 }, keyPtr: 0, valuePtr: 1, offsetU64: 0 } as const;

export const GetExRequestLayout = {
  size: { dataWords: 3, pointers: 1 },
  keyPtr: 0,
  ttlMsU64: 0,
  expireAtMsU64: 8,
  persistBit: 128,
} as const;

export const ScanRequestLayout = {
  size: { dataWords: 1, pointers: 2 },
  prefixPtr: 0,
  cursorPtr: 1,
  limitU32: 0,
  withValuesBit: 32,
} as const;

export const MGetRequestLayout = { size: { dataWords: 0, pointers: 1 }, keysPtr: 0 } as const;

export const EntryLayout = { size: { dataWords: 0, pointers: 2 }, keyPtr: 0, valuePtr: 1 } as const;

export const MSetRequestLayout = { size: { dataWords: 1, pointers: 1 }, entriesPtr: 0, ifNoneExistBit: 0 } as const;

/** A transaction: its ops are Request structs (ids unused), its watched keys WatchedKey structs. */
export const TxRequestLayout = { size: { dataWords: 0, pointers: 2 }, opsPtr: 0, watchPtr: 1 } as const;

export const WatchedKeyLayout = { size: { dataWords: 1, pointers: 1 }, keyPtr: 0, versionU64: 0 } as const;

/** A data command: its name (Text) and its arguments (List(Data)). */
export const CallRequestLayout = { size: { dataWords: 0, pointers: 2 }, namePtr: 0, argsPtr: 1 } as const;

export const ResponseLayout = {
  size: { dataWords: 2, pointers: 1 },
  idU64: 0,
  whichU16: 8,
  bodyPtr: 0,
} as const;

/** Union tags of Response. */
export const ResponseTag = { OK: 0, ERROR: 1 } as const;

export const OkReplyLayout = {
  size: { dataWords: 3, pointers: 7 },
  hasFoundBit: 0,
  foundBit: 1,
  hasValueBit: 2,
  hasVersionBit: 3,
  hasIntegerBit: 4,
  hasPreviousFoundBit: 5,
  previousFoundBit: 6,
  hasPreviousValueBit: 7,
  hasItemsBit: 8,
  hasScanItemsBit: 9,
  hasCursorBit: 10,
  hasRepliesBit: 11,
  hasDataBit: 12,
  versionU64: 8,
  integerI64: 16,
  valuePtr: 0,
  previousValuePtr: 1,
  itemsPtr: 2,
  scanItemsPtr: 3,
  cursorPtr: 4,
  /** A transaction's replies: Response structs (id 0), one per op. */
  repliesPtr: 5,
  /** A data command's reply: a DataValue struct. */
  dataPtr: 6,
} as const;

/**
 * A data command's reply tree. Its union members share storage: int and
 * double the second data word, bytes, status and the three lists the pointer.
 */
export const DataValueLayout = {
  size: { dataWords: 2, pointers: 1 },
  whichU16: 0,
  intI64: 8,
  doubleF64: 8,
  /** bytes (Data), status (Text), array / map / set (List(DataValue)). */
  bodyPtr: 0,
} as const;

/** Union tags of DataValue, in declaration order. */
export const DataValueTag = { NIL: 0, NIL_ARRAY: 1, INT: 2, BYTES: 3, DOUBLE: 4, STATUS: 5, ARRAY: 6, MAP: 7, SET: 8 } as const;

export const ItemReplyLayout = {
  size: { dataWords: 2, pointers: 1 },
  foundBit: 0,
  hasValueBit: 1,
  hasVersionBit: 2,
  versionU64: 8,
  valuePtr: 0,
} as const;

export const ScanItemLayout = {
  size: { dataWords: 2, pointers: 2 },
  keyPtr: 0,
  valuePtr: 1,
  hasValueBit: 0,
  versionU64: 8,
} as const;

export const ErrorReplyLayout = {
  size: { dataWords: 2, pointers: 2 },
  codeU16: 0,
  namePtr: 0,
  messagePtr: 1,
  hasCurrentVersionBit: 16,
  currentVersionU64: 8,
} as const;

/**
 * A watch's structs (schema/binary-watch.ts). Its Response members are apart
 * from ResponseTag: the request connection never reads them (a watch's
 * frames come on the watch's own socket).
 */
export const WatchResponseTag = { WATCH_LIVE: 2, CHANGE: 3 } as const;

export const WatchRequestLayout = { size: { dataWords: 1, pointers: 3 }, keyPtr: 0, exactKeyBit: 0, afterPtr: 1, groupsPtr: 2 } as const;

export const WatchLiveLayout = { size: { dataWords: 0, pointers: 1 }, resumePtr: 0 } as const;

export const WatchChangeLayout = {
  size: { dataWords: 2, pointers: 3 },
  keyPtr: 0,
  /** ChangeKind: set 0, delete 1, expire 2. */
  kindU16: 0,
  hasValueBit: 16,
  valuePtr: 1,
  versionU64: 8,
  resumePtr: 2,
} as const;

// A watch's Cap'n Proto frames (schema/piccolo.capnp: Request.watch /
// Request.unwatch, Response.watchLive / Response.change; docs/protocol.md,
// "Watches"), the binary twin of runtime-node/watch/watch-frame.ts:
//   → Request{id, watch{key, exactKey, after, groups}}   ← Response{id, watchLive{resume}}
//   ← Response{id, change{key, kind, hasValue, value, version, resume}} ...
//   ← Response{id, error{...}}                   the watch ended (COMPACTED, ...) or was refused
//   → Request{id, unwatch}                       ← Response{id, ok{}}
// Resume tokens travel as Text, the same lower-case hex string as in JSON, so
// a token from either format resumes a watch in the other and the node
// converts nothing per change.
//
// The server reads requests and writes frames (runtime-node/watch/
// watch-frame-binary.ts); the client does the reverse (client/watch-wire.ts).
// The server's reader never throws: every frame becomes a watch, an unwatch,
// an error to answer, or null (not a watch frame). The client's throws
// WireDecodeError, like decodeResponse.

import type { Limits } from '../core/limits.js';
import { errReply, type Reply } from '../core/protocol/ops.js';
import type { ErrorName } from '../core/errors.js';
import { CHANGE_KINDS, type ChangeKind } from '../core/watch/change.js';
import { TOKEN_CHARS_MAX, TOKEN_GROUPS_MAX } from '../core/watch/resume-token.js';
import { decodeResponse, encodeResponse } from './binary-response.js';
import { MessageBuilder } from './fast-capnp/message-builder.js';
import { ListTooLong, MessageReader, type StructRef } from './fast-capnp/message-reader.js';
import {
  RequestLayout, RequestTag, ResponseLayout, WatchChangeLayout, WatchLiveLayout, WatchRequestLayout, WatchResponseTag,
} from './fast-capnp/piccolo-layout.js';
import { WireDecodeError } from './wire-errors.js';
import { WATCH_GROUPS_RULE, watchGroupsRefusal } from './watch-groups.js';
import { checkU32, checkU64, checkU64Number } from './wire-numbers.js';

/** What a watch follows: every key with the prefix `bytes`, or the key `bytes` alone; `after`: a resume token, or null for "from now". */
export interface WatchTarget {
  match: 'prefix' | 'key';
  bytes: Uint8Array;
  after: string | null;
  /** A prefix watch of these groups only (what a merging gateway asks each node for); absent: every group. */
  groups?: readonly number[];
}

/** A binary watch or unwatch request, as the server reads it. */
export type BinaryWatchFrame =
  | ({ op: 'watch'; id: bigint } & WatchTarget)
  | { op: 'unwatch'; id: bigint }
  /**
   * Wrong: answer the error under `id` (the connection stays), or with
   * `fatal` the frame is no readable message: close the connection
   * (WS_CLOSE.BAD_FRAME / FRAME_TOO_LARGE), as for any request frame.
   */
  | { op: 'bad'; id: bigint | null; code: ErrorName; message: string; fatal: boolean };

/** One change as the frames carry it. `value` is null for delete and expire, and for a collection's write. */
export interface WatchChangeFields {
  key: Uint8Array;
  kind: ChangeKind;
  value: Uint8Array | null;
  version: number;
}

/** A watch's frame as the client reads it. */
export type WatchResponse =
  | { kind: 'live'; id: bigint; resume: string }
  | { kind: 'change'; id: bigint; change: WatchChangeFields; resume: string }
  /** ok (the unwatch is done) or error (the watch ended or was refused). */
  | { kind: 'reply'; id: bigint; reply: Reply };

/**
 * The watch or unwatch request in `bytes`, or null when the frame is another
 * request (decodeRequest's business). Never throws. Byte fields are copies.
 */
export function decodeWatchRequest(bytes: Uint8Array, limits: Limits): BinaryWatchFrame | null {
  if (bytes.length > limits.frameBytesMax) {
    return { op: 'bad', id: null, code: 'FRAME_TOO_LARGE', message: `frame is ${bytes.length} bytes; the limit is ${limits.frameBytesMax}`, fatal: true };
  }
  const message = new MessageReader(bytes);
  const root = message.root();
  const id = message.u64(root, RequestLayout.idU64);
  const which = message.u16(root, RequestLayout.whichU16);
  if (message.error !== null) return unreadable(null, message.error);
  if (which === RequestTag.UNWATCH) return { op: 'unwatch', id };
  if (which !== RequestTag.WATCH) return null;
  const L = WatchRequestLayout;
  const s = message.struct(root, RequestLayout.bodyPtr);
  const key = message.data(s, L.keyPtr);
  const exactKey = message.bit(s, L.exactKeyBit);
  const after = message.text(s, L.afterPtr);
  const groups = readGroups(message, s);
  if (message.error !== null) return unreadable(id, message.error);
  const field = exactKey ? 'key' : 'prefix';
  const match = exactKey ? 'key' : 'prefix';
  if (key.length > limits.keyBytesMax) {
    return { op: 'bad', id, code: 'KEY_TOO_LONG', message: `${field} is ${key.length} bytes; keys are at most ${limits.keyBytesMax}`, fatal: false };
  }
  if (after.length > TOKEN_CHARS_MAX) {
    return { op: 'bad', id, code: 'BAD_REQUEST', message: `after is ${after.length} characters: longer than any resume token (${TOKEN_CHARS_MAX})`, fatal: false };
  }
  if (groups instanceof ListTooLong) {
    return { op: 'bad', id, code: 'BAD_REQUEST', message: `groups names ${groups.count}: ${WATCH_GROUPS_RULE}`, fatal: false };
  }
  const groupsRefusal = groups === null ? null : watchGroupsRefusal(match, groups);
  if (groupsRefusal !== null) return { op: 'bad', id, code: 'BAD_REQUEST', message: groupsRefusal, fatal: false };
  return { op: 'watch', id, match, bytes: key, after: after === '' ? null : after, ...(groups !== null ? { groups } : {}) };
}

/**
 * The watch's `groups`: null when the field is not set (every group); an
 * empty list when it is set to one (refused, as in JSON); ListTooLong past
 * TOKEN_GROUPS_MAX, checked before any element is read.
 */
function readGroups(message: MessageReader, s: StructRef): number[] | ListTooLong | null {
  if (!message.isSet(s, WatchRequestLayout.groupsPtr)) return null;
  const list = message.u32List(s, WatchRequestLayout.groupsPtr, TOKEN_GROUPS_MAX);
  if (list instanceof ListTooLong) return list;
  const groups = new Array<number>(list.count);
  for (let i = 0; i < list.count; i++) groups[i] = message.u32Element(list, i);
  return groups;
}

function unreadable(id: bigint | null, detail: string): BinaryWatchFrame {
  return { op: 'bad', id, code: 'BAD_FRAME', message: `frame is not a readable Cap'n Proto Request: ${detail}`, fatal: true };
}

/** A watch's frames are built here one at a time; the buffer is reused (see MessageBuilder). */
const builder = new MessageBuilder();

/** The client's watch request (an empty `after` is the same as none: tokens are never empty). */
export function encodeWatchRequest(id: bigint, target: WatchTarget): Uint8Array {
  const b = builder;
  const root = b.beginRoot(RequestLayout.size);
  b.setU64(root, RequestLayout.idU64, checkU64(id, 'id'));
  b.setU16(root, RequestLayout.whichU16, RequestTag.WATCH);
  const L = WatchRequestLayout;
  const s = b.initStruct(b.pointer(root, RequestLayout.size, RequestLayout.bodyPtr), L.size);
  b.setData(b.pointer(s, L.size, L.keyPtr), target.bytes);
  if (target.match === 'key') b.setBit(s, L.exactKeyBit);
  if (target.after !== null && target.after !== '') b.setText(b.pointer(s, L.size, L.afterPtr), target.after);
  // An empty list is sent as one (the node refuses it, as in JSON), not as "every group".
  if (target.groups !== undefined) b.setU32List(b.pointer(s, L.size, L.groupsPtr), target.groups.map((g) => checkU32(g, 'group')), true);
  return b.finish();
}

/** The client's unwatch of watch `id`. */
export function encodeUnwatchRequest(id: bigint): Uint8Array {
  const root = builder.beginRoot(RequestLayout.size);
  builder.setU64(root, RequestLayout.idU64, checkU64(id, 'id'));
  builder.setU16(root, RequestLayout.whichU16, RequestTag.UNWATCH);
  return builder.finish();
}

/** The watch is live from here. */
export function encodeWatchLive(id: bigint, resume: string): Uint8Array {
  const b = builder;
  const root = beginResponse(id, WatchResponseTag.WATCH_LIVE);
  const s = b.initStruct(b.pointer(root, ResponseLayout.size, ResponseLayout.bodyPtr), WatchLiveLayout.size);
  b.setText(b.pointer(s, WatchLiveLayout.size, WatchLiveLayout.resumePtr), resume);
  return b.finish();
}

/** One change of watch `id`. */
export function encodeWatchChange(id: bigint, change: WatchChangeFields, resume: string): Uint8Array {
  const b = builder;
  const L = WatchChangeLayout;
  const root = beginResponse(id, WatchResponseTag.CHANGE);
  const s = b.initStruct(b.pointer(root, ResponseLayout.size, ResponseLayout.bodyPtr), L.size);
  b.setData(b.pointer(s, L.size, L.keyPtr), change.key);
  b.setU16(s, L.kindU16, CHANGE_KIND_NUMBERS[change.kind]);
  if (change.value !== null) {
    b.setBit(s, L.hasValueBit);
    b.setData(b.pointer(s, L.size, L.valuePtr), change.value);
  }
  b.setInt64Number(s, L.versionU64, checkU64Number(change.version, 'version'));
  b.setText(b.pointer(s, L.size, L.resumePtr), resume);
  return b.finish();
}

/** The watch ended, or a watch frame was refused: an ordinary error Response. */
export function encodeWatchError(id: bigint, code: ErrorName, message: string): Uint8Array {
  return encodeResponse(id, errReply(code, message));
}

/** The unwatch is done: an empty ok Response. */
export function encodeUnwatched(id: bigint): Uint8Array {
  return encodeResponse(id, { ok: true });
}

function beginResponse(id: bigint, tag: number): number {
  const root = builder.beginRoot(ResponseLayout.size);
  builder.setU64(root, ResponseLayout.idU64, checkU64(id, 'id'));
  builder.setU16(root, ResponseLayout.whichU16, tag);
  return root;
}

/** ChangeKind's enumerants in schema/piccolo.capnp, in core's order (set, delete, expire). */
const CHANGE_KIND_NUMBERS: Readonly<Record<ChangeKind, number>> = Object.fromEntries(CHANGE_KINDS.map((kind, i) => [kind, i])) as Record<ChangeKind, number>;

/** Reads one frame of a watch (the client side). Throws WireDecodeError for anything that is not a valid one. */
export function decodeWatchResponse(bytes: Uint8Array): WatchResponse {
  const message = new MessageReader(bytes);
  const root = message.root();
  const id = message.u64(root, ResponseLayout.idU64);
  const which = message.u16(root, ResponseLayout.whichU16);
  throwIfUnreadable(message);
  if (which === WatchResponseTag.WATCH_LIVE) {
    const resume = message.text(message.struct(root, ResponseLayout.bodyPtr), WatchLiveLayout.resumePtr);
    throwIfUnreadable(message);
    return { kind: 'live', id, resume };
  }
  if (which !== WatchResponseTag.CHANGE) return { kind: 'reply', ...decodeResponse(bytes) };
  const L = WatchChangeLayout;
  const s = message.struct(root, ResponseLayout.bodyPtr);
  const key = message.data(s, L.keyPtr);
  const kindNumber = message.u16(s, L.kindU16);
  const value = message.bit(s, L.hasValueBit) ? message.data(s, L.valuePtr) : null;
  const version = message.u64Number(s, L.versionU64);
  const resume = message.text(s, L.resumePtr);
  throwIfUnreadable(message);
  const kind = CHANGE_KINDS[kindNumber];
  if (kind === undefined) throw new WireDecodeError(`unknown change kind ${kindNumber}`);
  if (kind !== 'set' && value !== null) throw new WireDecodeError(`a ${kind} change carries a value`);
  if (version === null) throw new WireDecodeError(`version ${message.u64(s, L.versionU64)} is beyond 2^53`);
  return { kind: 'change', id, change: { key, kind, value, version }, resume };
}

function throwIfUnreadable(message: MessageReader): void {
  if (message.error !== null) throw new WireDecodeError(`watch frame is not a readable Cap'n Proto Response: ${message.error}`);
}

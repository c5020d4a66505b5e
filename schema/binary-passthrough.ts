// Passing a binary (Cap'n Proto) request and its reply through a gateway
// without decoding and encoding them again. A gateway needs a request's key
// to route it and a reply's kind to retry it; everything else it would only
// copy from one codec's objects into the other's bytes. So:
//
// - a binary client's request, once decoded and validated by the door as
//   usual, keeps a copy of its frame (attachFrame); towards the node only the
//   root struct's id is rewritten (frameWithId). Our encoder is canonical, so
//   the bytes equal encodeRequest(newId, request) for any request it wrote
//   (test/gateway/passthrough-fast.test.ts); another encoder's frame reaches
//   the node as that client wrote it, which the node reads as the gateway did.
// - a node's ok reply is read only as far as its id and kind (peekOkResponse)
//   and held as it came (passedReply), for the door to send with the
//   client's id written in (passedResponse). Error replies, and replies to
//   requests that were not passed through (JSON and REST clients, parts of a
//   split mget/mset), are decoded as before (decodedReply). An ok reply's body
//   is the node's own encoding, checked by the client that reads it.
//
// The id is the root struct's first data word in both Request and Response
// (RequestLayout.idU64, ResponseLayout.idU64); a frame whose root has no room
// for it (an old or foreign encoder that left it out: it reads as 0) is not
// passed through, and takes the decode/encode path.

import type { OkReply, Reply, Request } from '../core/protocol/ops.js';
import { decodeResponse } from './binary-response.js';
import { MessageReader } from './fast-capnp/message-reader.js';
import { RequestLayout, ResponseLayout, ResponseTag } from './fast-capnp/piccolo-layout.js';

/** A request's own frame, and where its id lies in it. */
export interface PassedFrame {
  readonly bytes: Uint8Array;
  readonly idOffset: number;
}

const PASSED_FRAME = Symbol('piccolo.passedFrame');
const PASSED_REPLY = Symbol('piccolo.passedReply');

type WithFrame = Request & { [PASSED_FRAME]?: PassedFrame };
type WithReply = OkReply & { [PASSED_REPLY]?: PassedFrame };

const ID_BYTES = 8;
const TWO_POW_32 = 2 ** 32;

/** The byte offset of the root struct's UInt64 at `fieldOffset`, or null when the frame is unreadable or the root's data section ends before it. */
function rootFieldOffset(message: MessageReader, fieldOffset: number): number | null {
  const root = message.root();
  if (message.error !== null || root.dataBytes < fieldOffset + ID_BYTES) return null;
  return root.dataOffset + fieldOffset;
}

/**
 * Keeps a copy of `frame` (the door's, whose memory uWebSockets.js reuses)
 * on `request`, its decoded and validated form, to pass on instead of an
 * encoding of it. Returns `request`; unchanged when the frame has no id word.
 */
export function attachFrame(request: Request, frame: Uint8Array): Request {
  const idOffset = rootFieldOffset(new MessageReader(frame), RequestLayout.idU64);
  if (idOffset !== null) (request as WithFrame)[PASSED_FRAME] = { bytes: frame.slice(), idOffset };
  return request;
}

/** The frame attachFrame kept on `request`, if any. */
export function passedFrameOf(request: Request): PassedFrame | undefined {
  return (request as WithFrame)[PASSED_FRAME];
}

/** Writes a u64 id (a safe integer or a bigint) little-endian at `at`. */
function writeId(bytes: Uint8Array, at: number, id: number | bigint): void {
  const low = typeof id === 'bigint' ? Number(id & 0xffff_ffffn) : id % TWO_POW_32;
  const high = typeof id === 'bigint' ? Number((id >> 32n) & 0xffff_ffffn) : Math.floor(id / TWO_POW_32);
  for (let i = 0; i < 4; i++) {
    bytes[at + i] = (low >>> (8 * i)) & 0xff;
    bytes[at + 4 + i] = (high >>> (8 * i)) & 0xff;
  }
}

/**
 * The kept frame with `id` written in, ready to send. Writes into the kept
 * copy: a frame is sent again (a retry) only after its last sending was
 * answered or failed, when no socket still holds it.
 */
export function frameWithId(passed: PassedFrame, id: number | bigint): Uint8Array {
  writeId(passed.bytes, passed.idOffset, id);
  return passed.bytes;
}

/**
 * A reply frame's id and, for an ok reply whose id can be rewritten, the
 * reply held as it came; null for anything else (an error reply, an
 * unreadable frame), which the caller decodes in full as before.
 */
export function peekOkResponse(bytes: Uint8Array): { id: bigint; reply: OkReply } | null {
  const message = new MessageReader(bytes);
  const idOffset = rootFieldOffset(message, ResponseLayout.idU64);
  if (idOffset === null) return null;
  const root = message.root();
  if (message.u16(root, ResponseLayout.whichU16) !== ResponseTag.OK) return null;
  const reply: WithReply = { ok: true };
  reply[PASSED_REPLY] = { bytes, idOffset };
  return { id: message.u64(root, ResponseLayout.idU64), reply };
}

/** The reply's frame with the client's `id` written in, when it was passed through; null when it must be encoded. */
export function passedResponse(id: bigint, reply: Reply): Uint8Array | null {
  const passed = reply.ok ? (reply as WithReply)[PASSED_REPLY] : undefined;
  return passed === undefined ? null : frameWithId(passed, id);
}

/** `reply` with every field read: a passed-through reply decoded in full (for a client that does not take the frame). */
export function decodedReply(reply: Reply): Reply {
  const passed = reply.ok ? (reply as WithReply)[PASSED_REPLY] : undefined;
  return passed === undefined ? reply : decodeResponse(passed.bytes).reply;
}

// Forwarded client requests between nodes (schema/peer-forward.capnp): the
// request or reply envelope that shares the peer stream with Raft batches.
// isPeerForward tells the two apart without decoding either; the forwarded
// request and reply themselves are client frames (binary-request.ts,
// binary-response.ts), decoded by the same code as a client's.
//
// decodePeerForward never throws: a frame that is not a readable PeerForward
// gives an error string, and the receiver drops it (the link stays, as for a
// peer batch that does not decode).

import { MessageBuilder } from './fast-capnp/message-builder.js';
import { MessageReader } from './fast-capnp/message-reader.js';
import { PointerKind, SEGMENTS_MAX, WORD_BYTES } from './fast-capnp/wire-format.js';
import { checkU32, checkU64 } from './wire-numbers.js';

/** Where each field of PeerForward sits (as `capnp compile -ocapnp schema/peer-forward.capnp` prints it). */
export const PeerForwardLayout = {
  size: { dataWords: 3, pointers: 1 }, idU64: 0, groupU32: 8, leaderHintU32: 12, isReplyBit: 128, framePtr: 0,
} as const;

export interface PeerForward {
  id: bigint;
  group: number;
  /** Replies only: the leader the answering node names in a NOT_LEADER (0: none). */
  leaderHint: number;
  isReply: boolean;
  /** A client Request frame (isReply false) or Response frame (isReply true). */
  frame: Uint8Array;
}

const builder = new MessageBuilder();

export function encodePeerForward(forward: PeerForward): Uint8Array {
  const L = PeerForwardLayout;
  const b = builder;
  const root = b.beginRoot(L.size);
  b.setU64(root, L.idU64, checkU64(forward.id, 'id'));
  b.setU32(root, L.groupU32, checkU32(forward.group, 'group'));
  b.setU32(root, L.leaderHintU32, checkU32(forward.leaderHint, 'leaderHint'));
  if (forward.isReply) b.setBit(root, L.isReplyBit);
  b.setData(b.pointer(root, L.size, L.framePtr), forward.frame);
  return b.finish();
}

/**
 * Whether a peer stream message is a PeerForward rather than a PeerBatch:
 * a PeerBatch's root has no data section, a PeerForward's has. Only the
 * segment table and the root pointer are read (this is on every peer
 * batch's path). Our encoders write one segment and a direct root pointer; a
 * far root pointer reads as "not a forward" and the batch decoder judges it.
 */
export function isPeerForward(bytes: Uint8Array): boolean {
  const root = rootStructSize(bytes);
  return root !== null && root.dataWords > 0;
}

/**
 * The root struct's size as its pointer declares it, reading only the
 * segment table and the root pointer; null when the root is not a direct
 * struct pointer (peer stream messages are told apart by it: also
 * runtime-node/pubsub/peer-publish.ts).
 */
export function rootStructSize(bytes: Uint8Array): { dataWords: number; pointers: number } | null {
  if (bytes.length < 8) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const segments = view.getUint32(0, true) + 1;
  const tableBytes = 4 + 4 * segments;
  const rootAt = tableBytes + (tableBytes % WORD_BYTES === 0 ? 0 : 4);
  if (segments > SEGMENTS_MAX || bytes.length < rootAt + WORD_BYTES) return null;
  if ((view.getUint32(rootAt, true) & 3) !== PointerKind.STRUCT) return null;
  return { dataWords: view.getUint16(rootAt + 4, true), pointers: view.getUint16(rootAt + 6, true) };
}

export function decodePeerForward(bytes: Uint8Array): PeerForward | string {
  const L = PeerForwardLayout;
  const message = new MessageReader(bytes);
  const root = message.root();
  const forward: PeerForward = {
    id: message.u64(root, L.idU64),
    group: message.u32(root, L.groupU32),
    leaderHint: message.u32(root, L.leaderHintU32),
    isReply: message.bit(root, L.isReplyBit),
    // A copy: the stream's chunk may be reused once this returns.
    frame: message.data(root, L.framePtr).slice(),
  };
  if (message.error !== null) return `peer forward refused: ${message.error}`;
  return forward;
}

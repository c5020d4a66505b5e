// PUBLISH across a cluster: a client's PUBLISH on one node is sent to every
// other node over the peer links, and each delivers it to its own
// subscribers, as Redis Cluster broadcasts PUBLISH over its cluster bus.
// Both ends live here: the hub's fan-out hook sends, receive() delivers.
//
// The message is a Cap'n Proto struct on the peer stream, between peer
// batches and PeerForwards, in the layout `capnp compile -ocapnp` gives for
//
//   struct PeerPublish {   # 8 bytes, 2 ptrs
//     shard @0 :Bool;      # bits[0, 1): SPUBLISH (unused: SPUBLISH stays on its node)
//     channel @1 :Data;    # ptr[0]
//     message @2 :Data;    # ptr[1]
//   }
//
// Receivers tell it apart by its root's layout (isPeerPublish): 1 data word
// and 2 pointers, where a PeerBatch has no data section and a PeerForward 3
// data words and 1 pointer. It is not a schema/*.capnp file because the
// generated reference code is built for the client and Raft formats only.
// Compatibility: a node without this file reads a PeerPublish as a
// malformed PeerForward and drops it (its answer matches no request here).
//
// Delivery is at most once, like Redis's bus: nothing is queued for a peer
// whose link is down, and the transport drops what overflows its bounded
// send queue. A message is delivered once per node: a receiver never sends
// it on.

import { DEFAULT_PEER_LIMITS } from '../../core/limits.js';
import { MessageBuilder } from '../../schema/fast-capnp/message-builder.js';
import { MessageReader } from '../../schema/fast-capnp/message-reader.js';
import { rootStructSize } from '../../schema/peer-forward-codec.js';
import type { PublishKind, PubsubHub } from './pubsub-hub.js';

const LAYOUT = { size: { dataWords: 1, pointers: 2 }, shardBit: 0, channelPtr: 0, messagePtr: 1 } as const;

export interface PeerPublish {
  kind: PublishKind;
  channel: Uint8Array;
  message: Uint8Array;
}

const builder = new MessageBuilder();

export function encodePeerPublish(publish: PeerPublish): Uint8Array {
  const root = builder.beginRoot(LAYOUT.size);
  if (publish.kind === 'shard') builder.setBit(root, LAYOUT.shardBit);
  builder.setData(builder.pointer(root, LAYOUT.size, LAYOUT.channelPtr), publish.channel);
  builder.setData(builder.pointer(root, LAYOUT.size, LAYOUT.messagePtr), publish.message);
  return builder.finish();
}

/** Whether a peer stream message is a PeerPublish: only the segment table and root pointer are read (this is on every peer message's path). */
export function isPeerPublish(bytes: Uint8Array): boolean {
  const root = rootStructSize(bytes);
  return root !== null && root.dataWords === LAYOUT.size.dataWords && root.pointers === LAYOUT.size.pointers;
}

/** The message, or why it is unreadable (never throws: the receiver drops it and keeps the link). */
export function decodePeerPublish(bytes: Uint8Array): PeerPublish | string {
  const message = new MessageReader(bytes);
  const root = message.root();
  const publish: PeerPublish = {
    kind: message.bit(root, LAYOUT.shardBit) ? 'shard' : 'channel',
    // Copies: the stream's chunk may be reused once this returns.
    channel: message.data(root, LAYOUT.channelPtr).slice(),
    message: message.data(root, LAYOUT.messagePtr).slice(),
  };
  if (message.error !== null) return `peer publish refused: ${message.error}`;
  return publish;
}

export interface PeerPublishStats {
  sent: number;
  received: number;
  /** Unreadable messages received, and messages too big for a peer batch (not sent). */
  dropped: number;
}

/** One node's end: hooks the hub's fan-out to the peer links and delivers what peers send. */
export class PeerPublishLink {
  readonly stats: PeerPublishStats = { sent: 0, received: 0, dropped: 0 };

  /** `sendToPeers`: queue bytes on every other node's link that is up; returns how many took them. */
  constructor(private readonly hub: PubsubHub, private readonly sendToPeers: (bytes: Uint8Array) => number) {
    hub.fanOut = (kind, channel, message) => this.send({ kind, channel, message });
  }

  /** A PeerPublish from another node: deliver it to this node's subscribers only. */
  receive(bytes: Uint8Array): void {
    const publish = decodePeerPublish(bytes);
    if (typeof publish === 'string') {
      this.stats.dropped++;
      return;
    }
    this.stats.received++;
    this.hub.deliver(publish.kind, publish.channel, publish.message);
  }

  private send(publish: PeerPublish): void {
    const bytes = encodePeerPublish(publish);
    // A peer closes a link that sends more than a batch may hold; a RESP argument cannot be that big, but never risk the link.
    if (bytes.length > DEFAULT_PEER_LIMITS.batchBytesMax) {
      this.stats.dropped++;
      return;
    }
    this.stats.sent += this.sendToPeers(bytes);
  }
}

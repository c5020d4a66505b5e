// The node's pub/sub: one registry (core/resp/pubsub-registry.ts) for every
// RESP connection of this node, PUBLISH's delivery into subscribers' output,
// the slow-subscriber limit, and the hook that carries a client's PUBLISH to
// the other cluster nodes (runtime-node/pubsub/peer-publish.ts).
//
// Delivery is synchronous and never waits for a subscriber: a message is
// encoded into each subscriber's output and handed to its socket with the
// next batch flush. A subscriber that does not read lets its output grow;
// past PUBSUB_OUTPUT_BYTES_MAX it is disconnected with a log line, so one
// slow reader costs the publisher nothing but that one copy.

import { MiB, type Limits } from '../../core/limits.js';
import { messagePush, patternMessagePush } from '../../core/resp/pubsub-commands.js';
import { PubsubRegistry } from '../../core/resp/pubsub-registry.js';
import type { RespValue } from '../../core/resp/reply-encoder.js';

/**
 * Output a subscriber may leave unread before it is cut off: Redis's default
 * hard limit for pub/sub clients (`client-output-buffer-limit pubsub 32mb`).
 * Big enough for a burst a healthy client drains in a moment; small enough
 * that a stuck subscriber of a busy channel cannot take the node's memory.
 */
export const PUBSUB_OUTPUT_BYTES_MAX = 32 * MiB;

/** One subscriber as the hub sees it: a RESP connection. */
export interface PubsubSubscriber {
  /** Write a push after the replies already queued on this connection. */
  deliver(value: RespValue): void;
  /** Bytes written to this subscriber and not yet taken by its socket's kernel buffer. */
  readonly outputBytes: number;
  /** Cut the connection now (a slow subscriber). */
  disconnect(): void;
  /** Who it is, for the log line (`id=7 addr=127.0.0.1:5120`). */
  readonly description: string;
}

export type PublishKind = 'channel' | 'shard';

/** Carries a client's PUBLISH to the other nodes of a cluster (absent on a lone node). */
export type PublishFanOut = (kind: PublishKind, channel: Uint8Array, message: Uint8Array) => void;

export interface PubsubHubOptions {
  log: (line: string) => void;
  /** Overrides PUBSUB_OUTPUT_BYTES_MAX (tests use a small one). */
  outputBytesMax?: number;
}

/** A node's hub: a subscriber may leave no more unread than any client may (--client-output-bytes-max lowers both). */
export function pubsubHubFor(limits: Limits, log: (line: string) => void): PubsubHub {
  return new PubsubHub({ log, outputBytesMax: Math.min(PUBSUB_OUTPUT_BYTES_MAX, limits.clientOutputBytesMax) });
}

export class PubsubHub {
  readonly registry = new PubsubRegistry<PubsubSubscriber>();
  /** Set by a cluster node: every PUBLISH / SPUBLISH of a local client also goes here. */
  fanOut: PublishFanOut | null = null;
  /** Subscribers cut off for not reading, since start. */
  slowDisconnects = 0;
  private readonly outputBytesMax: number;

  constructor(private readonly options: PubsubHubOptions) {
    this.outputBytesMax = options.outputBytesMax ?? PUBSUB_OUTPUT_BYTES_MAX;
  }

  /** PUBLISH / SPUBLISH from a client of this node: deliver here, fan out to the cluster; returns the local receivers, as Redis Cluster does. */
  publish(kind: PublishKind, channel: Uint8Array, message: Uint8Array): number {
    const receivers = this.deliver(kind, channel, message);
    // SPUBLISH stays on this node: shard channels are not routed by slot here (docs/pubsub.md).
    if (kind === 'channel') this.fanOut?.(kind, channel.slice(), message.slice());
    return receivers;
  }

  /** Deliver on this node only (a message from a peer, a keyspace event); returns the receivers. */
  deliver(kind: PublishKind, channel: Uint8Array, message: Uint8Array): number {
    const deliveries = this.registry.receivers(kind, channel);
    for (const { subscriber, pattern } of deliveries) {
      subscriber.deliver(pattern === null ? messagePush(kind, channel, message) : patternMessagePush(pattern, channel, message));
      if (subscriber.outputBytes > this.outputBytesMax) this.disconnectSlow(subscriber);
    }
    return deliveries.length;
  }

  /** Whether a message on this channel would reach anyone on this node (skips building keyspace messages). */
  hasReceivers(channel: Uint8Array): boolean {
    return this.registry.hasReceivers(channel);
  }

  /** A connection closed: forget its subscriptions. */
  remove(subscriber: PubsubSubscriber): void {
    this.registry.removeSubscriber(subscriber);
  }

  private disconnectSlow(subscriber: PubsubSubscriber): void {
    if (!this.registry.isSubscribed(subscriber)) return; // already cut off by an earlier delivery of this message
    this.registry.removeSubscriber(subscriber);
    this.slowDisconnects++;
    this.options.log(`warning: pub/sub subscriber ${subscriber.description} disconnected: ${subscriber.outputBytes} bytes of output unread, over the limit of ${this.outputBytesMax} (slow subscriber)`);
    subscriber.disconnect();
  }
}

// Who listens to what, for Redis pub/sub on one node: for each channel,
// pattern and shard channel, its subscribers; for each subscriber, its own
// channels, patterns and shard channels (its counts in the SUBSCRIBE
// replies, and what a bare UNSUBSCRIBE drops). Pure: a subscriber is an
// opaque value the runtime chooses (its connection); this file sends nothing.
//
// Three namespaces, as in Redis 7: channels (SUBSCRIBE, PUBLISH), patterns
// (PSUBSCRIBE, matched against PUBLISH's channel with core/resp/glob.ts) and
// shard channels (SSUBSCRIBE, SPUBLISH), which patterns never match. A name
// with no subscriber left is forgotten, so PUBSUB CHANNELS lists only live
// ones and a client cannot grow the tables by subscribing and leaving.
//
// Order: a subscriber's names keep their subscription order (a bare
// UNSUBSCRIBE answers in that order); a publish reaches direct subscribers
// first, then pattern subscribers pattern by pattern, as Redis does.

import { assert } from '../assert.js';
import { bytesToBinaryString } from '../bytes.js';
import { Glob } from './glob.js';

export type PubsubKind = 'channel' | 'pattern' | 'shard';

/** One receiver of a published message: through the channel itself (pattern null) or through a pattern. */
export interface PubsubDelivery<S> {
  subscriber: S;
  pattern: Uint8Array | null;
}

interface Topic<S> {
  name: Uint8Array;
  subscribers: Set<S>;
  /** Patterns only: the compiled pattern. */
  glob: Glob | null;
}

/** A subscriber's names per kind, by their bytes as a binary string. */
type OwnNames = Record<PubsubKind, Map<string, Uint8Array>>;

const KINDS: readonly PubsubKind[] = ['channel', 'pattern', 'shard'];

export class PubsubRegistry<S> {
  private readonly topics: Record<PubsubKind, Map<string, Topic<S>>> = {
    channel: new Map(), pattern: new Map(), shard: new Map(),
  };
  private readonly owners = new Map<S, OwnNames>();

  /** Add a subscription: true if it is new, false if the subscriber already had it (Redis still confirms it). */
  subscribe(subscriber: S, kind: PubsubKind, name: Uint8Array): boolean {
    const id = bytesToBinaryString(name);
    let own = this.owners.get(subscriber);
    if (own === undefined) {
      own = { channel: new Map(), pattern: new Map(), shard: new Map() };
      this.owners.set(subscriber, own);
    }
    if (own[kind].has(id)) return false;
    const copy = name.slice();
    own[kind].set(id, copy);
    let topic = this.topics[kind].get(id);
    if (topic === undefined) {
      topic = { name: copy, subscribers: new Set(), glob: kind === 'pattern' ? new Glob(copy) : null };
      this.topics[kind].set(id, topic);
    }
    topic.subscribers.add(subscriber);
    return true;
  }

  /** Drop a subscription: true if the subscriber had it. */
  unsubscribe(subscriber: S, kind: PubsubKind, name: Uint8Array): boolean {
    const id = bytesToBinaryString(name);
    const own = this.owners.get(subscriber);
    if (own === undefined || !own[kind].delete(id)) return false;
    const topic = this.topics[kind].get(id);
    assert(topic !== undefined && topic.subscribers.delete(subscriber), 'a subscription is listed on both sides');
    if (topic.subscribers.size === 0) this.topics[kind].delete(id);
    if (KINDS.every((k) => own[k].size === 0)) this.owners.delete(subscriber);
    return true;
  }

  /** The subscriber's names of one kind, in subscription order (copies the list, so callers may unsubscribe while walking it). */
  namesOf(subscriber: S, kind: PubsubKind): Uint8Array[] {
    const own = this.owners.get(subscriber);
    return own === undefined ? [] : [...own[kind].values()];
  }

  /** Redis's count in (P)SUBSCRIBE / (P)UNSUBSCRIBE replies: the subscriber's channels plus patterns. */
  subscriptionCount(subscriber: S): number {
    const own = this.owners.get(subscriber);
    return own === undefined ? 0 : own.channel.size + own.pattern.size;
  }

  /** Redis's count in SSUBSCRIBE / SUNSUBSCRIBE replies: the subscriber's shard channels. */
  shardSubscriptionCount(subscriber: S): number {
    return this.owners.get(subscriber)?.shard.size ?? 0;
  }

  /** Whether the subscriber has any subscription at all (RESP2's subscribed mode). */
  isSubscribed(subscriber: S): boolean {
    return this.owners.has(subscriber);
  }

  /** Drop every subscription of a subscriber (its connection closed). */
  removeSubscriber(subscriber: S): void {
    for (const kind of KINDS) for (const name of this.namesOf(subscriber, kind)) this.unsubscribe(subscriber, kind, name);
    assert(!this.owners.has(subscriber), 'a removed subscriber keeps no subscription');
  }

  /**
   * Who receives a message published on `channel`: for 'channel' its direct
   * subscribers, then each matching pattern's; for 'shard' the shard
   * channel's subscribers only. A subscriber through both a channel and a
   * pattern receives it twice, as in Redis.
   */
  receivers(kind: 'channel' | 'shard', channel: Uint8Array): PubsubDelivery<S>[] {
    const out: PubsubDelivery<S>[] = [];
    const topic = this.topics[kind].get(bytesToBinaryString(channel));
    if (topic !== undefined) for (const subscriber of topic.subscribers) out.push({ subscriber, pattern: null });
    if (kind === 'shard') return out;
    for (const pattern of this.topics.pattern.values()) {
      if (!pattern.glob!.matches(channel)) continue;
      for (const subscriber of pattern.subscribers) out.push({ subscriber, pattern: pattern.name });
    }
    return out;
  }

  /** PUBSUB CHANNELS / SHARDCHANNELS: the channels with at least one subscriber, those matching `glob` if given. */
  activeChannels(kind: 'channel' | 'shard', glob: Glob | null): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const topic of this.topics[kind].values()) if (glob === null || glob.matches(topic.name)) out.push(topic.name);
    return out;
  }

  /** PUBSUB NUMSUB / SHARDNUMSUB: direct subscribers of a channel (pattern subscribers not counted, as in Redis). */
  subscriberCount(kind: 'channel' | 'shard', channel: Uint8Array): number {
    return this.topics[kind].get(bytesToBinaryString(channel))?.subscribers.size ?? 0;
  }

  /** PUBSUB NUMPAT: distinct patterns with at least one subscriber. */
  get patternCount(): number {
    return this.topics.pattern.size;
  }

  /** Whether a message on this channel would reach anyone here (lets a publisher skip building the message). */
  hasReceivers(channel: Uint8Array): boolean {
    return this.topics.channel.has(bytesToBinaryString(channel)) || this.topics.pattern.size > 0;
  }
}

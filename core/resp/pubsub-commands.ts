// Redis 7's pub/sub commands, the pure part: (P|S)SUBSCRIBE and
// (P|S)UNSUBSCRIBE against a PubsubRegistry (their replies, one push per
// channel with the subscriber's count after it), PUBSUB's introspection,
// the message pushes, and RESP2's subscribed mode (which commands a
// subscribed RESP2 connection may send, and PING's reply there). PUBLISH
// delivers to sockets, so the runtime does it (runtime-node/pubsub/).
//
// Replies are `push` values: RESP3 clients get `>` frames (so they can tell
// them from command replies and keep sending commands), RESP2 clients get
// plain arrays, as in Redis.

import { bytesToBinaryString } from '../bytes.js';
import { Glob, GLOB_PATTERN_BYTES_MAX } from './glob.js';
import type { RespProtocol, RespValue } from './reply-encoder.js';
import { arityError } from './resp-errors.js';
import type { PubsubKind, PubsubRegistry } from './pubsub-registry.js';

/** The pub/sub commands with Redis's arities (commands.ts routes them to the server as connection commands). */
export const PUBSUB_COMMAND_ARITIES: Readonly<Record<string, number>> = {
  subscribe: -2,
  unsubscribe: -1,
  psubscribe: -2,
  punsubscribe: -1,
  ssubscribe: -2,
  sunsubscribe: -1,
  publish: 3,
  spublish: 3,
  pubsub: -2,
};

/** What a RESP2 connection with a subscription may still send (Redis's list; RESET is not a Piccolo command). */
const SUBSCRIBED_MODE_COMMANDS: ReadonlySet<string> = new Set([
  'subscribe', 'unsubscribe', 'psubscribe', 'punsubscribe', 'ssubscribe', 'sunsubscribe', 'ping', 'quit', 'reset',
]);

/**
 * Subscriptions one connection may hold (channels, patterns and shard
 * channels together). Redis has no bound; each costs memory on every publish
 * path, so a runaway client gets an error instead of growing the node.
 */
export const SUBSCRIPTIONS_PER_CLIENT_MAX = 10_000;

export function subscribedModeError(name: string): string {
  return `ERR Can't execute '${name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`;
}

export function subscriptionsLimitError(): string {
  return `ERR more than ${SUBSCRIPTIONS_PER_CLIENT_MAX} subscriptions on one connection (the limit); unsubscribe first`;
}

const bulk = (value: Uint8Array | string): RespValue => ({ type: 'bulk', value });
const push = (...items: RespValue[]): RespValue => ({ type: 'push', items });

/**
 * RESP2's subscribed mode: null when `name` (lower case, a known command)
 * runs as usual, else its reply: PING's `["pong", arg]`, or Redis's error.
 * RESP3 connections have no subscribed mode.
 */
export function subscribedModeReply(name: string, args: readonly Uint8Array[], subscribed: boolean, protocol: RespProtocol): RespValue | null {
  if (!subscribed || protocol === 3) return null;
  if (name === 'ping') {
    if (args.length > 2) return { type: 'error', text: arityError('ping') };
    return { type: 'array', items: [bulk('pong'), bulk(args.length === 2 ? args[1]! : '')] };
  }
  return SUBSCRIBED_MODE_COMMANDS.has(name) ? null : { type: 'error', text: subscribedModeError(name) };
}

/** `message` (or `smessage`) for a direct subscriber. */
export function messagePush(kind: 'channel' | 'shard', channel: Uint8Array, message: Uint8Array): RespValue {
  return push(bulk(kind === 'shard' ? 'smessage' : 'message'), bulk(channel), bulk(message));
}

/** `pmessage` for a pattern subscriber. */
export function patternMessagePush(pattern: Uint8Array, channel: Uint8Array, message: Uint8Array): RespValue {
  return push(bulk('pmessage'), bulk(pattern), bulk(channel), bulk(message));
}

const KIND_OF_COMMAND: Readonly<Record<string, { kind: PubsubKind; subscribe: boolean }>> = {
  subscribe: { kind: 'channel', subscribe: true },
  unsubscribe: { kind: 'channel', subscribe: false },
  psubscribe: { kind: 'pattern', subscribe: true },
  punsubscribe: { kind: 'pattern', subscribe: false },
  ssubscribe: { kind: 'shard', subscribe: true },
  sunsubscribe: { kind: 'shard', subscribe: false },
};

/** Whether `name` is one of the six (un)subscribe commands. */
export function isSubscriptionCommand(name: string): boolean {
  return Object.hasOwn(KIND_OF_COMMAND, name);
}

/**
 * Run one (un)subscribe command for `subscriber`: `names` are the channels
 * or patterns after the command name (none: every one of that kind, for the
 * unsubscribe commands). Returns the replies in order: one push per name,
 * `[kind, name, count]`; an unsubscribe from nothing answers one push with a
 * null name. A command over a limit changes nothing and answers one error.
 */
export function runSubscription<S>(registry: PubsubRegistry<S>, subscriber: S, command: string, names: readonly Uint8Array[]): RespValue[] {
  const { kind, subscribe } = KIND_OF_COMMAND[command]!;
  const count = (): RespValue => ({
    type: 'integer',
    value: kind === 'shard' ? registry.shardSubscriptionCount(subscriber) : registry.subscriptionCount(subscriber),
  });
  if (subscribe) {
    if (kind === 'pattern' && names.some((p) => p.length > GLOB_PATTERN_BYTES_MAX)) {
      return [{ type: 'error', text: `ERR pattern is longer than ${GLOB_PATTERN_BYTES_MAX} bytes` }];
    }
    const held = registry.subscriptionCount(subscriber) + registry.shardSubscriptionCount(subscriber);
    if (held + new Set(names.map(bytesToBinaryString)).size > SUBSCRIPTIONS_PER_CLIENT_MAX) return [{ type: 'error', text: subscriptionsLimitError() }];
    return names.map((name) => {
      registry.subscribe(subscriber, kind, name);
      return push(bulk(command), bulk(name), count());
    });
  }
  const targets = names.length > 0 ? names : registry.namesOf(subscriber, kind);
  if (targets.length === 0) return [push(bulk(command), { type: 'null' }, count())];
  return targets.map((name) => {
    registry.unsubscribe(subscriber, kind, name);
    return push(bulk(command), bulk(name), count());
  });
}

const PUBSUB_HELP: readonly string[] = [
  'PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CHANNELS [<pattern>]',
  "    Return the currently active channels matching a <pattern> (default: '*').",
  'NUMPAT',
  '    Return number of subscriptions to patterns.',
  'NUMSUB [<channel> ...]',
  '    Return the number of subscribers for the specified channels, excluding',
  '    pattern subscriptions(default: no channels).',
  'SHARDCHANNELS [<pattern>]',
  "    Return the currently active shard level channels matching a <pattern> (default: '*').",
  'SHARDNUMSUB [<shardchannel> ...]',
  '    Return the number of subscribers for the specified shard level channel(s)',
  'HELP',
  '    Print this help.',
];

const latin1 = (bytes: Uint8Array): string => bytesToBinaryString(bytes);

/** PUBSUB CHANNELS / NUMSUB / NUMPAT / SHARDCHANNELS / SHARDNUMSUB / HELP; `args` are after `PUBSUB`. */
export function runPubsubIntrospection<S>(registry: PubsubRegistry<S>, args: readonly Uint8Array[]): RespValue {
  const sub = latin1(args[0]!).toLowerCase();
  const rest = args.slice(1);
  const channelList = (kind: 'channel' | 'shard'): RespValue => {
    if (rest.length > 1) return { type: 'error', text: arityError(`pubsub|${sub}`) };
    const pattern = rest[0];
    if (pattern !== undefined && pattern.length > GLOB_PATTERN_BYTES_MAX) return { type: 'error', text: `ERR pattern is longer than ${GLOB_PATTERN_BYTES_MAX} bytes` };
    const glob = pattern === undefined ? null : new Glob(pattern);
    return { type: 'array', items: registry.activeChannels(kind, glob).map((c) => bulk(c)) };
  };
  const numsub = (kind: 'channel' | 'shard'): RespValue => ({
    type: 'array',
    items: rest.flatMap((channel): RespValue[] => [bulk(channel), { type: 'integer', value: registry.subscriberCount(kind, channel) }]),
  });
  switch (sub) {
    case 'channels': return channelList('channel');
    case 'shardchannels': return channelList('shard');
    case 'numsub': return numsub('channel');
    case 'shardnumsub': return numsub('shard');
    case 'numpat':
      if (rest.length > 0) return { type: 'error', text: arityError('pubsub|numpat') };
      return { type: 'integer', value: registry.patternCount };
    case 'help':
      if (rest.length > 0) return { type: 'error', text: arityError('pubsub|help') };
      return { type: 'array', items: PUBSUB_HELP.map((line): RespValue => ({ type: 'simple', text: line })) };
    default:
      return { type: 'error', text: `ERR unknown subcommand '${latin1(args[0]!).slice(0, 128)}'. Try PUBSUB HELP.` };
  }
}

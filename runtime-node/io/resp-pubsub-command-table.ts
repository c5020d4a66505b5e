// COMMAND's entries for the pub/sub commands (resp-command-table.ts spreads
// them into its table): Redis 7's arity, flags, key positions, categories
// and summaries, so client libraries that read COMMAND see what they expect.
// Shard channels are declared as Redis declares them (NOT_KEY key specs, so
// cluster clients route SSUBSCRIBE / SPUBLISH by the channel's slot).

import type { CommandInfo } from './resp-command-table.js';

const SUBSCRIBE_FLAGS = ['pubsub', 'noscript', 'loading', 'stale'] as const;
const PUBLISH_FLAGS = ['pubsub', 'loading', 'stale', 'fast', 'may_replicate'] as const;

function entry(arity: number, flags: readonly string[], since: string, summary: string, shard = false): CommandInfo {
  return {
    arity, flags, keys: shard ? [1, arity === 3 ? 1 : -1, 1] : [0, 0, 0], ...(shard ? { keyFlags: ['NOT_KEY'] } : {}),
    categories: flags.includes('fast') ? ['@pubsub', '@fast'] : ['@pubsub', '@slow'], group: 'pubsub', since, summary,
  };
}

export const PUBSUB_COMMAND_INFO: Readonly<Record<string, CommandInfo>> = {
  subscribe: entry(-2, SUBSCRIBE_FLAGS, '2.0.0', 'Listen for messages published to the given channels'),
  unsubscribe: entry(-1, SUBSCRIBE_FLAGS, '2.0.0', 'Stop listening for messages posted to the given channels'),
  psubscribe: entry(-2, SUBSCRIBE_FLAGS, '2.0.0', 'Listen for messages published to channels matching the given patterns'),
  punsubscribe: entry(-1, SUBSCRIBE_FLAGS, '2.0.0', 'Stop listening for messages posted to channels matching the given patterns'),
  ssubscribe: entry(-2, SUBSCRIBE_FLAGS, '7.0.0', 'Listen for messages published to the given shard channels', true),
  sunsubscribe: entry(-1, SUBSCRIBE_FLAGS, '7.0.0', 'Stop listening for messages posted to the given shard channels', true),
  publish: entry(3, PUBLISH_FLAGS, '2.0.0', 'Post a message to a channel'),
  spublish: entry(3, PUBLISH_FLAGS, '7.0.0', 'Post a message to a shard channel', true),
  pubsub: { arity: -2, flags: [], keys: [0, 0, 0], categories: ['@slow'], group: 'pubsub', since: '2.8.0', summary: 'A container for Pub/Sub commands' },
};

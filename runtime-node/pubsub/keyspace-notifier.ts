// Keyspace notifications on this node: holds the `notify-keyspace-events`
// setting (CONFIG GET / SET, and --notify-keyspace-events at start) and
// publishes the events of the commands this node's RESP door ran, through
// the node's pub/sub hub. Which events a command fires is core's
// (core/resp/keyspace-events.ts); this file only holds the flags and
// publishes.
//
// Events are published on this node only, never fanned out to the cluster:
// as in Redis Cluster, a key's events come from the node that ran the
// command (the leader of its group, since RESP clients are sent there by
// MOVED).

import {
  expiredKeyEvents, formatKeyspaceEventFlags, KEYSPACE_EVENTS_INVALID, type CommandStep, type KeyspaceEvent, keyspaceEvents, keyspaceEventsEnabled, keyspaceMessages,
  mayFireKeyspaceEvents, parseKeyspaceEventFlags,
} from '../../core/resp/keyspace-events.js';
import type { Setting } from '../config/settings-registry.js';
import type { PubsubHub } from './pubsub-hub.js';

export const NOTIFY_KEYSPACE_EVENTS_SETTING = 'notify-keyspace-events';

export class KeyspaceNotifier {
  private flags = 0;

  /** `initial`: the start-up value (Redis's letters; "" = off). Throws on letters Redis would refuse. */
  constructor(private readonly hub: PubsubHub, initial = '') {
    const refused = this.set(initial);
    if (refused !== null) throw new Error(`--${NOTIFY_KEYSPACE_EVENTS_SETTING} ${JSON.stringify(initial)}: ${refused}`);
  }

  /** Whether any event can be published now. */
  get enabled(): boolean {
    return keyspaceEventsEnabled(this.flags);
  }

  /** Whether a command could publish anything now (the door keeps a command's arguments only then). */
  watches(command: string): boolean {
    return keyspaceEventsEnabled(this.flags) && mayFireKeyspaceEvents(command);
  }

  /** The setting as CONFIG sees it. */
  readonly setting: Setting = {
    name: NOTIFY_KEYSPACE_EVENTS_SETTING,
    get: () => formatKeyspaceEventFlags(this.flags),
    set: (value) => this.set(value),
  };

  /** A command ran on this node: publish its events. `args`: the command name and arguments (owned copies). */
  notify(command: string, args: readonly Uint8Array[], step: CommandStep, nowMs: number): void {
    this.publish(keyspaceEvents(this.flags, command, args, step, nowMs));
  }

  /** Keys removed by a worker's active expiry: publish `expired` for each (nothing calls this yet: docs/pubsub.md). */
  notifyExpired(keys: readonly Uint8Array[]): void {
    this.publish(expiredKeyEvents(this.flags, keys));
  }

  private publish(events: readonly KeyspaceEvent[]): void {
    if (events.length === 0) return;
    for (const { channel, message } of keyspaceMessages(this.flags, events)) {
      if (this.hub.hasReceivers(channel)) this.hub.deliver('channel', channel, message);
    }
  }

  private set(value: string): string | null {
    const flags = parseKeyspaceEventFlags(value);
    if (flags === null) return KEYSPACE_EVENTS_INVALID;
    this.flags = flags;
    return null;
  }
}

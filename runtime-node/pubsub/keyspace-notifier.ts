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
//
// `expired` comes from the workers' change feed (the one watches read,
// runtime-node/io/worker-pool.ts recordChanges): the first time the flags
// ask for `x`, the notifier subscribes, and publishes `expired` for each
// change of kind 'expire' (a key removed by an expireKeys sweep, or found
// expired and removed by a later write) of a group this node leads. The
// workers cannot be told to stop recording, so the subscription stays
// until the node stops; with `x` off again its records are dropped here.

import {
  expiredKeyEvents, formatKeyspaceEventFlags, NOTIFY_EXPIRED, KEYSPACE_EVENTS_INVALID, type CommandStep, type KeyspaceEvent, keyspaceEvents, keyspaceEventsEnabled, keyspaceMessages,
  mayFireKeyspaceEvents, parseKeyspaceEventFlags,
} from '../../core/resp/keyspace-events.js';
import type { ChangeRecord } from '../../core/watch/change-record.js';
import type { Setting } from '../config/settings-registry.js';
import type { PubsubHub } from './pubsub-hub.js';

export const NOTIFY_KEYSPACE_EVENTS_SETTING = 'notify-keyspace-events';

/** Where `expired` events come from: the workers' change records, and which groups this node leads. */
export interface ExpiryFeed {
  /** Subscribe to every worker's change records from now on (WorkerPool.recordChanges). */
  recordChanges(onChange: (record: ChangeRecord) => void): void;
  /** Whether this node publishes `group`'s expiries: a lone node every group; a cluster node those it leads. */
  leads(group: number): boolean;
}

/** The node's expiries: its workers' change feed; a cluster node publishes those of the groups it leads (the node that ran the command would). */
export function workerExpiryFeed(
  workers: Pick<ExpiryFeed, 'recordChanges'>, cluster: { leaderOf(group: number): number; readonly options: { nodeId: number } } | null,
): ExpiryFeed {
  return {
    recordChanges: (onChange) => workers.recordChanges(onChange),
    leads: cluster === null ? () => true : (group) => cluster.leaderOf(group) === cluster.options.nodeId,
  };
}

export class KeyspaceNotifier {
  private flags = 0;
  private expirySubscribed = false;

  /**
   * `initial`: the start-up value (Redis's letters; "" = off). Throws on
   * letters Redis would refuse. `expiry`: where expiries are read; null: no
   * `expired` events (a door without workers, as in some tests).
   */
  constructor(private readonly hub: PubsubHub, initial = '', private readonly expiry: ExpiryFeed | null = null) {
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

  /** Keys whose TTL ran out and that a worker removed: publish `expired` for each. */
  notifyExpired(keys: readonly Uint8Array[]): void {
    this.publish(expiredKeyEvents(this.flags, keys));
  }

  /** Whether the flags ask for `expired` events now. */
  private get expiredWanted(): boolean {
    return keyspaceEventsEnabled(this.flags) && (this.flags & NOTIFY_EXPIRED) !== 0;
  }

  /** A worker's change record: an expiry of a group this node leads becomes `expired` (its key is a copy: decodeChangeRecord). */
  private readonly onChange = (record: ChangeRecord): void => {
    if (record.kind !== 'change' || record.change.kind !== 'expire' || !this.expiredWanted) return;
    if (this.expiry?.leads(record.change.group) !== true) return;
    this.notifyExpired([record.change.key]);
  };

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
    if (this.expiredWanted && this.expiry !== null && !this.expirySubscribed) {
      this.expirySubscribed = true;
      this.expiry.recordChanges(this.onChange);
    }
    return null;
  }
}

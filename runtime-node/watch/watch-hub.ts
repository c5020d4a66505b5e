// A node's watches: the change feed and watch set of core/watch/, fed by the
// workers' change records. The workers record nothing until the first watch
// opens (so writes cost nothing extra on a node nobody watches); from then
// on every worker reports every change until the node stops, so that a
// watcher that reconnects finds the changes it missed in the history.
//
// On a cluster node a watch reads the changes of the replicas hosted here,
// leader or follower alike (every replica applies the same log, so reports
// the same changes at the same positions): it covers only groups this node
// holds a replica of, and is refused otherwise.

import { randomInt } from 'node:crypto';
import type { SlotMap } from '../../core/routing/slot-map.js';
import { slotOf } from '../../core/routing/slot-hash.js';
import { ChangeFeed } from '../../core/watch/change-feed.js';
import type { ChangeRecord } from '../../core/watch/change-record.js';
import { decodeResumeToken } from '../../core/watch/resume-token.js';
import { checkWatchLimits, type WatchLimits } from '../../core/watch/watch-limits.js';
import { Watch, WatchSet } from '../../core/watch/watch-set.js';
import type { SessionWatchEvents, WatchSource } from './watch-session.js';

/** What the hub needs of the workers (runtime-node/io/worker-pool.ts). */
export interface ChangeSource {
  readonly slotMap: SlotMap;
  recordChanges(onChange: (record: ChangeRecord) => void): void;
}

export class WatchHub implements WatchSource {
  private readonly watches: WatchSet;
  private recording = false;

  constructor(
    private readonly source: ChangeSource,
    readonly limits: WatchLimits,
    /** The groups this node holds a replica of (a cluster node); null: all of them (a lone node's shards). */
    private readonly hostedGroups: (() => ReadonlySet<number>) | null = null,
  ) {
    checkWatchLimits(limits);
    // A logId per run for the groups whose log has none (core/watch/watch-set.ts): their tokens stay on this run.
    this.watches = new WatchSet(new ChangeFeed(limits), randomInt(1, 2 ** 32));
  }

  /** Watches open on the node. */
  get size(): number {
    return this.watches.size;
  }

  /** Why this node cannot serve a watch of this key or prefix (of `groups`, when given): a group it holds no replica of, or none such; null when it can. */
  refusal(match: 'prefix' | 'key', bytes: Uint8Array, groups: readonly number[] | null = null): string | null {
    const count = this.source.slotMap.shardCount;
    const unknown = groups?.filter((g) => g >= count) ?? [];
    if (unknown.length > 0) return `no group ${unknown.join(', ')}: this ${this.hostedGroups === null ? 'node has' : 'cluster has'} groups 0 to ${count - 1}`;
    const hosted = this.hostedGroups?.() ?? null;
    if (hosted === null) return null;
    const missing = this.groupsOf(match, bytes, groups).filter((g) => !hosted.has(g));
    if (missing.length === 0) return null;
    return `this node holds no replica of group${missing.length > 1 ? 's' : ''} ${missing.join(', ')}, which the watch covers: watch on a node that holds every group it covers (docs/watch.md)`;
  }

  /** Open a watch of a key or prefix (empty: every key) from now, or after a token; check refusal() first. */
  open(match: 'prefix' | 'key', bytes: Uint8Array, afterText: string | null, events: SessionWatchEvents, only: readonly number[] | null = null): Watch {
    const after = afterText === null ? null : decodeResumeToken(afterText);
    const groups = this.groupsOf(match, bytes, only);
    if (afterText !== null && after === null) {
      const refused = new Watch({ match, bytes, groups, after: null }, events);
      refused.state = 'ended';
      events.onEnd('BAD_REQUEST', 'after is not a resume token this node gave');
      return refused;
    }
    if (!this.recording) {
      this.recording = true;
      this.source.recordChanges(this.onRecord);
    }
    return this.watches.open({ match, bytes, after, groups }, events);
  }

  close(watch: Watch): void {
    this.watches.close(watch);
  }

  /** The watch's owner has room again: it reads on from the history (core/watch/watch-set.ts). */
  pump(watch: Watch): void {
    this.watches.pump(watch);
  }

  /** A key lives in one shard; a prefix's keys may be in any (or in the groups asked for). */
  private groupsOf(match: 'prefix' | 'key', bytes: Uint8Array, only: readonly number[] | null): number[] {
    const map = this.source.slotMap;
    if (match === 'key') return [map.shardOf(slotOf(bytes))];
    if (only !== null) return [...only];
    return Array.from({ length: map.shardCount }, (_, shard) => shard);
  }

  private readonly onRecord = (record: ChangeRecord): void => {
    this.watches.handleRecord(record);
  };
}

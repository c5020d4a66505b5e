// A node's watches: the change feed and watch set of core/watch/, fed by the
// workers' change records. The workers record nothing until the first watch
// opens (so writes cost nothing extra on a node nobody watches); from then
// on every worker reports every change until the node stops, so that a
// watcher that reconnects finds the changes it missed in the history.

import { randomInt } from 'node:crypto';
import type { SlotMap } from '../../core/routing/slot-map.js';
import { slotOf } from '../../core/routing/slot-hash.js';
import { ChangeFeed } from '../../core/watch/change-feed.js';
import type { ChangeRecord } from '../../core/watch/change-record.js';
import type { ResumeToken } from '../../core/watch/resume-token.js';
import { checkWatchLimits, type WatchLimits } from '../../core/watch/watch-limits.js';
import { WatchSet, type Watch, type WatchEvents } from '../../core/watch/watch-set.js';

/** What the hub needs of the workers (runtime-node/io/worker-pool.ts). */
export interface ChangeSource {
  readonly slotMap: SlotMap;
  recordChanges(onChange: (record: ChangeRecord) => void): void;
}

export class WatchHub {
  private readonly watches: WatchSet;
  private recording = false;

  constructor(private readonly source: ChangeSource, readonly limits: WatchLimits) {
    checkWatchLimits(limits);
    // A history id per run: the history starts empty at each start, so a token from an earlier run must be told apart.
    this.watches = new WatchSet(new ChangeFeed(limits), randomInt(0, 2 ** 32));
  }

  /** Watches open on the node. */
  get size(): number {
    return this.watches.size;
  }

  /** Open a watch of a key or prefix (empty: every key) from now, or after a decoded token. */
  open(match: 'prefix' | 'key', bytes: Uint8Array, after: ResumeToken | null, events: WatchEvents): Watch {
    if (!this.recording) {
      this.recording = true;
      this.source.recordChanges(this.onRecord);
    }
    return this.watches.open({ match, bytes, after, groups: this.groupsOf(match, bytes) }, events);
  }

  close(watch: Watch): void {
    this.watches.close(watch);
  }

  /** The watch's owner has room again: it reads on from the history (core/watch/watch-set.ts). */
  pump(watch: Watch): void {
    this.watches.pump(watch);
  }

  /** A key lives in one shard; a prefix's keys may be in any. */
  private groupsOf(match: 'prefix' | 'key', bytes: Uint8Array): number[] {
    const map = this.source.slotMap;
    if (match === 'key') return [map.shardOf(slotOf(bytes))];
    return Array.from({ length: map.shardCount }, (_, shard) => shard);
  }

  private readonly onRecord = (record: ChangeRecord): void => {
    if (record.kind === 'begin') this.watches.handleBegin(record.group, record.appliedIndex);
    else this.watches.handleChange(record.change);
  };
}

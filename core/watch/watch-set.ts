// The watches open on a node and the feed they read: routes each change the
// workers report to the watches whose key or prefix it matches, starts a
// watch from now or from a resume token (replaying the changes it missed
// from the feed's history), and ends a watch with an error when its history
// is gone. Pure and synchronous: the runtime (runtime-node/watch/) feeds it
// the ring's change records and carries its events to the sockets.
//
// Delivery guarantee, per watch: every change of a covered group that
// matches, once, in that group's order (the log order); a resumed watch gets
// exactly the changes after its token. Across groups there is no order (each
// group's stream is its own log).
//
// A watch starts only once every group it covers is tracked by the feed (the
// workers' first `begin` after recording was switched on): then, and not
// before, every change a later request makes is sure to be reported.

import { assert } from '../assert.js';
import { bytesEqual, startsWith } from '../bytes.js';
import type { ErrorName } from '../errors.js';
import type { Change, ChangePosition } from './change.js';
import type { ChangeFeed } from './change-feed.js';
import { encodeResumeToken, type ResumeToken } from './resume-token.js';

export interface WatchSpec {
  /** Match keys starting with `bytes` ('prefix'; empty: every key) or equal to it ('key'). */
  readonly match: 'prefix' | 'key';
  readonly bytes: Uint8Array;
  /** The groups whose keys it may match (a key: its own group; a prefix: all of them). */
  readonly groups: readonly number[];
  /** Start after this token's positions; null: from now. */
  readonly after: ResumeToken | null;
}

/** What a watch tells its owner, in this order: onReady once, then changes, and onEnd at most once (nothing after it). */
export interface WatchEvents {
  /** Live: changes after `resume` follow (resumed ones first). */
  onReady(watch: Watch, resume: string): void;
  /** The owner may close the watch from here (a watcher too slow): no event follows then. */
  onChange(watch: Watch, change: Change, resume: string): void;
  /** Ended by the node; the owner's own close() does not call it. */
  onEnd(code: ErrorName, message: string): void;
}

export class Watch {
  state: 'pending' | 'live' | 'ended' = 'pending';
  readonly positions = new Map<number, ChangePosition>();

  constructor(readonly spec: WatchSpec, readonly events: WatchEvents) {}

  matches(change: Change): boolean {
    return this.spec.match === 'prefix' ? startsWith(change.key, this.spec.bytes) : bytesEqual(change.key, this.spec.bytes);
  }
}

export class WatchSet {
  /** Watches by the groups they cover. */
  private readonly byGroup = new Map<number, Set<Watch>>();
  private readonly pending = new Set<Watch>();
  private openCount = 0;

  constructor(private readonly feed: ChangeFeed, readonly historyId: number) {}

  /** Watches open (pending or live). */
  get size(): number {
    return this.openCount;
  }

  /** Open a watch; its events may fire before this returns (from now on a tracked node: onReady at once). */
  open(spec: WatchSpec, events: WatchEvents): Watch {
    assert(spec.groups.length > 0, 'a watch covers at least one group');
    const watch = new Watch(spec, events);
    this.openCount++;
    for (const group of spec.groups) {
      let set = this.byGroup.get(group);
      if (set === undefined) this.byGroup.set(group, set = new Set());
      set.add(watch);
    }
    if (spec.groups.every((g) => this.feed.isTracking(g))) this.start(watch);
    else this.pending.add(watch);
    return watch;
  }

  /** The owner is done with the watch (unwatch, or its connection closed): no more events. */
  close(watch: Watch): void {
    if (watch.state === 'ended') return;
    this.forget(watch);
  }

  /** A worker reports `group`'s changes from after `appliedIndex` on. */
  handleBegin(group: number, appliedIndex: number): void {
    const restarted = this.feed.isTracking(group);
    this.feed.begin(group, appliedIndex);
    for (const watch of [...(this.byGroup.get(group) ?? [])]) {
      if (watch.state === 'live' && restarted) {
        // The group's state was replaced (a snapshot installed): changes in between may never be reported.
        this.end(watch, 'COMPACTED', `group ${group}'s change history restarted at index ${appliedIndex} (a snapshot replaced its state): re-read, then watch again`);
      } else if (watch.state === 'pending' && watch.spec.groups.every((g) => this.feed.isTracking(g))) {
        this.pending.delete(watch);
        this.start(watch);
      }
    }
  }

  /** A committed change, in its group's order. */
  handleChange(change: Change): void {
    this.feed.append(change);
    const watches = this.byGroup.get(change.group);
    if (watches === undefined) return;
    for (const watch of watches) {
      if (watch.state !== 'live' || !watch.matches(change)) continue; // a watch closed by an earlier one's owner stays in the loop: skip it
      this.deliver(watch, change);
    }
  }

  private start(watch: Watch): void {
    const { after, groups } = watch.spec;
    if (after === null) {
      for (const g of groups) watch.positions.set(g, this.feed.latest(g)!);
      watch.state = 'live';
      watch.events.onReady(watch, this.tokenOf(watch));
      return;
    }
    if (after.historyId !== this.historyId) {
      return this.end(watch, 'COMPACTED', 'the resume token is from another run of this node (it restarted, or the token is from another node): its history is gone; re-read, then watch again');
    }
    const missed: Change[][] = [];
    for (const g of groups) {
      const at = after.positions.get(g);
      if (at === undefined) return this.end(watch, 'BAD_REQUEST', `the resume token does not cover group ${g}: give the token of a watch of the same key or prefix`);
      const since = this.feed.since(g, at);
      if (!since.ok) {
        return this.end(watch, 'COMPACTED', `the changes of group ${g} after index ${at.index} are no longer held (the node keeps a bounded history): re-read, then watch again`);
      }
      watch.positions.set(g, at);
      missed.push(since.changes.filter((c) => watch.matches(c)));
    }
    watch.state = 'live';
    watch.events.onReady(watch, this.tokenOf(watch));
    for (const changes of missed) {
      for (const change of changes) {
        if (watch.state !== 'live') return; // the owner closed it, or cancelled it for a full buffer, while catching up
        this.deliver(watch, change);
      }
    }
  }

  private deliver(watch: Watch, change: Change): void {
    watch.positions.set(change.group, { index: change.version, seq: change.seq });
    watch.events.onChange(watch, change, this.tokenOf(watch));
  }

  private tokenOf(watch: Watch): string {
    return encodeResumeToken({ historyId: this.historyId, positions: watch.positions });
  }

  private end(watch: Watch, code: ErrorName, message: string): void {
    this.forget(watch);
    watch.events.onEnd(code, message);
  }

  private forget(watch: Watch): void {
    watch.state = 'ended';
    this.openCount--;
    this.pending.delete(watch);
    for (const g of watch.spec.groups) {
      const set = this.byGroup.get(g);
      set?.delete(watch);
      if (set?.size === 0) this.byGroup.delete(g);
    }
  }
}

// The watches open on a node and the feed they read: routes each change the
// workers report to the watches whose key or prefix it matches, starts a
// watch from now or from a resume token, and ends a watch with an error when
// the history it needs is gone. Pure and synchronous: the runtime
// (runtime-node/watch/) feeds it the ring's change records and carries its
// events to the sockets.
//
// Delivery guarantee, per watch: every change of a covered group that
// matches, once, in that group's order (the log order); a resumed watch gets
// exactly the changes after its token. Across groups there is no order (each
// group's stream is its own log).
//
// Flow control: a watch is either streaming (caught up: each new change is
// handed over as the feed gets it) or behind (it reads the feed's history
// from its own positions, a batch at a time, as its owner asks with pump()).
// A resumed watch starts behind; a watch whose owner says "no more for now"
// (its socket is full) falls behind. A behind watch costs no memory beyond
// the history every watch shares, and never slows anyone; when the history
// drops the changes it has yet to read, it ends with COMPACTED.
//
// A watch starts only once every group it covers is tracked by the feed (the
// workers' first `begin` after recording was switched on): then, and not
// before, every change a later request makes is sure to be reported. A token may name a position this replica has not
// applied yet (it lags the replica that gave the token): the position is
// committed, so this replica will apply the same changes up to it; the watch
// is live at once and passes over them (a change at or before a watch's
// position is never handed over).
//
// Resume (core/watch/resume-token.ts): per group, the token's logId must be
// the group's and its position not before the history's horizon; otherwise
// COMPACTED. A position at index 0 ("before the first entry") is good in any
// log: a group whose log is still empty has no logId yet (its first entry
// brings it: `identify`), and a watch of it starts at once. A group whose
// log has no logId and is not empty (written before logIds, or its first
// entry carried none) takes this WatchSet's `localLogId`, drawn per run: its
// tokens resume on this run of this node only, as before logIds.

import { assert, unreachable } from '../assert.js';
import { bytesEqual, startsWith } from '../bytes.js';
import type { ErrorName } from '../errors.js';
import { comparePositions, positionOf, type Change, type ChangePosition } from './change.js';
import type { ChangeFeed } from './change-feed.js';
import type { ChangeRecord } from './change-record.js';
import { encodeResumeToken, type ResumeToken, type TokenPosition } from './resume-token.js';
import { LOG_ID_NONE } from '../replica/log-id.js';

/** Changes a behind watch reads from the history per step: the owner's buffer is judged between steps. */
export const CATCH_UP_CHANGES_PER_STEP = 256;

export interface WatchSpec {
  /** Match keys starting with `bytes` ('prefix'; empty: every key) or equal to it ('key'). */
  readonly match: 'prefix' | 'key';
  readonly bytes: Uint8Array;
  /** The groups whose keys it may match (a key: its own group; a prefix: all of them). */
  readonly groups: readonly number[];
  /** Start after this token's positions; null: from now; 'old': a token of the per-run format (COMPACTED). */
  readonly after: ResumeToken | 'old' | null;
}

/** What a watch tells its owner, in this order: onReady once, then changes, and onEnd at most once (nothing after it). */
export interface WatchEvents {
  /** Live: changes after `resume` follow. */
  onReady(watch: Watch, resume: string): void;
  /**
   * One change. Returns whether the owner takes more now; false: the watch
   * falls behind until the owner calls pump(). The owner may also close the
   * watch from here.
   */
  onChange(watch: Watch, change: Change, resume: string): boolean;
  /** Ended by the node; the owner's own close() does not call it. */
  onEnd(code: ErrorName, message: string): void;
}

export class Watch {
  state: 'pending' | 'live' | 'ended' = 'pending';
  /** Reads the history (live only): the owner asked for no more for now, or it resumed and has yet to catch up. */
  behind = false;
  /** Per group, the last change it has passed (handed over, or skipped for not matching). */
  readonly positions = new Map<number, ChangePosition>();
  /** Per group, the logId a position before any entry (index 0) is named with: its start's; later positions name the feed's. */
  readonly logIds = new Map<number, number>();

  constructor(readonly spec: WatchSpec, readonly events: WatchEvents) {}

  matches(change: Change): boolean {
    return this.spec.match === 'prefix' ? startsWith(change.key, this.spec.bytes) : bytesEqual(change.key, this.spec.bytes);
  }
}

export class WatchSet {
  /** Watches by the groups they cover. */
  private readonly byGroup = new Map<number, Set<Watch>>();
  private openCount = 0;

  constructor(
    private readonly feed: ChangeFeed,
    /** The logId of a group whose log has none (see the header): drawn per run by the runtime. */
    readonly localLogId: number,
  ) {
    assert(localLogId !== LOG_ID_NONE, 'the local logId is a drawn one');
  }

  /** Watches open (pending or live). */
  get size(): number {
    return this.openCount;
  }

  /** Open a watch; its events may fire before this returns (onReady at once when its groups are tracked). */
  open(spec: WatchSpec, events: WatchEvents): Watch {
    assert(spec.groups.length > 0, 'a watch covers at least one group');
    const watch = new Watch(spec, events);
    this.openCount++;
    for (const group of spec.groups) {
      let set = this.byGroup.get(group);
      if (set === undefined) this.byGroup.set(group, set = new Set());
      set.add(watch);
    }
    this.start(watch);
    return watch;
  }

  /** The owner is done with the watch (unwatch, or its connection closed): no more events. */
  close(watch: Watch): void {
    if (watch.state === 'ended') return;
    this.forget(watch);
  }

  /** The owner takes changes again: a behind watch reads the history until it is caught up (streaming) or the owner says stop. */
  pump(watch: Watch): void {
    if (watch.state !== 'live' || !watch.behind) return;
    watch.behind = false;
    this.catchUp(watch);
  }

  /** One of the workers' change records (core/watch/change-record.ts), in its ring's order. */
  handleRecord(record: ChangeRecord): void {
    switch (record.kind) {
      case 'begin': return this.handleBegin(record.group, record.appliedIndex, record.logId);
      case 'identify': return this.handleIdentify(record.group, record.logId);
      case 'change': return this.handleChange(record.change);
      default: return unreachable(record, 'change record kind');
    }
  }

  /**
   * A worker reports `group`'s changes from after `appliedIndex` of the log
   * `logId` on (LOG_ID_NONE: not told; the local one once anything is applied).
   */
  handleBegin(group: number, appliedIndex: number, logId: number): void {
    const restarted = this.feed.isTracking(group);
    this.feed.begin(group, appliedIndex, logId !== LOG_ID_NONE ? logId : appliedIndex > 0 ? this.localLogId : LOG_ID_NONE);
    for (const watch of [...(this.byGroup.get(group) ?? [])]) {
      if (watch.state === 'live' && restarted) {
        // The group's state was replaced (a snapshot installed): changes in between may never be reported.
        this.end(watch, 'COMPACTED', `group ${group}'s change history restarted at index ${appliedIndex} (a snapshot replaced its state): re-read, then watch again`);
      } else if (watch.state === 'pending') {
        this.start(watch);
      }
    }
  }

  /** `group`'s log told its identity (its first entry): its history and watches go on, their tokens now naming it. */
  handleIdentify(group: number, logId: number): void {
    this.feed.identify(group, logId);
  }

  /** A committed change, in its group's order. */
  handleChange(change: Change): void {
    this.feed.append(change);
    const watches = this.byGroup.get(change.group);
    if (watches === undefined) return;
    const horizon = this.feed.horizon(change.group)!;
    const at = positionOf(change);
    for (const watch of watches) {
      // A watch closed by an earlier one's owner stays in this loop: skip it.
      if (watch.state !== 'live') continue;
      if (watch.behind) {
        if (comparePositions(watch.positions.get(change.group)!, horizon) < 0) this.endFallenBehind(watch, change.group);
        continue;
      }
      // Resumed ahead of this replica: the watcher has this change already (see the header).
      if (comparePositions(at, watch.positions.get(change.group)!) <= 0) continue;
      if (watch.matches(change)) this.deliver(watch, change);
      else watch.positions.set(change.group, at);
    }
  }

  /** Start a pending watch if it can start now (see the header); it stays pending otherwise. */
  private start(watch: Watch): void {
    const { after, groups } = watch.spec;
    if (!groups.every((g) => this.feed.isTracking(g))) return;
    if (after === null) {
      for (const g of groups) {
        watch.positions.set(g, this.feed.latest(g)!);
        watch.logIds.set(g, this.feed.logId(g)!);
      }
      watch.state = 'live';
      watch.events.onReady(watch, this.tokenOf(watch));
      return;
    }
    if (after === 'old') {
      return this.end(watch, 'COMPACTED', 'the resume token is of an older format, which named one run of one node: re-read, then watch again');
    }
    for (const g of groups) {
      const at = after.positions.get(g);
      if (at === undefined) return this.end(watch, 'BAD_REQUEST', `the resume token does not cover group ${g}: give the token of a watch of the same key or prefix`);
      if (at.index !== 0 && (at.logId === LOG_ID_NONE || at.logId !== this.feed.logId(g))) {
        return this.end(watch, 'COMPACTED', `the resume token's position in group ${g} is in another log than this node's (the group's log began anew: an in-memory node or cluster restarted): re-read, then watch again`);
      }
      if (!this.feed.since(g, at, 0).ok) {
        return this.end(watch, 'COMPACTED', `the changes of group ${g} after index ${at.index} are not held here (a node keeps a bounded history, from when it began recording or last installed a snapshot): re-read, then watch again`);
      }
    }
    for (const g of groups) {
      const at = after.positions.get(g)!;
      watch.positions.set(g, { index: at.index, seq: at.seq });
      watch.logIds.set(g, at.logId); // the same as the feed's, or the token's own for a position before any entry
    }
    watch.state = 'live';
    watch.events.onReady(watch, this.tokenOf(watch));
    if (watch.state === 'live') this.catchUp(watch);
  }

  /** Hand a behind watch the history it has yet to read, a step at a time, until it is caught up or its owner says stop. */
  private catchUp(watch: Watch): void {
    for (const g of watch.spec.groups) {
      for (;;) {
        const since = this.feed.since(g, watch.positions.get(g)!, CATCH_UP_CHANGES_PER_STEP);
        if (!since.ok) return this.endFallenBehind(watch, g);
        for (const change of since.changes) {
          if (!watch.matches(change)) {
            watch.positions.set(g, positionOf(change));
            continue;
          }
          this.deliver(watch, change);
          if (watch.state !== 'live' || watch.behind) return;
        }
        if (since.changes.length < CATCH_UP_CHANGES_PER_STEP) break;
      }
    }
  }

  private deliver(watch: Watch, change: Change): void {
    watch.positions.set(change.group, positionOf(change));
    const more = watch.events.onChange(watch, change, this.tokenOf(watch));
    if (!more && watch.state === 'live') watch.behind = true;
  }

  private tokenOf(watch: Watch): string {
    const positions = new Map<number, TokenPosition>();
    for (const [g, { index, seq }] of watch.positions) {
      // A position after an entry is in the feed's log (a new log ends the watch); before any, in whichever it started with.
      positions.set(g, { logId: index === 0 ? watch.logIds.get(g)! : this.feed.logId(g)!, index, seq });
    }
    return encodeResumeToken({ positions });
  }

  private endFallenBehind(watch: Watch, group: number): void {
    this.end(watch, 'COMPACTED', `watch cancelled: it fell behind the changes of group ${group} further than the node's history holds (its reader did not keep up); re-read, then watch again`);
  }

  private end(watch: Watch, code: ErrorName, message: string): void {
    this.forget(watch);
    watch.events.onEnd(code, message);
  }

  private forget(watch: Watch): void {
    watch.state = 'ended';
    this.openCount--;
    for (const g of watch.spec.groups) {
      const set = this.byGroup.get(g);
      set?.delete(watch);
      if (set?.size === 0) this.byGroup.delete(g);
    }
  }
}

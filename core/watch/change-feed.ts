// A node's bounded history of committed changes, per group, for watches to
// start from and resume in. Fed in each group's change order (the log order,
// the same on every replica): `begin` when the runtime starts reporting a
// group's changes (at its applied index, naming the group's log: its logId,
// core/replica/log-id.ts), then `append` for each change.
// Oldest changes are dropped past the limits (watch-limits.ts); a resume
// from before the oldest one kept is COMPACTED.
//
// What must hold: a group's history holds every change after its `horizon`
// up to its `latest`, in order, with nothing missing; `begin` again (a
// snapshot replaced the shard, so changes may have gone unreported) drops
// the history and moves the horizon to the new start.

import { assert } from '../assert.js';
import { comparePositions, endOfEntry, positionOf, type Change, type ChangePosition } from './change.js';
import { WATCH_CHANGE_OVERHEAD_BYTES, type WatchLimits } from './watch-limits.js';

/** The changes after a position, or why they cannot be had. */
export type ChangesSince =
  | { ok: true; changes: readonly Change[] }
  | { ok: false; why: 'compacted' | 'untracked' };

class GroupHistory {
  /** Changes [head, changes.length) are held; the array is compacted when head passes half of it. */
  private changes: Change[] = [];
  private head = 0;
  private bytes = 0;
  /** Every change after this position is held (or was never made). */
  horizon: ChangePosition;
  /** The last change held, or the horizon when none is. */
  latest: ChangePosition;

  constructor(startIndex: number, public logId: number, private readonly limits: WatchLimits) {
    this.horizon = endOfEntry(startIndex);
    this.latest = this.horizon;
  }

  get length(): number {
    return this.changes.length - this.head;
  }

  append(change: Change): void {
    const at = positionOf(change);
    assert(comparePositions(at, this.latest) > 0, () => `changes of group ${change.group} must come in order: ${at.index}/${at.seq} after ${this.latest.index}/${this.latest.seq}`);
    this.changes.push(change);
    this.bytes += changeBytes(change);
    this.latest = at;
    while (this.length > 0 && (this.bytes > this.limits.historyBytesMax || this.length > this.limits.historyChangesMax)) this.dropOldest();
  }

  private dropOldest(): void {
    const oldest = this.changes[this.head]!;
    this.changes[this.head++] = undefined as unknown as Change;
    this.bytes -= changeBytes(oldest);
    this.horizon = positionOf(oldest);
    if (this.head * 2 >= this.changes.length) {
      this.changes = this.changes.slice(this.head);
      this.head = 0;
    }
  }

  since(after: ChangePosition, changesMax: number): ChangesSince {
    if (comparePositions(after, this.horizon) < 0) return { ok: false, why: 'compacted' };
    // After the latest change: none yet (a position of the same log this replica has yet to reach is fine).
    if (comparePositions(after, this.latest) >= 0) return { ok: true, changes: [] };
    // Binary search for the first change after `after`.
    let lo = this.head;
    let hi = this.changes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (comparePositions(positionOf(this.changes[mid]!), after) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return { ok: true, changes: this.changes.slice(lo, lo + changesMax) };
  }
}

function changeBytes(change: Change): number {
  return change.key.length + (change.value?.length ?? 0) + WATCH_CHANGE_OVERHEAD_BYTES;
}

export class ChangeFeed {
  private readonly groups = new Map<number, GroupHistory>();

  constructor(private readonly limits: WatchLimits) {}

  /**
   * The runtime reports `group`'s changes from after entry `appliedIndex` of
   * the log `logId` on (LOG_ID_NONE: not known yet); what was held before is
   * dropped: a snapshot install skips changes, so the history must not claim
   * to hold what lies before its new start.
   */
  begin(group: number, appliedIndex: number, logId: number): void {
    this.groups.set(group, new GroupHistory(appliedIndex, logId, this.limits));
  }

  /** The group's log told its identity (its first entry): the history goes on, now known to be of `logId`. */
  identify(group: number, logId: number): void {
    const history = this.groups.get(group);
    assert(history !== undefined, () => `group ${group} identified before its history began`);
    history.logId = logId;
  }

  /** The identity of the group's log (core/replica/log-id.ts); null when untracked. */
  logId(group: number): number | null {
    return this.groups.get(group)?.logId ?? null;
  }

  /** The next change of its group; the group must have begun. */
  append(change: Change): void {
    const history = this.groups.get(change.group);
    assert(history !== undefined, () => `a change of group ${change.group} before its history began`);
    history.append(change);
  }

  isTracking(group: number): boolean {
    return this.groups.has(group);
  }

  /** The position of the group's newest change ("now" for a watch that starts now); null when untracked. */
  latest(group: number): ChangePosition | null {
    return this.groups.get(group)?.latest ?? null;
  }

  /** The oldest position a resume may name; null when untracked. */
  horizon(group: number): ChangePosition | null {
    return this.groups.get(group)?.horizon ?? null;
  }

  /**
   * The changes of `group` after `after`, oldest first, at most `changesMax`
   * of them (none when `after` is at or past the latest change: it may name an
   * entry of the same log not applied here yet): 'compacted' when some are
   * no longer held, 'untracked' before `begin`.
   */
  since(group: number, after: ChangePosition, changesMax = Number.POSITIVE_INFINITY): ChangesSince {
    const history = this.groups.get(group);
    if (history === undefined) return { ok: false, why: 'untracked' };
    return history.since(after, changesMax);
  }

  /** Changes held in a group (tests, metrics). */
  heldCount(group: number): number {
    return this.groups.get(group)?.length ?? 0;
  }
}

// One replica's view of the replicated log: the entries after the cut point
// (the last snapshot, or the last entry released because nobody needs it),
// which of them are on stable storage, committed and applied.
//
// Invariants (asserted):
// - snapshotIndex <= applied <= committed <= lastIndex;
// - stableIndex <= writtenIndex <= lastIndex; entries are contiguous from
//   snapshotIndex + 1;
// - terms never decrease along the log;
// - a committed entry is never truncated or replaced (log matching + leader
//   completeness make this hold; a bug that breaks it trips the assertion).

import { assert } from '../assert.js';
import type { Entry, Snapshot } from './raft-types.js';
import { PackedEntries, type StoredEntries } from './packed-entries.js';

/**
 * Committed entries one Ready hands the application, at most (etcd's
 * MaxCommittedSizePerReady, by count): a restart's replay of half a million
 * entries then makes their Entry objects a batch at a time, short-lived,
 * instead of all at once, each surviving into the old generation until the
 * whole replay is done. Far above what a Ready carries in normal running.
 */
export const APPLY_ENTRIES_PER_READY_MAX = 4096;

export class RaftLog {
  private snapshotIndex: number;
  private snapshotTerm: number;
  /**
   * The entries a restart read, packed (an Entry made only when asked for),
   * first; then `entries`. packed.at(i) has index snapshotIndex + 1 + i; all
   * of them are stable (a truncation into them cuts `entries` too).
   */
  private packed: PackedEntries | null = null;
  /** entries[i] has index snapshotIndex + 1 + packedCount + i. */
  private entries: Entry[];
  committed: number;
  applied: number;
  /**
   * Committed entries above this index wait to be applied: the application
   * holds them back behind a read that must not see them (ShardReplica: a
   * read on the leader comes before every write proposed after it arrived).
   * Infinity: no hold.
   */
  applyLimit = Infinity;
  /** Entries up to here are on stable storage. */
  stableIndex: number;
  /**
   * Entries up to here were handed to storage (a Ready carried them), durable
   * or not yet: what the next Ready leaves out. Above stableIndex only while
   * the driver syncs them in the background (RawNode.advance with
   * `persisted: false`, then RawNode.persisted once the sync is done).
   */
  writtenIndex: number;
  /** A snapshot received from the leader that is not yet persisted and applied. */
  pendingSnapshot: Snapshot | null = null;
  /**
   * Bumped whenever entries leave the log other than by compaction (a
   * conflict truncates it, a leader's snapshot replaces it): until it moves,
   * an entry once in the log is still there, so callers can skip re-checking.
   */
  rewrites = 0;

  constructor(snapshot: { index: number; term: number }, entries: StoredEntries, committed: number) {
    this.snapshotIndex = snapshot.index;
    this.snapshotTerm = snapshot.term;
    if (entries instanceof PackedEntries) {
      assert(entries.length === 0 || entries.first === snapshot.index + 1, 'restored entries must follow the snapshot contiguously');
      if (entries.length > 0) this.packed = entries.clone();
      this.entries = [];
    } else {
      this.entries = [...entries];
      for (let i = 0; i < this.entries.length; i++) {
        assert(this.entries[i]!.index === snapshot.index + 1 + i, 'restored entries must follow the snapshot contiguously');
      }
    }
    assert(committed >= snapshot.index && committed <= this.lastIndex(), () => `restored commit ${committed} outside the log`);
    this.committed = committed;
    this.applied = snapshot.index;
    this.stableIndex = this.lastIndex();
    this.writtenIndex = this.stableIndex;
  }

  firstIndex(): number {
    return this.snapshotIndex + 1;
  }

  lastIndex(): number {
    return this.snapshotIndex + this.packedCount() + this.entries.length;
  }

  private packedCount(): number {
    return this.packed === null ? 0 : this.packed.length;
  }

  lastTerm(): number {
    if (this.entries.length > 0) return this.entries[this.entries.length - 1]!.term;
    return this.packed !== null ? this.packed.term(this.packed.length - 1) : this.snapshotTerm;
  }

  /** The entry at position `at` after the cut point (0: index snapshotIndex + 1). */
  private at(at: number): Entry {
    const packed = this.packedCount();
    return at < packed ? this.packed!.entry(at) : this.entries[at - packed]!;
  }

  /** Entries at positions [from, to) after the cut point. */
  private range(from: number, to: number): Entry[] {
    const packed = this.packedCount();
    if (from >= packed) return this.entries.slice(from - packed, to - packed);
    const out = this.packed!.slice(from, Math.min(to, packed));
    if (to > packed) for (let i = 0; i < to - packed; i++) out.push(this.entries[i]!);
    return out;
  }

  /** The term of entry `index`, or undefined if it is compacted away or beyond the log. */
  term(index: number): number | undefined {
    if (index === this.snapshotIndex) return this.snapshotTerm;
    if (index < this.snapshotIndex || index > this.lastIndex()) return undefined;
    const at = index - this.snapshotIndex - 1;
    const packed = this.packedCount();
    return at < packed ? this.packed!.term(at) : this.entries[at - packed]!.term;
  }

  entry(index: number): Entry {
    assert(index > this.snapshotIndex && index <= this.lastIndex(), () => `entry ${index} is not in the log`);
    return this.at(index - this.snapshotIndex - 1);
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /** Raft's election restriction: is a log ending at (lastIndex, lastTerm) at least as up to date as ours? */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const myTerm = this.lastTerm();
    return lastTerm > myTerm || (lastTerm === myTerm && lastIndex >= this.lastIndex());
  }

  /** The leader appends its own new entries. */
  append(entries: readonly Entry[]): void {
    for (const e of entries) {
      assert(e.index === this.lastIndex() + 1, () => `appended entry ${e.index} does not follow ${this.lastIndex()}`);
      assert(e.term >= this.lastTerm(), 'terms never decrease along the log');
      this.entries.push(e);
    }
  }

  /**
   * A follower takes entries after (prevIndex, prevTerm). Returns the last
   * index now known to match the leader, or null when prevIndex does not
   * match (the leader must back up). Only entries that conflict are replaced:
   * a delayed, shorter append must not cut entries a later one added.
   * `plantedBugTruncateAll` exists only for the mutation suite: it cuts
   * everything after prevIndex, the classic bug that loses committed entries.
   */
  tryAppend(prevIndex: number, prevTerm: number, entries: readonly Entry[], plantedBugTruncateAll = false): number | null {
    if (!this.matchTerm(prevIndex, prevTerm)) return null;
    const lastNew = prevIndex + entries.length;
    if (plantedBugTruncateAll && prevIndex >= this.snapshotIndex && prevIndex < this.lastIndex()) this.truncateFrom(prevIndex + 1);
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      assert(e.index === prevIndex + 1 + i, 'appended entries are contiguous');
      if (e.index <= this.snapshotIndex) continue; // already covered by our snapshot
      const existing = this.term(e.index);
      if (existing === e.term) continue;
      // First conflict (or first new entry): everything from here is replaced.
      if (existing !== undefined) {
        assert(e.index > this.committed, () => `entry ${e.index} conflicts but is committed (commit ${this.committed})`);
        this.truncateFrom(e.index);
      }
      this.append(entries.slice(i));
      break;
    }
    return lastNew;
  }

  private truncateFrom(index: number): void {
    this.rewrites++;
    const keep = index - this.snapshotIndex - 1;
    const packed = this.packedCount();
    if (keep < packed) {
      this.packed!.truncate(keep);
      if (keep === 0) this.packed = null;
      this.entries.length = 0;
    } else {
      this.entries.length = keep - packed;
    }
    if (this.stableIndex >= index) this.stableIndex = index - 1;
    if (this.writtenIndex >= index) this.writtenIndex = index - 1;
    // Only the planted bug cuts below the commit index; the checkers must see that happen, not an assertion.
    if (this.committed >= index) this.committed = index - 1;
    if (this.applied > this.committed) this.applied = this.committed;
  }

  commitTo(index: number): void {
    if (index <= this.committed) return;
    assert(index <= this.lastIndex(), () => `commit ${index} beyond the last index ${this.lastIndex()}`);
    this.committed = index;
  }

  /** Entries in [lo, hi], at most `entriesMax` of them and `bytesMax` of data (always at least one entry). */
  slice(lo: number, hi: number, bytesMax: number, entriesMax: number): Entry[] {
    assert(lo > this.snapshotIndex && hi <= this.lastIndex(), () => `slice [${lo}, ${hi}] outside the log`);
    const out: Entry[] = [];
    let bytes = 0;
    for (let i = lo; i <= hi && out.length < entriesMax; i++) {
      const e = this.at(i - this.snapshotIndex - 1);
      bytes += e.data.length;
      if (out.length > 0 && bytes > bytesMax) break;
      out.push(e);
    }
    return out;
  }

  /** Entries not yet handed to storage (not on stable storage, and not on their way there). */
  unstableEntries(): Entry[] {
    const from = Math.max(0, this.writtenIndex - this.snapshotIndex);
    assert(from >= this.packedCount(), 'restored (packed) entries are stable');
    return this.range(from, this.lastIndex() - this.snapshotIndex);
  }

  /** Whether unstableEntries() is non-empty, without building it (hasReady asks on every call). */
  hasUnstable(): boolean {
    return this.writtenIndex < this.lastIndex();
  }

  /** Entries up to `index` were handed to storage (not yet durable unless stableTo says so). */
  writtenTo(index: number): void {
    assert(index <= this.lastIndex(), () => `written ${index} beyond the last index ${this.lastIndex()}`);
    if (index > this.writtenIndex) this.writtenIndex = index;
  }

  /**
   * Entries up to `index` (of `term`) are persisted; ignored if the log
   * changed since (a sync finishing after a conflict cut its last entry: the
   * next sync, of the entries that replaced it, marks the prefix).
   */
  stableTo(index: number, term: number): void {
    if (this.term(index) === term && index > this.stableIndex) {
      this.stableIndex = index;
      // Durable is written too (a driver that syncs at once never calls writtenTo).
      if (index > this.writtenIndex) this.writtenIndex = index;
    }
  }

  /**
   * Committed entries the application has not applied yet (only persisted
   * ones), at most APPLY_ENTRIES_PER_READY_MAX: the rest come with the next
   * Ready (hasToApply stays true).
   */
  entriesToApply(): Entry[] {
    if (this.pendingSnapshot !== null) return []; // the snapshot is applied first
    const hi = Math.min(this.committed, this.stableIndex, this.applyLimit, this.applied + APPLY_ENTRIES_PER_READY_MAX);
    if (hi <= this.applied) return [];
    return this.range(this.applied - this.snapshotIndex, hi - this.snapshotIndex);
  }

  /** Whether entriesToApply() is non-empty, without building it. */
  hasToApply(): boolean {
    return this.pendingSnapshot === null && Math.min(this.committed, this.stableIndex, this.applyLimit) > this.applied;
  }

  appliedTo(index: number): void {
    assert(index <= this.committed && index >= this.applied, () => `applied ${index} outside [${this.applied}, ${this.committed}]`);
    this.applied = index;
  }

  /** Replace the whole log by a snapshot from the leader. */
  restore(snapshot: Snapshot): void {
    const { index, term } = snapshot.meta;
    assert(index > this.committed, 'a snapshot is restored only when it is ahead of our commit');
    this.rewrites++;
    this.snapshotIndex = index;
    this.snapshotTerm = term;
    this.packed = null;
    this.entries = [];
    this.committed = index;
    this.stableIndex = index;
    this.writtenIndex = index;
    this.pendingSnapshot = snapshot;
  }

  /** The application has persisted and loaded the pending snapshot. */
  snapshotApplied(): void {
    assert(this.pendingSnapshot !== null, 'no snapshot is pending');
    this.applied = this.pendingSnapshot.meta.index;
    this.pendingSnapshot = null;
  }

  /**
   * Drop entries up to `index` (≤ applied): covered by a snapshot the
   * application took, or applied and held by every replica that could ask
   * (Raft.releaseApplied). Only the term of the cut point stays; a replica
   * that needs a dropped entry later gets a snapshot. Cheap when everything
   * goes (a group of one releases each batch right after applying it).
   */
  compact(index: number): void {
    if (index <= this.snapshotIndex) return;
    assert(index <= this.applied, () => `compact to ${index} beyond applied ${this.applied}`);
    const term = this.term(index)!;
    let dropped = index - this.snapshotIndex;
    const packed = this.packedCount();
    if (dropped >= packed) {
      this.packed = null;
      dropped -= packed;
      if (dropped === this.entries.length) this.entries.length = 0;
      else this.entries = this.entries.slice(dropped);
    } else {
      this.packed!.dropFront(dropped);
    }
    this.snapshotIndex = index;
    this.snapshotTerm = term;
  }

  /** Entries held in memory (after the cut point). */
  get entryCount(): number {
    return this.packedCount() + this.entries.length;
  }

  snapshotPoint(): { index: number; term: number } {
    return { index: this.snapshotIndex, term: this.snapshotTerm };
  }
}

// The storage engine: Raft's RaftStorage over a directory of files, through
// the FileSystem interface (node:fs on a node, the simulated disk in the
// simulator). It owns the write path and the sync rule; the layouts are in
// log-format.ts, log-records.ts, state-slots.ts and snapshot-file.ts, and
// reading a directory back is log-recovery.ts.
//
// Write path. appendEntries and saveSnapshot append records for the active
// segment to a buffer, behind a BEGIN record reserved for the write;
// saveHardState only remembers. sync() appends a COMMIT record (the sync
// point: hard state, snapshot in force, first segment needed), fills in the
// BEGIN with where the write ends, writes the buffer with one write (page
// cache), and then, in mode 'always', makes it durable in this order:
//   1. the directory, if a segment was created since (a snapshot's rename
//      is made durable by saveSnapshot itself, before any sync point names it);
//   2. every segment written since (one fdatasync each: usually one);
//   3. only when the sync point moved to another segment, named another
//      first segment or another snapshot, or holds a new term or vote
//      (rollover, snapshot, election: rare), or at open, close and repair:
//      the sync point into the state file's slot,
//      and that file. Segments wholly covered by the snapshot, and snapshots
//      no longer in force, are removed only after this step.
// So the usual sync is one write and one fdatasync, as Redis's
// `appendfsync always`. What tells an acknowledged write damaged later from
// a write torn at a crash without a second copy is the BEGIN record: in
// 'always' mode at most one write follows the last durable sync point, and
// a torn one ends before its BEGIN says (log-recovery.ts, checkTail).
//
// Background sync ('always' mode with a BackgroundSyncer, requestSync): when
// the only step left is the active segment's fdatasync, the runtime does it
// off the thread (background-sync.ts) while the replica goes on; records
// written meanwhile wait in the buffer, so the rule above still holds. Any
// other step (a new segment, the slot) waits for that sync and runs at once.
//
// Modes (docs/durability.md): 'always' does all of it in sync(); 'batch'
// does steps 1-3 (the slot every time) at most every intervalMs (the
// runtime calls flushIfDue() on its tick), so a sync() that returns is
// durable only against a process crash, not a power loss; 'never' does
// them only at close().

import { assert } from '../assert.js';
import type { RaftStorage, StoredRaftState } from '../raft/raft-storage.js';
import { EMPTY_HARD_STATE, type Entry, type HardState, type Snapshot } from '../raft/raft-types.js';
import { storedEntryTerms } from '../raft/packed-entries.js';
import { ByteWriter } from '../ring/byte-writer.js';
import type { BackgroundSyncer } from './background-sync.js';
import { readAll, type FileSystem, type StorageFile } from './file-system.js';
import { BEGIN_RECORD_BYTES, encodeRecord, encodeSegmentHeader, parseSegmentName, RecordType, segmentName, type StorageIdentity } from './log-format.js';
import {
  encodeBeginPayload, encodeCommitPayload, encodeEntriesPayload, encodeSealPayload, encodeSnapshotMarkPayload, SYNC_POINT_BYTES, type SnapshotRef, type SyncPoint,
} from './log-records.js';
import { persistedHardState, recover, type RecoveryReader, type SegmentInfo } from './log-recovery.js';
import { mergeRepairStates, readRepairMarker, removeRepairMarker, REPAIR_FILE, writeRepairMarker, type RepairState } from './repair-marker.js';
import { encodeSnapshotFile, parseSnapshotName, snapshotName, TEMP_SUFFIX } from './snapshot-file.js';
import { encodeSlot, slotOffset, STATE_FILE, STATE_FILE_BYTES } from './state-slots.js';
import { StorageError, type RecoveryFinding } from './storage-errors.js';
import { ENTRY_BYTES_MAX, RECORD_HEADER_BYTES, RECORD_PAYLOAD_BYTES_MAX, SEGMENT_BYTES_TARGET } from './storage-limits.js';

/** The record buffer's first size: a sync of a few small writes needs no growth. */
const UNWRITTEN_BYTES_INITIAL = 64 * 1024;
/** Past this the buffer is dropped after its write, so one huge batch does not pin its memory. */
const UNWRITTEN_BYTES_KEPT_MAX = 4 * 1024 * 1024;

export type SyncMode =
  | { readonly kind: 'always' }
  | { readonly kind: 'batch'; readonly intervalMs: number }
  | { readonly kind: 'never' };

export interface LogStorageOptions {
  readonly identity: StorageIdentity;
  readonly syncMode?: SyncMode;
  /** The runtime's clock, read only in 'batch' mode (core takes time as an input). */
  readonly nowMs?: () => number;
  /** Segment rollover size; smaller in tests to exercise rollover. */
  readonly segmentBytesTarget?: number;
  /**
   * A replica of a group with other replicas: damage that may hold
   * acknowledged data is not a refusal but a repair from the peers (the
   * directory is cleared behind a REPAIR marker, and `repair` says what was
   * lost). A lone node has nobody to repair from: it refuses (default).
   */
  readonly repairFromPeers?: boolean;
  /** The simulator's mutation tests only: recovery accepts records whose checksum fails (a planted bug). */
  readonly plantedBugSkipChecksums?: boolean;
  /** 'always' mode: who makes a sync point durable in the background (requestSync); without it requestSync syncs at once. */
  readonly backgroundSyncer?: BackgroundSyncer;
}

interface OpenSegment extends SegmentInfo {
  file: StorageFile | null;
  /** Written since its last fsync. */
  dirty: boolean;
}

export class LogStorage implements RaftStorage {
  /** What recovery repaired on open: truncated tails and removed files, with file and offset. */
  readonly findings: readonly RecoveryFinding[];
  /**
   * Set when this replica lost state it may have acknowledged and must get it
   * back from its peers before it votes again (core/raft/repair-gate.ts); it
   * stays set across restarts until repaired() is called.
   */
  repair: RepairState | null = null;
  private readonly identity: StorageIdentity;
  private readonly syncMode: SyncMode;
  private readonly nowMs: () => number;
  private readonly segmentBytesTarget: number;
  private readonly state: StorageFile;
  private readonly segments: OpenSegment[];
  private loaded: StoredRaftState | null;
  // The state as of every write so far (synced or not): what the next records must agree with.
  private hardState: HardState;
  private snapshotRef: SnapshotRef | null;
  /** Terms of the entries after the snapshot: index snapshotIndex + 1 + i. */
  private terms: number[];
  /** The last COMMIT written, the last one made durable, and the one in the state file's newest slot. */
  private syncSeq: number;
  private lastCommit: SyncPoint;
  private durable: SyncPoint;
  private slotted: SyncPoint;
  private lastDurableMs: number;
  private writtenSinceCommit = false;
  private dirNeedsSync = false;
  private readonly syncer: BackgroundSyncer | null;
  /** The sync point whose fdatasync the syncer is doing, or null. Nothing is written to a file while it is set. */
  private inFlight: SyncPoint | null = null;
  /** requestSync() came while a sync was under way: a sync point for the writes since follows it. */
  private syncWanted = false;
  /** Snapshot files to remove once a durable sync point no longer names them. */
  private snapshotsObsolete: string[] = [];
  /**
   * Records for the active segment not yet handed to the file system: one
   * write() per sync() (or rollover) instead of one per record, as Redis
   * writes its AOF buffer once per event-loop turn. Unsynced either way: a
   * crash loses them (nothing acknowledged them yet).
   */
  private unwritten = new Uint8Array(UNWRITTEN_BYTES_INITIAL);
  private unwrittenBytes = 0;
  private readonly writer = new ByteWriter(64 * 1024);
  private closed = false;

  /** Opens (or initializes) the directory behind `fs`; throws StorageError when it must not be used. */
  static open(fs: FileSystem, options: LogStorageOptions): LogStorage {
    const reader = { list: () => fs.list(), read: (name: string) => readWhole(fs, name) };
    const marker = readRepairMarker(fs);
    if (marker !== null && options.repairFromPeers !== true) {
      throw new StorageError('corrupt', marker.file, marker.offset,
        `this directory is being repaired from a cluster's peers (${REPAIR_FILE} file), it cannot serve alone: ${marker.reason}`);
    }
    let storage: LogStorage;
    try {
      storage = LogStorage.openRecovered(fs, reader, options);
    } catch (e) {
      if (!(options.repairFromPeers === true && e instanceof StorageError && e.kind === 'corrupt')) throw e;
      const found: RepairState = { hardState: persistedHardState(reader, options.identity) ?? EMPTY_HARD_STATE, file: e.file, offset: e.offset, reason: e.message };
      return LogStorage.clearForRepair(fs, reader, options, mergeRepairStates(marker, found));
    }
    if (marker !== null) storage.resumeRepair(marker);
    return storage;
  }

  /**
   * The damaged directory is cleared behind a REPAIR marker and opened empty,
   * keeping only the term and vote it had persisted: its replica gets the log
   * back from the group's leader. The marker is durable before the first
   * removal, so a crash anywhere in between opens as "repairing" again.
   */
  private static clearForRepair(fs: FileSystem, reader: RecoveryReader, options: LogStorageOptions, repair: RepairState): LogStorage {
    writeRepairMarker(fs, repair);
    const removed: RecoveryFinding[] = [];
    // The state file first: without it, leftover segments are never mistaken for a log (log-recovery.ts refuses them).
    const names = fs.list().filter((n) => n === STATE_FILE || parseSegmentName(n) !== null || parseSnapshotName(n) !== null || n.endsWith(TEMP_SUFFIX));
    names.sort((a, b) => (a === STATE_FILE ? -1 : b === STATE_FILE ? 1 : 0));
    for (const name of names) {
      fs.unlink(name);
      removed.push({ action: 'removed', file: name, offset: 0, bytes: 0, reason: `cleared to repair from the peers: ${repair.reason}` });
    }
    fs.syncDir();
    const storage = LogStorage.openRecovered(fs, reader, options, removed);
    storage.resumeRepair(repair);
    return storage;
  }

  /** Recovers the directory (or initializes a new one); `earlier`: findings made before (a repair's removals). */
  private static openRecovered(fs: FileSystem, reader: RecoveryReader, options: LogStorageOptions, earlier: RecoveryFinding[] = []): LogStorage {
    const skipChecksums = options.plantedBugSkipChecksums === true;
    let recovery = recover(reader, options.identity, skipChecksums);
    if (recovery.kind === 'fresh') {
      carryOut(fs, recovery.findings);
      initialize(fs, options.identity, (options.syncMode?.kind ?? 'always') === 'always');
      const firstFindings = recovery.findings;
      recovery = recover(reader, options.identity, skipChecksums);
      assert(recovery.kind === 'recovered' && recovery.findings.length === 0, 'a new directory recovers cleanly');
      return new LogStorage(fs, options, { ...recovery, findings: [...earlier, ...firstFindings] });
    }
    carryOut(fs, recovery.findings);
    return new LogStorage(fs, options, { ...recovery, findings: [...earlier, ...recovery.findings] });
  }

  private constructor(private readonly fs: FileSystem, options: LogStorageOptions, recovered: Extract<ReturnType<typeof recover>, { kind: 'recovered' }>) {
    this.identity = options.identity;
    this.syncMode = options.syncMode ?? { kind: 'always' };
    this.syncer = this.syncMode.kind === 'always' ? options.backgroundSyncer ?? null : null;
    this.nowMs = options.nowMs ?? (() => 0);
    this.segmentBytesTarget = options.segmentBytesTarget ?? SEGMENT_BYTES_TARGET;
    assert(this.syncMode.kind !== 'batch' || (this.syncMode.intervalMs > 0 && options.nowMs !== undefined), 'batch mode needs a positive interval and a clock');
    assert(this.segmentBytesTarget > 0, 'segments have a positive size');
    this.findings = recovered.findings;
    const { state, syncPoint } = recovered;
    this.loaded = state;
    this.hardState = state.hardState;
    this.snapshotRef = syncPoint.snapshot;
    this.terms = storedEntryTerms(state.entries);
    this.syncSeq = syncPoint.syncSeq;
    this.lastCommit = syncPoint;
    this.durable = syncPoint;
    this.slotted = syncPoint;
    this.lastDurableMs = this.nowMs();
    this.segments = recovered.segments.map((s) => ({ ...s, file: null, dirty: false }));
    this.active.file = fs.open(segmentName(syncPoint.segmentSeq), 'existing');
    assert(this.active.file.size() === syncPoint.endOffset, 'recovery cut the active segment at the sync point');
    this.state = fs.open(STATE_FILE, 'existing');
    if (syncPoint.fsyncEach !== this.fsyncEach) {
      // The directory was written in another mode: a sync point of this mode, durable in both copies, before any write of
      // this mode follows (recovery reads the tail after the last sync point by the rule of that point's mode).
      this.writeCommit();
      this.makeDurable(true);
    } else if (recovered.slotBehind) {
      // The sync point recovery found may never have been fsynced: a process killed after its write and before the
      // fsync leaves it in the page cache, where recovery reads it. Durable before anything relies on it (a vote, an
      // acknowledgement), and before the slot names it.
      this.syncKeptFiles();
      // Re-establish both copies of the sync point (the slot is behind after every crash in 'always' mode).
      this.writeSlot(syncPoint);
    }
  }

  /** fsync of every kept segment and of the directory. */
  private syncKeptFiles(): void {
    for (const s of this.segments) {
      const file = s.file ?? this.fs.open(segmentName(s.seq), 'existing');
      file.sync();
      if (file !== s.file) file.close();
    }
    this.fs.syncDir();
  }

  /** Whether each sync point is made durable before the next write ('always' mode): SyncPoint.fsyncEach. */
  private get fsyncEach(): boolean {
    return this.syncMode.kind === 'always';
  }

  /** Opened with a REPAIR marker: keep the term and vote it remembers (the cleared log may have held newer ones). */
  private resumeRepair(repair: RepairState): void {
    this.repair = repair;
    const loaded = this.loaded!;
    if (loaded.hardState.term >= repair.hardState.term) return;
    const hardState = { term: repair.hardState.term, vote: repair.hardState.vote, commit: loaded.hardState.commit };
    this.saveHardState(hardState);
    this.writeCommit();
    this.makeDurable(true);
    this.loaded = { ...loaded, hardState };
  }

  /** The replica caught up from its peers (repair-gate.ts): the REPAIR marker goes, and a restart votes normally again. */
  repaired(): void {
    if (this.repair === null) return;
    // What the repair brought back must be durable, in both copies, before the marker that guards it goes.
    this.makeDurable(true);
    removeRepairMarker(this.fs);
    this.repair = null;
  }

  /** The synced state found on open. Raft loads it once, before writing anything. */
  load(): StoredRaftState {
    assert(this.loaded !== null, 'load() is for a starting replica: call it before the first write');
    return this.loaded;
  }

  saveHardState(hardState: HardState): void {
    this.beginWrite();
    assert(hardState.term >= this.hardState.term, 'the stored term never goes back');
    this.hardState = hardState;
    // Written with the next sync point, which carries the hard state.
    this.writtenSinceCommit = true;
  }

  appendEntries(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    this.beginWrite();
    const base = this.snapshotRef?.index ?? 0;
    const first = entries[0]!.index;
    assert(first > base, () => `entries from ${first} would overwrite the snapshot at ${base}`);
    assert(first - base - 1 <= this.terms.length, () => `entries from ${first} leave a gap after ${base + this.terms.length}`);
    const kept = first - base - 1;
    if (this.terms.length !== kept) this.terms.length = kept; // a conflict cut the tail (the usual append cuts nothing)
    for (const e of entries) this.terms.push(e.term);
    this.rollOverIfFull();
    let start = 0;
    while (start < entries.length) {
      this.writer.reset();
      let end = start;
      // Split so that no record's payload exceeds the limit recovery enforces.
      let bytes = 0;
      while (end < entries.length && (end === start || bytes + entries[end]!.data.length + 32 <= RECORD_PAYLOAD_BYTES_MAX - 64)) {
        assert(entries[end]!.data.length <= ENTRY_BYTES_MAX, () => `entry ${entries[end]!.index} is beyond ENTRY_BYTES_MAX`);
        bytes += entries[end]!.data.length + 32;
        end++;
      }
      encodeEntriesPayload(this.writer, start === 0 && end === entries.length ? entries : entries.slice(start, end));
      this.appendRecord(RecordType.ENTRIES, this.writer.bytes());
      start = end;
    }
    this.active.maxIndex = Math.max(this.active.maxIndex, entries[entries.length - 1]!.index);
  }

  /** Writes the snapshot file now (temp, fsync, rename); it is in force from the next sync point on. */
  saveSnapshot(snapshot: Snapshot): void {
    this.beginWrite();
    const base = this.snapshotRef?.index ?? 0;
    const { index, term } = snapshot.meta;
    if (index <= base) return;
    const covered = index - base;
    const keptTail = covered <= this.terms.length && this.terms[covered - 1] === term;
    const name = snapshotName(index);
    const temp = name + TEMP_SUFFIX;
    if (this.fs.list().includes(temp)) this.fs.unlink(temp);
    const file = this.fs.open(temp, 'create');
    for (const part of encodeSnapshotFile(this.identity, snapshot)) file.append(part);
    file.sync();
    file.close();
    this.fs.rename(temp, name);
    // Durable before any sync point can name it: a COMMIT record may reach the disk before its sync completes.
    this.fs.syncDir();
    if (this.snapshotRef) this.snapshotsObsolete.push(snapshotName(this.snapshotRef.index));
    this.snapshotRef = { index, term };
    this.terms = keptTail ? this.terms.slice(covered) : [];
    if (!keptTail) for (const s of this.segments) if (s !== this.active) s.maxIndex = 0;
    this.appendRecord(RecordType.SNAPSHOT_MARK, encodeSnapshotMarkPayload({ index, term, keptTail }));
  }

  /** Whether requestSync() may leave the fsync to the background (a syncer, in 'always' mode). */
  get syncsInBackground(): boolean {
    return this.syncer !== null;
  }

  /** Sync points up to this sequence are durable. */
  get durableSeq(): number {
    return this.durable.syncSeq;
  }

  /**
   * Group commit without waiting: a sync point for everything written so far,
   * made durable in the background when only the active segment's fsync is
   * left (else at once, as sync()). Returns the sync sequence that covers the
   * writes so far: they are durable once durableSeq reaches it (pollSync).
   */
  requestSync(): number {
    assert(!this.closed, 'requestSync() after close()');
    if (this.syncer === null) {
      this.sync();
      return this.syncSeq;
    }
    if (this.inFlight !== null) {
      // Written after the sync under way began: the next sync point, when it finishes.
      this.syncWanted = true;
      return this.inFlight.syncSeq + 1;
    }
    return this.startSync();
  }

  /** Takes note of a background sync that finished, and starts the one wanted since. True if durableSeq moved. */
  pollSync(): boolean {
    const before = this.durable.syncSeq;
    if (this.inFlight !== null) {
      if (!this.syncer!.finished()) return false;
      this.finishInFlight();
    }
    if (this.syncWanted) {
      this.syncWanted = false;
      this.startSync();
    }
    return this.durable.syncSeq !== before;
  }

  private startSync(): number {
    if (this.writtenSinceCommit) this.writeCommit();
    if (this.durable.syncSeq === this.syncSeq) return this.syncSeq;
    const onlyActive = !this.dirNeedsSync && this.segments.every((s) => !s.dirty || s === this.active);
    if (!onlyActive || this.slotMustFollow(this.lastCommit)) {
      this.makeDurable();
      return this.syncSeq;
    }
    this.inFlight = this.lastCommit;
    this.syncer!.start(this.active.file!);
    return this.syncSeq;
  }

  private finishInFlight(): void {
    this.durable = this.inFlight!;
    this.inFlight = null;
    // Records buffered meanwhile are not in the file yet: it holds nothing unsynced.
    this.active.dirty = this.unwrittenBytes > 0;
    this.lastDurableMs = this.nowMs();
  }

  /** A write or sync must happen now: the background sync under way finishes first (one write after the durable point). */
  private settleInFlight(): void {
    if (this.inFlight === null) return;
    this.syncer!.wait();
    this.finishInFlight();
  }

  /** Group commit: one sync point for everything written since the last one. */
  sync(): void {
    assert(!this.closed, 'sync() after close()');
    this.settleInFlight();
    if (this.writtenSinceCommit) this.writeCommit();
    if (this.syncMode.kind === 'always') this.makeDurable();
    else if (this.syncMode.kind === 'batch') this.flushIfDue();
  }

  /** In 'batch' mode: when the deadline below has passed, make every sync point so far durable. */
  flushIfDue(): void {
    const deadline = this.flushDeadlineMs();
    if (deadline !== null && this.nowMs() >= deadline) this.makeDurable();
  }

  /** When flushIfDue() has work to do ('batch' mode, sync points not yet durable), else null. */
  flushDeadlineMs(): number | null {
    if (this.syncMode.kind !== 'batch' || this.durable.syncSeq === this.syncSeq) return null;
    return this.lastDurableMs + this.syncMode.intervalMs;
  }

  /** Whether every sync point written is durable (always true in 'always' mode after sync()). */
  get flushed(): boolean {
    return this.durable.syncSeq === this.syncSeq;
  }

  /** Makes everything synced durable (every mode) and closes the files. Writes since the last sync() are dropped. */
  close(): void {
    if (this.closed) return;
    // Writes a background sync was asked for are kept too: a clean stop loses nothing requested.
    this.settleInFlight();
    if (this.syncWanted && this.writtenSinceCommit) this.writeCommit();
    this.syncWanted = false;
    // The slot too: a clean restart then finds both copies of the last sync point.
    this.makeDurable(true);
    for (const s of this.segments) s.file?.close();
    this.state.close();
    this.closed = true;
  }

  /** The segments kept, oldest first (for tests and metrics). */
  segmentSeqs(): number[] {
    return this.segments.map((s) => s.seq);
  }

  private get active(): OpenSegment {
    return this.segments[this.segments.length - 1]!;
  }

  private beginWrite(): void {
    assert(!this.closed, 'write after close()');
    this.loaded = null;
  }

  /** Where the active segment's next record goes: its size on file plus the records not yet written. */
  private activeEnd(): number {
    return this.active.file!.size() + this.unwrittenBytes;
  }

  private appendRecord(type: (typeof RecordType)[keyof typeof RecordType], payload: Uint8Array): void {
    this.reserveBegin();
    // encodeRecord frames into a reused scratch buffer: copy the record out before the next one.
    const record = encodeRecord(type, payload, this.activeEnd());
    const end = this.unwrittenBytes + record.length;
    if (end > this.unwritten.length) {
      const grown = new Uint8Array(Math.max(end, this.unwritten.length * 2));
      grown.set(this.unwritten.subarray(0, this.unwrittenBytes));
      this.unwritten = grown;
    }
    this.unwritten.set(record, this.unwrittenBytes);
    this.unwrittenBytes = end;
    this.active.dirty = true;
    this.writtenSinceCommit = true;
  }

  /** A write's first record is its BEGIN, filled in when the write's end is known (writeUnwritten). */
  private reserveBegin(): void {
    if (this.unwrittenBytes === 0) this.unwrittenBytes = BEGIN_RECORD_BYTES;
  }

  /** Hands the buffered records to the active segment in one write, behind the BEGIN record naming its end. */
  private writeUnwritten(): void {
    if (this.unwrittenBytes === 0) return;
    const file = this.active.file!;
    const end = file.size() + this.unwrittenBytes;
    const begin = encodeRecord(RecordType.BEGIN, encodeBeginPayload(this.writer, end), file.size());
    assert(begin.length === BEGIN_RECORD_BYTES, 'a BEGIN record has a fixed size');
    this.unwritten.set(begin, 0);
    file.append(this.unwritten.subarray(0, this.unwrittenBytes));
    this.unwrittenBytes = 0;
    // A large batch (a snapshot's worth of entries) does not keep its buffer size for good.
    if (this.unwritten.length > UNWRITTEN_BYTES_KEPT_MAX) this.unwritten = new Uint8Array(UNWRITTEN_BYTES_INITIAL);
    assert(file.size() === end, 'records are appended at the end of their segment');
  }

  private rollOverIfFull(): void {
    if (this.activeEnd() < this.segmentBytesTarget) return;
    this.settleInFlight();
    const seq = this.active.seq + 1;
    this.appendRecord(RecordType.SEAL, encodeSealPayload(seq));
    this.writeUnwritten();
    const file = this.fs.open(segmentName(seq), 'create');
    file.append(encodeSegmentHeader(this.identity, seq));
    this.segments.push({ seq, maxIndex: 0, file, dirty: true });
    this.dirNeedsSync = true;
  }

  private writeCommit(): void {
    assert(this.inFlight === null, 'nothing is written while a background sync is under way');
    this.syncSeq++;
    this.reserveBegin();
    const endOffset = this.activeEnd() + RECORD_HEADER_BYTES + SYNC_POINT_BYTES;
    this.lastCommit = this.syncPoint(endOffset);
    this.appendRecord(RecordType.COMMIT, encodeCommitPayload(this.lastCommit));
    this.writeUnwritten();
    assert(this.active.file!.size() === endOffset, 'a sync point names its own end');
    this.writtenSinceCommit = false;
  }

  private syncPoint(endOffset: number): SyncPoint {
    return {
      syncSeq: this.syncSeq, hardState: this.hardState, snapshot: this.snapshotRef,
      firstSegmentSeq: this.firstSegmentNeeded(), segmentSeq: this.active.seq, endOffset, fsyncEach: this.fsyncEach,
    };
  }

  /** The oldest segment holding an entry above the snapshot (the active one at the latest). */
  private firstSegmentNeeded(): number {
    const base = this.snapshotRef?.index ?? 0;
    let i = 0;
    while (i < this.segments.length - 1 && this.segments[i]!.maxIndex <= base) i++;
    return this.segments[i]!.seq;
  }

  /**
   * Steps 1-3 of the header comment; step 3 when the slot must follow (see
   * slotMustFollow) or `slotToo`. Then removal of what the slot's sync point
   * no longer needs.
   */
  private makeDurable(slotToo = false): void {
    this.settleInFlight();
    if (this.durable.syncSeq !== this.syncSeq) {
      if (this.dirNeedsSync) this.fs.syncDir();
      this.dirNeedsSync = false;
      for (const s of this.segments) {
        if (!s.dirty) continue;
        s.file!.sync();
        s.dirty = false;
        if (s !== this.active) {
          s.file!.close();
          s.file = null;
        }
      }
      this.durable = this.lastCommit;
      this.lastDurableMs = this.nowMs();
    }
    if (this.slotted.syncSeq === this.durable.syncSeq || !(slotToo || this.slotMustFollow())) return;
    this.writeSlot(this.durable);
    this.removeObsolete();
  }

  /**
   * Whether the durable sync point must go into the state slot now. Always
   * outside 'always' mode (the slot is what marks a flush there). In
   * 'always' mode only when the sync point moved to another segment (then a
   * tail cut at a later segment's start is never an acknowledged sync: the
   * slot names one there), or names another first segment or snapshot (what
   * is removed next is removed only once the slot no longer needs it), or
   * holds another term or vote. Those change only at elections, and must
   * never have a single copy: damage at rest to the log's last COMMIT record
   * (or to any record before it, which ends the scan) would make the replica
   * forget its vote, and a replica repairing with no term known acknowledges
   * a deposed leader's entries against a commit it helped make (sim seed 94
   * after the read-context change: entry 1 committed twice).
   */
  private slotMustFollow(now: SyncPoint = this.durable): boolean {
    const slot = this.slotted;
    return !now.fsyncEach || now.segmentSeq !== slot.segmentSeq || now.firstSegmentSeq !== slot.firstSegmentSeq
      || now.snapshot?.index !== slot.snapshot?.index
      || now.hardState.term !== slot.hardState.term || now.hardState.vote !== slot.hardState.vote;
  }

  private writeSlot(point: SyncPoint): void {
    this.state.pwrite(slotOffset(point.syncSeq), encodeSlot(this.identity, point));
    this.state.sync();
    this.slotted = point;
  }

  private removeObsolete(): void {
    while (this.segments.length > 1 && this.segments[0]!.seq < this.slotted.firstSegmentSeq) {
      const s = this.segments.shift()!;
      s.file?.close();
      this.fs.unlink(segmentName(s.seq));
    }
    // A snapshot stays while the durable sync point names it, even if a newer one was saved since.
    if (this.snapshotsObsolete.length === 0) return; // the usual sync: no name to build, no list to filter
    const inForce = this.slotted.snapshot ? snapshotName(this.slotted.snapshot.index) : null;
    for (const name of this.snapshotsObsolete) if (name !== inForce) this.fs.unlink(name);
    this.snapshotsObsolete = this.snapshotsObsolete.filter((name) => name === inForce);
  }
}

function readWhole(fs: FileSystem, name: string): Uint8Array {
  const file = fs.open(name, 'existing');
  try {
    return readAll(file);
  } finally {
    file.close();
  }
}

function carryOut(fs: FileSystem, findings: readonly RecoveryFinding[]): void {
  let removed = false;
  for (const f of findings) {
    if (f.action === 'removed') {
      fs.unlink(f.file);
      removed = true;
    } else {
      const file = fs.open(f.file, 'existing');
      file.truncate(f.offset);
      file.sync();
      file.close();
    }
  }
  if (removed) fs.syncDir();
}

/** A new directory: segment 1 with a first sync point, then the state file, renamed into place last. */
function initialize(fs: FileSystem, identity: StorageIdentity, fsyncEach: boolean): void {
  const segment = fs.open(segmentName(1), 'create');
  segment.append(encodeSegmentHeader(identity, 1));
  const point = firstSyncPoint(segment.size() + RECORD_HEADER_BYTES + SYNC_POINT_BYTES, fsyncEach);
  segment.append(encodeRecord(RecordType.COMMIT, encodeCommitPayload(point), segment.size()));
  segment.sync();
  segment.close();
  const temp = STATE_FILE + TEMP_SUFFIX;
  const state = fs.open(temp, 'create');
  const bytes = new Uint8Array(STATE_FILE_BYTES);
  bytes.set(encodeSlot(identity, point), slotOffset(point.syncSeq));
  // Both slots hold a copy from the start (the other as sync 0), so one damaged slot never leaves the file
  // without a valid sync point, even before the first real sync rewrites the other slot.
  bytes.set(encodeSlot(identity, { ...point, syncSeq: point.syncSeq - 1 }), slotOffset(point.syncSeq - 1));
  state.append(bytes);
  state.sync();
  state.close();
  fs.rename(temp, STATE_FILE);
  fs.syncDir();
}

function firstSyncPoint(endOffset: number, fsyncEach: boolean): SyncPoint {
  return { syncSeq: 1, hardState: EMPTY_HARD_STATE, snapshot: null, firstSegmentSeq: 1, segmentSeq: 1, endOffset, fsyncEach };
}

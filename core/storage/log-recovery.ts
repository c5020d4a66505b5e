// Recovery: from the files of a data directory to the state Raft loads, and
// the repairs that make the directory match it. Pure: it reads through a
// callback and returns a plan; log-storage.ts carries the plan out.
//
// The rule that decides between "torn tail" and "corruption" is the sync
// point. Every sync writes a COMMIT record at the end of the log; the state
// file's slot holds a sync point too (every flush in 'batch' and 'never'
// modes; in 'always' mode at rollover, snapshot, open and close: the usual
// sync is one fdatasync, of the log). Recovery takes the newest valid COMMIT
// the log reaches, and:
// - everything in the log up to that COMMIT record was durable: a record
//   there that is damaged, missing or unreadable refuses the open
//   (StorageError 'corrupt', with file and offset), never treated as absent;
//   so does a state slot naming a later sync point than the log reaches;
// - after it, in 'always' mode, comes at most one write (the next sync's,
//   fdatasynced before any later write began): torn by a crash, it ends
//   before its BEGIN record says (the file is shorter), and is cut off; whole
//   on disk, it may have been acknowledged, so damage inside it, or to its
//   BEGIN, is refused (checkTail);
// - in 'batch' and 'never' modes several unsynced writes may follow, torn
//   or lost in any order; the state slot marks what was durable, and
//   everything after the last COMMIT is cut off and reported.
// A single damaged copy (a torn or flipped state slot, a flipped COMMIT
// record) is covered by the other or by the BEGIN record.

import { assert } from '../assert.js';
import type { HardState, Snapshot } from '../raft/raft-types.js';
import type { StoredRaftState } from '../raft/raft-storage.js';
import { PackedEntries } from '../raft/packed-entries.js';
import { StorageIoError } from './file-system.js';
import { beginEndAt, BEGIN_RECORD_BYTES, parseSegmentName, RecordType, scanSegment, segmentName, type StorageIdentity } from './log-format.js';
import {
  decodeCommitPayload, decodeEntriesInto, decodeSealPayload, entriesRecordHead, decodeSnapshotMarkPayload, type SyncPoint,
} from './log-records.js';
import { parseSnapshotName, snapshotName, TEMP_SUFFIX, decodeSnapshotFile } from './snapshot-file.js';
import { decodeSlot, STATE_FILE } from './state-slots.js';
import { StorageError, type RecoveryFinding } from './storage-errors.js';
import { SEGMENT_HEADER_BYTES, STATE_SLOT_BYTES, STORAGE_FORMAT_VERSION } from './storage-limits.js';

/** What recovery may look at: the directory's names and whole files. */
export interface RecoveryReader {
  list(): string[];
  /** The file's bytes; may throw StorageIoError. */
  read(name: string): Uint8Array;
}

/** A segment kept after recovery, and the highest entry index written in it (0 for none). */
export interface SegmentInfo {
  readonly seq: number;
  maxIndex: number;
}

export type Recovery =
  | { readonly kind: 'fresh'; readonly findings: RecoveryFinding[] }
  | {
    readonly kind: 'recovered';
    readonly state: StoredRaftState;
    readonly syncPoint: SyncPoint;
    /** Kept segments, oldest first; the last is where appending continues, at syncPoint.endOffset. */
    readonly segments: SegmentInfo[];
    /** Repairs to carry out: cut the unsynced tail, remove unsynced and obsolete files. */
    readonly findings: RecoveryFinding[];
    /** Whether the state file's newest slot is behind the sync point (rewrite it). */
    readonly slotBehind: boolean;
  };

interface ScannedLog {
  /** Records in log order, each with its segment. */
  records: { seq: number; type: number; payload: Uint8Array; start: number; end: number }[];
  /** Index into `records` of the last COMMIT, or -1. */
  lastCommit: number;
  /** Where the valid log ends and why; null if it ends cleanly. */
  stop: { file: string; offset: number; reason: string } | null;
  /** The end of the last file scanned. */
  end: { file: string; offset: number; reason: string };
  sizes: Map<number, number>;
  /** The bytes of each segment scanned (checkTail reads the last one's BEGIN). */
  files: Map<number, Uint8Array>;
}

/** `plantedBugSkipChecksums`: the simulator's mutation tests only (log-format.ts scanSegment). */
export function recover(reader: RecoveryReader, identity: StorageIdentity, plantedBugSkipChecksums = false): Recovery {
  const names = reader.list();
  const segmentSeqs = names.map(parseSegmentName).filter((s): s is number => s !== null).sort((a, b) => a - b);
  if (!names.includes(STATE_FILE)) return recoverWithoutState(reader, names, segmentSeqs);
  const stateBytes = readOrRefuse(reader, STATE_FILE);
  const slotBest = bestSlot(stateBytes, identity);

  // Segments the newest sync point no longer needed may be gone even if its slot is the damaged one.
  const scanStart = Math.max(slotBest.firstSegmentSeq, segmentSeqs[0] ?? slotBest.firstSegmentSeq);
  const log = scanLog(reader, identity, new Set(segmentSeqs), scanStart, plantedBugSkipChecksums);
  const commit = log.lastCommit >= 0 ? decodeRecord(log, log.lastCommit, decodeCommitPayload) : null;
  if (!commit || commit.syncSeq < slotBest.syncSeq) {
    const where = log.stop ?? log.end;
    throw new StorageError('corrupt', where.file, where.offset,
      `${where.reason}; the state file says sync ${slotBest.syncSeq} reached ${segmentName(slotBest.segmentSeq)} offset ${slotBest.endOffset}, so acknowledged data is damaged`);
  }
  const syncPoint = commit;
  const commitRecord = log.records[log.lastCommit]!;
  if (syncPoint.segmentSeq !== commitRecord.seq || syncPoint.endOffset !== commitRecord.end) {
    throw new StorageError('corrupt', segmentName(commitRecord.seq), commitRecord.start, 'a sync point that does not name its own place');
  }

  if (syncPoint.fsyncEach) checkTail(log, syncPoint);
  if (scanStart > syncPoint.firstSegmentSeq) {
    throw new StorageError('corrupt', segmentName(syncPoint.firstSegmentSeq), 0, `the segment file is missing; sync ${syncPoint.syncSeq} needs segments from it on`);
  }
  const findings = plannedRepairs(names, segmentSeqs, syncPoint, log);
  const snapshot = syncPoint.snapshot ? loadSnapshot(reader, identity, syncPoint.snapshot) : null;
  const { entries, segments } = replay(log, log.lastCommit, snapshot, syncPoint);
  return {
    kind: 'recovered', state: { hardState: syncPoint.hardState, snapshot, entries }, syncPoint,
    segments, findings, slotBehind: slotBest.syncSeq < syncPoint.syncSeq,
  };
}

/**
 * The newest hard state anything in the directory still shows: the state
 * slots and every COMMIT record that passes its checksum in any segment
 * (each segment scanned up to its first damage), the one of the highest
 * sync sequence; null when none is readable. What a replica clearing its
 * damaged directory keeps (repair-marker.ts): one misdirected write can
 * spoil both state slots (they are neighbours) or leave a stale one
 * standing, while the COMMIT record of the same sync, in the log, is
 * whole. A COMMIT from a sync that never completed is newer than any vote
 * or term that left this replica: remembering it is only cautious.
 */
export function persistedHardState(reader: RecoveryReader, identity: StorageIdentity): HardState | null {
  let best: SyncPoint | null = null;
  const consider = (point: SyncPoint): void => {
    if (best === null || point.syncSeq > best.syncSeq) best = point;
  };
  try {
    if (reader.list().includes(STATE_FILE)) consider(bestSlot(reader.read(STATE_FILE), identity));
  } catch (e) {
    if (!(e instanceof StorageError || e instanceof StorageIoError)) throw e;
  }
  for (const name of reader.list()) {
    const seq = parseSegmentName(name);
    if (seq === null) continue;
    try {
      for (const r of scanSegment(name, reader.read(name), identity, seq).records) {
        if (r.type === RecordType.COMMIT) consider(decodeCommitPayload(r.payload));
      }
    } catch (e) {
      // Unreadable, not ours, or a malformed record that passed its checksum: this file tells nothing more.
      if (!(e instanceof StorageError || e instanceof StorageIoError || e instanceof RangeError)) throw e;
    }
  }
  return (best as SyncPoint | null)?.hardState ?? null;
}

/** The newest valid slot of the state file; throws when there is none. */
function bestSlot(stateBytes: Uint8Array, identity: StorageIdentity): SyncPoint {
  let best: SyncPoint | null = null;
  let unknownVersion: number | null = null;
  for (const offset of [0, STATE_SLOT_BYTES]) {
    const slot = decodeSlot(stateBytes, offset, identity);
    if (slot.kind === 'valid' && (!best || slot.point.syncSeq > best.syncSeq)) best = slot.point;
    if (slot.kind === 'unknownVersion') unknownVersion = slot.version;
  }
  if (best) return best;
  if (unknownVersion !== null) {
    throw new StorageError('format', STATE_FILE, 4, `format version ${unknownVersion}; this build reads only version ${STORAGE_FORMAT_VERSION}`);
  }
  throw new StorageError('corrupt', STATE_FILE, 0, 'both state slots are damaged');
}

/** A first open writes a segment header and one COMMIT record (well under this) before the state file. */
const FIRST_OPEN_SEGMENT_BYTES_MAX = SEGMENT_HEADER_BYTES + 256;

/** No state file: a directory never opened, or one whose first open crashed before the state file was renamed into place. */
function recoverWithoutState(reader: RecoveryReader, names: string[], segmentSeqs: number[]): Recovery {
  const findings: RecoveryFinding[] = [];
  for (const seq of segmentSeqs) {
    const name = segmentName(seq);
    const size = readOrRefuse(reader, name).length;
    if (seq !== 1 || size > FIRST_OPEN_SEGMENT_BYTES_MAX) {
      throw new StorageError('corrupt', STATE_FILE, 0, `the state file is missing but ${name} holds a log`);
    }
    findings.push({ action: 'removed', file: name, offset: 0, bytes: size, reason: 'left by a first open that did not finish' });
  }
  if (names.some((n) => parseSnapshotName(n) !== null)) {
    throw new StorageError('corrupt', STATE_FILE, 0, 'the state file is missing but the directory holds a snapshot');
  }
  for (const name of names) {
    if (name.endsWith(TEMP_SUFFIX)) findings.push({ action: 'removed', file: name, offset: 0, bytes: 0, reason: 'a temporary file' });
  }
  return { kind: 'fresh', findings };
}

function readOrRefuse(reader: RecoveryReader, name: string): Uint8Array {
  try {
    return reader.read(name);
  } catch (e) {
    // An unreadable range is not "never written": it may hold acknowledged data.
    if (e instanceof StorageIoError) throw new StorageError('corrupt', name, e.offset, `unreadable: ${e.message}`);
    throw e;
  }
}

/** Scans segments from `firstSeq` on, following seals, until the valid log ends. */
function scanLog(reader: RecoveryReader, identity: StorageIdentity, present: Set<number>, firstSeq: number, skipChecksums: boolean): ScannedLog {
  const log: ScannedLog = {
    records: [], lastCommit: -1, stop: null, end: { file: segmentName(firstSeq), offset: 0, reason: 'no log' }, sizes: new Map(), files: new Map(),
  };
  for (let seq = firstSeq; ; seq++) {
    const name = segmentName(seq);
    if (!present.has(seq)) {
      log.stop = { file: name, offset: 0, reason: 'the segment file is missing' };
      return log;
    }
    const bytes = readOrRefuse(reader, name);
    log.sizes.set(seq, bytes.length);
    log.files.set(seq, bytes);
    log.end = { file: name, offset: bytes.length, reason: 'the log ends early' };
    const scan = scanSegment(name, bytes, identity, seq, skipChecksums);
    let sealedTo: number | null = null;
    for (const r of scan.records) {
      if (sealedTo !== null) {
        log.stop = { file: name, offset: r.start, reason: 'records after the segment seal' };
        return log;
      }
      if (r.type < RecordType.ENTRIES || r.type > RecordType.BEGIN) {
        throw new StorageError('corrupt', name, r.start, `unknown record type ${r.type} with a valid checksum`);
      }
      log.records.push({ seq, ...r });
      if (r.type === RecordType.COMMIT) log.lastCommit = log.records.length - 1;
      if (r.type === RecordType.SEAL) sealedTo = decodeRecord(log, log.records.length - 1, decodeSealPayload);
    }
    if (scan.stop) {
      log.stop = { file: name, ...scan.stop };
      return log;
    }
    if (sealedTo === null) return log;
    if (sealedTo !== seq + 1) throw new StorageError('corrupt', name, log.records[log.records.length - 1]!.start, `a seal naming segment ${sealedTo}`);
  }
}

/**
 * The log after a sync point written in 'always' mode: at most one write
 * follows it in its segment (the next sync's, or a rollover's), begun only
 * after the sync point was durable. A crash tears that write: what persists
 * is a prefix, so the file ends before the end its BEGIN record names (or
 * inside the BEGIN itself); cut off. A write whose bytes are all there
 * reached the disk whole, and its sync may have returned and been
 * acknowledged: a damaged BEGIN, or a damaged record before the end the
 * BEGIN names, is refused as corruption, never cut off as a torn tail.
 * A stop in a later segment is left to the state slot: the first sync
 * point made durable in a segment is written into the slot (LogStorage).
 */
function checkTail(log: ScannedLog, point: SyncPoint): void {
  const stop = log.stop;
  if (stop === null || stop.file !== segmentName(point.segmentSeq)) return;
  const bytes = log.files.get(point.segmentSeq)!;
  const start = point.endOffset;
  if (bytes.length < start + BEGIN_RECORD_BYTES) return; // torn inside the BEGIN, or nothing written after the sync point
  const end = beginEndAt(bytes, start);
  if (end === null) {
    throw new StorageError('corrupt', stop.file, start,
      `the write after sync ${point.syncSeq} is whole on disk but its BEGIN record is damaged; its sync may have been acknowledged`);
  }
  if (end > bytes.length || stop.offset >= end) return; // torn: a prefix of the write persisted
  throw new StorageError('corrupt', stop.file, stop.offset,
    `${stop.reason}, inside the write from offset ${start} to ${end} after sync ${point.syncSeq}, which is whole on disk: its sync may have been acknowledged`);
}

function decodeRecord<T>(log: ScannedLog, i: number, decode: (payload: Uint8Array) => T): T {
  const r = log.records[i]!;
  try {
    return decode(r.payload);
  } catch (e) {
    // The checksum passed, so this is not a torn write: refuse rather than guess.
    if (e instanceof RangeError) throw new StorageError('corrupt', segmentName(r.seq), r.start, `malformed record: ${e.message}`);
    throw e;
  }
}

/** Cut the tail after the sync point; remove segments after it, segments before the first needed, stray snapshots and temp files. */
function plannedRepairs(names: string[], segmentSeqs: number[], point: SyncPoint, log: ScannedLog): RecoveryFinding[] {
  const findings: RecoveryFinding[] = [];
  const activeName = segmentName(point.segmentSeq);
  const activeSize = log.sizes.get(point.segmentSeq)!;
  if (activeSize > point.endOffset) {
    const stopHere = log.stop && log.stop.file === activeName ? `; the valid records end at offset ${log.stop.offset}: ${log.stop.reason}` : '';
    findings.push({
      action: 'truncated', file: activeName, offset: point.endOffset, bytes: activeSize - point.endOffset,
      reason: `written after the last sync point, never acknowledged${stopHere}`,
    });
  }
  for (const seq of segmentSeqs) {
    const name = segmentName(seq);
    if (seq > point.segmentSeq) findings.push({ action: 'removed', file: name, offset: 0, bytes: log.sizes.get(seq) ?? 0, reason: 'created after the last sync point' });
    if (seq < point.firstSegmentSeq) findings.push({ action: 'removed', file: name, offset: 0, bytes: log.sizes.get(seq) ?? 0, reason: 'covered by the snapshot' });
  }
  const keep = point.snapshot ? snapshotName(point.snapshot.index) : null;
  for (const name of names) {
    const isSnapshot = parseSnapshotName(name) !== null;
    if ((isSnapshot && name !== keep) || name.endsWith(TEMP_SUFFIX)) {
      findings.push({ action: 'removed', file: name, offset: 0, bytes: 0, reason: isSnapshot ? 'not the snapshot in force' : 'a temporary file' });
    }
  }
  return findings;
}

function loadSnapshot(reader: RecoveryReader, identity: StorageIdentity, ref: { index: number; term: number }): Snapshot {
  const name = snapshotName(ref.index);
  if (!reader.list().includes(name)) throw new StorageError('corrupt', name, 0, 'the snapshot in force is missing');
  const snapshot = decodeSnapshotFile(name, readOrRefuse(reader, name), identity);
  if (snapshot.meta.index !== ref.index || snapshot.meta.term !== ref.term) {
    throw new StorageError('corrupt', name, 16, `holds index ${snapshot.meta.index} term ${snapshot.meta.term}, the sync point says ${ref.index} term ${ref.term}`);
  }
  return snapshot;
}

/** `run` without its entries at or below `index`; emptied, a fresh run that continues at index + 1 (holding no buffers). */
function dropThrough(run: PackedEntries, index: number): PackedEntries {
  if (index < run.first) return run;
  run.dropFront(Math.min(run.length, index - run.first + 1));
  return run.length > 0 ? run : new PackedEntries(index + 1);
}

/**
 * Replays the log's records up to the sync point onto a run of entries.
 * Segments wholly covered by an older snapshot may already be deleted, so
 * the run may start anywhere; that is sound because a segment is deleted
 * only when every entry it holds is at or below the snapshot in force, and
 * snapshot marks say themselves whether they kept the tail.
 */
function replay(log: ScannedLog, last: number, snapshot: Snapshot | null, point: SyncPoint): { entries: PackedEntries; segments: SegmentInfo[] } {
  const base = snapshot?.meta.index ?? 0;
  // Packed (packed-entries.ts): the entries live from here until Raft applies them, and an object and a view each was
  // most of the collector's work through a restart.
  let run = new PackedEntries(0);
  const segments = new Map<number, SegmentInfo>();
  for (let seq = point.firstSegmentSeq; seq <= point.segmentSeq; seq++) segments.set(seq, { seq, maxIndex: 0 });
  for (let i = 0; i <= last; i++) {
    const record = log.records[i]!;
    if (record.type === RecordType.ENTRIES) {
      // Entries the snapshot covers are checked, not given their data: the run drops them below.
      const count = decodeRecord(log, i, (payload) => {
        const { first, count } = entriesRecordHead(payload);
        if (count === 0) {
          // Never written (a record holds at least one entry), but checksummed: checked, and it empties the run as before.
          decodeEntriesInto(payload, base, new PackedEntries(first));
          run = new PackedEntries(0);
          return 0;
        }
        if (run.length === 0 || first < run.first || first > run.first + run.length) run = new PackedEntries(first);
        else run.truncate(first - run.first);
        return decodeEntriesInto(payload, base, run);
      });
      const info = segments.get(record.seq);
      if (info && count > 0) info.maxIndex = Math.max(info.maxIndex, run.first + run.length - 1);
    } else if (record.type === RecordType.SNAPSHOT_MARK) {
      const mark = decodeRecord(log, i, decodeSnapshotMarkPayload);
      if (!mark.keptTail) {
        run = new PackedEntries(mark.index + 1);
        for (const info of segments.values()) if (info.seq !== record.seq) info.maxIndex = 0;
      } else {
        run = dropThrough(run, mark.index);
      }
    }
  }
  run = dropThrough(run, base);
  if (run.length > 0 && run.first !== base + 1) {
    throw new StorageError('corrupt', segmentName(point.firstSegmentSeq), 0, `the log resumes at index ${run.first}, the snapshot ends at ${base}`);
  }
  if (run.length === 0) run = new PackedEntries(base + 1);
  assert(run.first === base + 1, 'an entry the snapshot covers outlived the cut at the snapshot');
  return { entries: run, segments: [...segments.values()] };
}

// The storage engine on real files in a temporary directory: round trip,
// the directory lock against a second process (a child holding it, then
// killed), refusal of another node's or another format's directory,
// snapshots replacing the old one and removing covered segments, and the
// fsync calls themselves (seen through a spying FileSystem), per sync mode.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Entry, Snapshot } from '../../core/raft/raft-types.js';
import type { FileSystem, StorageFile } from '../../core/storage/file-system.js';
import { LogStorage, type SyncMode } from '../../core/storage/log-storage.js';
import { STATE_SLOT_BYTES, STORAGE_FORMAT_VERSION } from '../../core/storage/storage-limits.js';
import { StorageError } from '../../core/storage/storage-errors.js';
import { LOCK_FILE } from '../../runtime-node/storage/dir-lock.js';
import { FileRaftStorage } from '../../runtime-node/storage/file-raft-storage.js';
import { NodeFileSystem } from '../../runtime-node/storage/node-file-system.js';
import { REPO_ROOT } from '../e2e/spawn-node.js';
import { storedEntryArray } from '../../core/raft/packed-entries.js';

const IDENTITY = { nodeId: 1, groupId: 0 };
/** Bound on how long the child holding the lock may take to start. */
const CHILD_START_TIMEOUT_MS = 15_000;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'piccolo-storage-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function entries(first: number, count: number, term: number, bytes = 20): Entry[] {
  return Array.from({ length: count }, (_, i) => ({ index: first + i, term, kind: 'normal', data: new Uint8Array(bytes).fill((first + i) & 0xff) }));
}

function snapshotAt(index: number, term: number): Snapshot {
  return { meta: { index, term, membership: { voters: [1], learners: [] } }, data: new TextEncoder().encode(`state at ${index}`) };
}

describe('file-backed storage on real files', () => {
  it('keeps what was synced across close and reopen', () => {
    const a = FileRaftStorage.open({ dir, identity: IDENTITY });
    expect(storedEntryArray(a.load().entries)).toEqual([]);
    a.saveHardState({ term: 2, vote: 1, commit: 3 });
    a.appendEntries(entries(1, 5, 2));
    a.sync();
    a.appendEntries(entries(6, 1, 2)); // never synced: buffered, so it never reaches the file
    a.close();
    const b = FileRaftStorage.open({ dir, identity: IDENTITY });
    const state = b.load();
    expect(state.hardState).toEqual({ term: 2, vote: 1, commit: 3 });
    expect(storedEntryArray(state.entries)).toEqual(entries(1, 5, 2));
    expect(b.findings).toEqual([]);
    b.close();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it('refuses a directory locked by a live process, and takes over the lock once it is killed', async () => {
    const module = join(REPO_ROOT, 'dist/runtime-node/storage/file-raft-storage.js');
    expect(existsSync(module), 'run `npm run build` first').toBe(true);
    const script = `const { FileRaftStorage } = await import(${JSON.stringify(module)});
      FileRaftStorage.open({ dir: ${JSON.stringify(dir)}, identity: { nodeId: 1, groupId: 0 } });
      process.stdout.write('ready\\n'); setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script]);
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the child did not take the lock')), CHILD_START_TIMEOUT_MS);
        child.stdout.on('data', (d: Buffer) => { if (d.toString().includes('ready')) { clearTimeout(timer); resolve(); } });
        child.on('exit', (code) => reject(new Error(`the child exited with ${code}`)));
      });
      expect(readFileSync(join(dir, LOCK_FILE), 'utf8').trim()).toBe(String(child.pid));
      const refused = catchStorageError(() => FileRaftStorage.open({ dir, identity: IDENTITY }));
      expect(refused.kind).toBe('locked');
      expect(refused.message).toContain(`process ${child.pid}`);
    } finally {
      const exited = new Promise((resolve) => child.on('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    const after = FileRaftStorage.open({ dir, identity: IDENTITY });
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8').trim()).toBe(String(process.pid));
    after.close();
  });

  it('takes over a lock whose owner was killed but not yet reaped (a zombie holds no file)', async () => {
    // A background child that exits after the shell has exec'd into `sleep 3`, which never waits for it: a zombie.
    // (`sleep 0 &` raced: a child that ended before the exec was sometimes reaped by the shell itself.)
    const parent = spawn('sh', ['-c', 'sleep 0.5 & echo $!; exec sleep 5']);
    try {
      const zombie = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no pid from the shell')), CHILD_START_TIMEOUT_MS);
        parent.stdout.once('data', (d: Buffer) => { clearTimeout(timer); resolve(Number(d.toString().trim())); });
      });
      const deadline = Date.now() + CHILD_START_TIMEOUT_MS;
      const state = (): string => {
        const stat = readFileSync(`/proc/${zombie}/stat`, 'utf8');
        return stat.slice(stat.lastIndexOf(')') + 2)[0]!;
      };
      while (state() !== 'Z' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(state()).toBe('Z');
      process.kill(zombie, 0); // still answers signal 0: what made the lock look held
      writeFileSync(join(dir, LOCK_FILE), `${zombie}\n`);
      const storage = FileRaftStorage.open({ dir, identity: IDENTITY });
      expect(readFileSync(join(dir, LOCK_FILE), 'utf8').trim()).toBe(String(process.pid));
      storage.close();
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('refuses a directory written by another node id or group', () => {
    FileRaftStorage.open({ dir, identity: IDENTITY }).close();
    for (const identity of [{ nodeId: 2, groupId: 0 }, { nodeId: 1, groupId: 5 }]) {
      const error = catchStorageError(() => FileRaftStorage.open({ dir, identity }));
      expect(error.kind).toBe('identity');
      expect(error.file).toBe('state');
      expect(error.message).toContain('written by node 1 group 0');
    }
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it.each([STORAGE_FORMAT_VERSION - 1, STORAGE_FORMAT_VERSION + 1])('refuses a directory of another format version (%i)', (version) => {
    FileRaftStorage.open({ dir, identity: IDENTITY }).close();
    const state = readFileSync(join(dir, 'state'));
    for (const slot of [0, STATE_SLOT_BYTES]) state.writeUInt16LE(version, slot + 4);
    writeFileSync(join(dir, 'state'), state);
    const error = catchStorageError(() => FileRaftStorage.open({ dir, identity: IDENTITY }));
    expect(error.kind).toBe('format');
    expect(error.message).toContain(`format version ${version}; this build reads only version ${STORAGE_FORMAT_VERSION}`);
  });

  it('replaces the snapshot and removes the segments it covers', () => {
    const s = FileRaftStorage.open({ dir, identity: IDENTITY, segmentBytesTarget: 400 });
    for (let i = 0; i < 10; i++) {
      s.appendEntries(entries(1 + i * 5, 5, 1));
      s.sync();
    }
    const segmentsBefore = readdirSync(dir).filter((n) => n.endsWith('.seg'));
    expect(segmentsBefore.length).toBeGreaterThan(3);
    s.saveSnapshot(snapshotAt(30, 1));
    s.sync();
    s.saveSnapshot(snapshotAt(45, 1));
    s.sync();
    const files = readdirSync(dir);
    expect(files.filter((n) => n.endsWith('.snap'))).toEqual(['snapshot-00000000000000000045.snap']);
    const segmentsAfter = files.filter((n) => n.endsWith('.seg'));
    expect(segmentsAfter.length).toBeLessThan(segmentsBefore.length);
    expect(segmentsAfter).toContain(segmentsBefore[segmentsBefore.length - 1]);
    expect(files.some((n) => n.endsWith('.tmp'))).toBe(false);
    s.close();
    const reopened = FileRaftStorage.open({ dir, identity: IDENTITY, segmentBytesTarget: 400 });
    const state = reopened.load();
    expect(state.snapshot?.meta.index).toBe(45);
    expect(storedEntryArray(state.entries)).toEqual(entries(46, 5, 1));
    reopened.close();
  });
});

/** A FileSystem that counts the calls that make things durable. */
class SpyFileSystem implements FileSystem {
  readonly counts = { syncDir: 0, fsync: 0, rename: 0, write: 0 };
  constructor(private readonly inner: FileSystem) {}
  list(): string[] { return this.inner.list(); }
  rename(from: string, to: string): void { this.counts.rename++; this.inner.rename(from, to); }
  unlink(name: string): void { this.inner.unlink(name); }
  syncDir(): void { this.counts.syncDir++; this.inner.syncDir(); }
  open(name: string, mode: 'existing' | 'create'): StorageFile {
    return new SpyFile(this.inner.open(name, mode), this.counts);
  }
}

class SpyFile implements StorageFile {
  constructor(private readonly inner: StorageFile, private readonly counts: { fsync: number; write: number }) {}
  get name(): string { return this.inner.name; }
  size(): number { return this.inner.size(); }
  read(offset: number, length: number): Uint8Array { return this.inner.read(offset, length); }
  append(bytes: Uint8Array): void { this.counts.write++; this.inner.append(bytes); }
  pwrite(offset: number, bytes: Uint8Array): void { this.counts.write++; this.inner.pwrite(offset, bytes); }
  truncate(size: number): void { this.inner.truncate(size); }
  sync(): void { this.counts.fsync++; this.inner.sync(); }
  close(): void { this.inner.close(); }
}

describe('the fsync calls, per sync mode', () => {
  function openSpied(syncMode: SyncMode, clock = { nowMs: 0 }, segmentBytesTarget?: number): { storage: LogStorage; spy: SpyFileSystem } {
    const spy = new SpyFileSystem(new NodeFileSystem(dir));
    const storage = LogStorage.open(spy, { identity: IDENTITY, syncMode, nowMs: () => clock.nowMs, segmentBytesTarget });
    return { storage, spy };
  }

  it("'always': each sync is one write and one fsync, of the log; the state file too at a new term or vote and at a rollover, with the directory", () => {
    const { storage, spy } = openSpied({ kind: 'always' }, undefined, 500);
    expect(spy.counts.syncDir).toBe(1); // the state file renamed into place
    const before = { ...spy.counts };
    storage.appendEntries(entries(1, 3, 1));
    storage.saveHardState({ term: 1, vote: 1, commit: 0 });
    expect(spy.counts.write - before.write).toBe(0); // records wait in memory for the sync
    storage.sync();
    // A new term and vote: the log (BEGIN, records, COMMIT in one write), then the state slot, a second copy of the vote.
    expect(spy.counts.fsync - before.fsync).toBe(2);
    expect(spy.counts.write - before.write).toBe(2);
    expect(spy.counts.syncDir).toBe(before.syncDir);
    const sameTerm = { ...spy.counts };
    storage.appendEntries(entries(4, 3, 1));
    storage.saveHardState({ term: 1, vote: 1, commit: 2 }); // the commit index alone: no slot
    storage.sync();
    expect(spy.counts.fsync - sameTerm.fsync).toBe(1);
    expect(spy.counts.write - sameTerm.write).toBe(1);
    storage.sync(); // nothing new: nothing to do
    expect(spy.counts.fsync - sameTerm.fsync).toBe(1);
    storage.saveHardState({ term: 2, vote: 1, commit: 2 }); // a new term alone: the log and the slot
    storage.sync();
    expect(spy.counts.fsync - sameTerm.fsync).toBe(3);
    expect(spy.counts.write - sameTerm.write).toBe(3);
    // Fill the segment so the next append rolls over to a new file: the directory is synced, both segments, and the
    // state slot (which then names a sync point in the new segment).
    const segmentsBefore = storage.segmentSeqs().length;
    storage.appendEntries(entries(7, 10, 2, 40));
    storage.appendEntries(entries(17, 1, 2));
    const created = storage.segmentSeqs().length - segmentsBefore;
    expect(created).toBeGreaterThan(0);
    const atRollover = { ...spy.counts };
    storage.sync();
    expect(spy.counts.syncDir).toBe(before.syncDir + 1);
    expect(spy.counts.fsync - atRollover.fsync).toBe(1 + created + 1); // the old segment, each new one, the state file
    storage.appendEntries(entries(18, 1, 2));
    const afterRollover = { ...spy.counts };
    storage.sync();
    expect(spy.counts.fsync - afterRollover.fsync).toBe(1);
    // A snapshot: temp file fsynced, renamed, directory fsynced before any sync point names it.
    const atSnapshot = { ...spy.counts };
    storage.saveSnapshot(snapshotAt(10, 1));
    expect(spy.counts.fsync - atSnapshot.fsync).toBe(1);
    expect(spy.counts.rename - atSnapshot.rename).toBe(1);
    expect(spy.counts.syncDir - atSnapshot.syncDir).toBe(1);
    storage.close();
  });

  it("'batch': syncs share an fsync at most every interval; close() makes the rest durable", () => {
    const clock = { nowMs: 1000 };
    const { storage, spy } = openSpied({ kind: 'batch', intervalMs: 10 }, clock);
    const before = spy.counts.fsync;
    storage.appendEntries(entries(1, 1, 1));
    storage.sync();
    expect(spy.counts.fsync).toBe(before);
    expect(storage.flushDeadlineMs()).toBe(1010);
    clock.nowMs = 1005;
    storage.appendEntries(entries(2, 1, 1));
    storage.sync();
    storage.flushIfDue();
    expect(spy.counts.fsync).toBe(before);
    clock.nowMs = 1010;
    storage.flushIfDue();
    expect(spy.counts.fsync).toBe(before + 2);
    expect(storage.flushDeadlineMs()).toBeNull();
    storage.appendEntries(entries(3, 1, 1));
    storage.sync();
    storage.close();
    expect(spy.counts.fsync).toBe(before + 4);
    const reopened = LogStorage.open(new NodeFileSystem(dir), { identity: IDENTITY });
    expect(storedEntryArray(reopened.load().entries).map((e) => e.index)).toEqual([1, 2, 3]);
  });

  it("'never': no fsync until close()", () => {
    const { storage, spy } = openSpied({ kind: 'never' });
    const before = spy.counts.fsync;
    for (let i = 1; i <= 5; i++) {
      storage.appendEntries(entries(i, 1, 1));
      storage.sync();
    }
    expect(spy.counts.fsync).toBe(before);
    storage.close();
    expect(spy.counts.fsync).toBe(before + 2);
  });
});

function catchStorageError(f: () => unknown): StorageError {
  try {
    f();
  } catch (e) {
    if (e instanceof StorageError) return e;
    throw e;
  }
  throw new Error('expected a StorageError');
}

// The data directory's lock: a file LOCK created with O_EXCL holding the
// owner's pid, so a second process (or a second node pointed at the same
// --data-dir) is refused instead of interleaving writes with the first. A
// lock whose pid is no longer alive is stale (its owner was killed) and is
// taken over. Pids can be reused, so a stale lock whose pid now belongs to
// another live process is refused too: docs/durability.md says how to clear it.

import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { StorageError } from '../../core/storage/storage-errors.js';

export const LOCK_FILE = 'LOCK';

/** Attempts to take a stale lock over before giving up (another opener may race us to it). */
const LOCK_ATTEMPTS_MAX = 3;

export interface DirLock {
  readonly path: string;
  release(): void;
}

export function acquireDirLock(dir: string, pid = process.pid): DirLock {
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < LOCK_ATTEMPTS_MAX; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      try {
        writeSync(fd, `${pid}\n`);
      } finally {
        closeSync(fd);
      }
      let released = false;
      return {
        path, release: () => {
          if (released) return;
          released = true;
          unlinkSync(path);
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const owner = readOwner(path);
    if (owner !== null && isAlive(owner)) {
      throw new StorageError('locked', LOCK_FILE, 0, `${dir} is in use by process ${owner}`);
    }
    // Stale: the owner is gone (or the file is unreadable garbage from a crash mid-write).
    try {
      unlinkSync(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  throw new StorageError('locked', LOCK_FILE, 0, `${dir}: could not take the lock (another process keeps taking it)`);
}

function readOwner(path: string): number | null {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: alive, owned by someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// The data directory's lock: a file LOCK created with O_EXCL holding the
// owner's pid, so a second process (or a second node pointed at the same
// --data-dir) is refused instead of interleaving writes with the first. A
// lock whose pid is no longer alive is stale (its owner was killed) and is
// taken over, as is one whose owner is a zombie (killed, not yet reaped by
// its parent: it holds no file and writes nothing). Pids can be reused, so a stale lock whose pid now belongs to
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
  } catch (e) {
    // EPERM: alive, owned by someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A process killed (kill -9) but not yet reaped by its parent still answers signal 0: a zombie holds no open
  // file and writes nothing, so its lock is stale (a supervisor that restarts before it reaps would be refused).
  return !isZombie(pid);
}

/** Linux: the process's state in /proc is Z (zombie) or X (dead). Elsewhere, or unreadable: false. */
function isZombie(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  // "pid (comm) state ...": comm may hold spaces and parentheses, so the state follows the last ')'.
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state === 'Z' || state === 'X';
}

// Pin a worker thread to one CPU. Node has no affinity API, so a worker
// announces its kernel thread id (from /proc/thread-self) as it starts and
// the IO thread asks taskset for that tid, asynchronously: the worker
// recovers its storage meanwhile instead of blocking 20-100 ms on a
// child process. Where pinning is impossible (not Linux, no taskset, a
// container that forbids it) the worker runs unpinned and the pool says so.

import { execFile } from 'node:child_process';
import { readlinkSync } from 'node:fs';

export type PinResult = { pinned: true; cpu: number; tid: number } | { pinned: false; reason: string };

/** The calling thread's kernel thread id, or null where /proc/thread-self is not there. */
export function currentThreadId(): number | null {
  try {
    const link = readlinkSync('/proc/thread-self'); // e.g. "12345/task/12350"
    const match = /task\/(\d+)$/.exec(link);
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/** Pin thread `tid` of this process to `cpu`; resolves (never rejects) once taskset has finished. */
export function pinThread(tid: number | null, cpu: number): Promise<PinResult> {
  if (process.platform !== 'linux') return Promise.resolve({ pinned: false, reason: `CPU pinning is not supported on ${process.platform}` });
  if (tid === null) return Promise.resolve({ pinned: false, reason: 'cannot read /proc/thread-self' });
  return new Promise((resolve) => {
    execFile('taskset', ['-pc', String(cpu), String(tid)], { timeout: 5000 }, (error) => {
      resolve(error ? { pinned: false, reason: `taskset failed: ${error.message}` } : { pinned: true, cpu, tid });
    });
  });
}

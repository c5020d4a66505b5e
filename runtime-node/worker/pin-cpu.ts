// Pin the calling thread to one CPU. Node has no affinity API, so a worker
// finds its own kernel thread id in /proc/thread-self and asks taskset, once
// at start-up. Where that is impossible (not Linux, no taskset, a container
// that forbids it) the worker runs unpinned and says so.

import { execFileSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';

export type PinResult = { pinned: true; cpu: number; tid: number } | { pinned: false; reason: string };

export function currentThreadId(): number | null {
  try {
    const link = readlinkSync('/proc/thread-self'); // e.g. "12345/task/12350"
    const match = /task\/(\d+)$/.exec(link);
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

export function pinCurrentThread(cpu: number): PinResult {
  if (process.platform !== 'linux') return { pinned: false, reason: `CPU pinning is not supported on ${process.platform}` };
  const tid = currentThreadId();
  if (tid === null) return { pinned: false, reason: 'cannot read /proc/thread-self' };
  try {
    execFileSync('taskset', ['-pc', String(cpu), String(tid)], { stdio: 'ignore', timeout: 5000 });
    return { pinned: true, cpu, tid };
  } catch (error) {
    return { pinned: false, reason: `taskset failed: ${(error as Error).message}` };
  }
}

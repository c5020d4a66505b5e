// A benchmarked server's process as the harness sees it: its exit, the tail
// of its stderr for error messages, a graceful stop, and its CPU time from
// /proc. Shared by the WebSocket and the Redis side-by-side benchmarks.

import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** USER_HZ on Linux: /proc reports CPU time in these ticks. */
export const CLOCK_TICKS_PER_S = 100;
/** Bytes of a child's stderr kept for error messages. */
const STDERR_TAIL_BYTES = 2000;

/** utime + stime of a process (all threads), or of one of its threads, in seconds. */
export function cpuSeconds(pid: number, thread?: number): number {
  const { userS, systemS } = cpuTimes(pid, thread);
  return userS + systemS;
}

/** utime and stime apart (user code, and the kernel's work for it: syscalls, loopback TCP), in seconds. */
export function cpuTimes(pid: number, thread?: number): { userS: number; systemS: number } {
  const text = readFileSync(thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may contain spaces.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { userS: Number(fields[11]) / CLOCK_TICKS_PER_S, systemS: Number(fields[12]) / CLOCK_TICKS_PER_S };
}

export class WatchedChild {
  readonly exited: Promise<number | null>;
  stderrTail = '';

  constructor(readonly name: string, readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGTERM and wait for a normal exit (which writes CPU profiles); SIGKILL if it hangs. */
  async stop(timeoutMs: number): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => { this.child.kill('SIGKILL'); }, timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    if (code !== 0) process.stderr.write(`bench: ${this.name} exited with ${code ?? 'a signal'}; stderr: ${this.stderrTail}\n`);
  }

  /** SIGKILL, as a crash: nothing gets to flush. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

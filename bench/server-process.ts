// Starts the server under test (Piccolo, or the bare uWS echo server) as its
// own process, so the load generator never shares its event loop or its
// garbage collector, and reads its CPU time from /proc to show how busy it was.

import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { cpuSeconds, WatchedChild } from './child-process.js';

/** Longest wait for the "listening on" line: Piccolo starts its workers first. */
const START_TIMEOUT_MS = 30_000;
/** Longest wait for a graceful exit (Piccolo drains, then stops workers) before SIGKILL. */
const STOP_TIMEOUT_MS = 20_000;
/** Linux reports CPU time in clock ticks; 100 per second on every common kernel config. */

const PICCOLO_BIN = fileURLToPath(new URL('../../bin/piccolo.js', import.meta.url));
const ECHO_SCRIPT = fileURLToPath(new URL('./uws-echo-server.js', import.meta.url));

export interface ServerProcessOptions {
  /** Write V8 CPU profiles of every thread into this directory on exit. */
  cpuProfileDir?: string;
}

export interface PiccoloProcessOptions extends ServerProcessOptions {
  workers: number;
  pin: boolean;
}

/** CPU seconds used so far: the main (IO) thread and all threads together. */
export interface CpuSample {
  mainS: number;
  totalS: number;
}

export class ServerProcess {
  private readonly process: WatchedChild;

  private constructor(readonly name: string, child: ChildProcess, readonly port: number) {
    this.process = new WatchedChild(name, child);
  }

  get pid(): number {
    return this.process.pid;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}/v1/ws`;
  }

  /** CPU time from /proc (Linux); null elsewhere. */
  cpu(): CpuSample | null {
    try {
      return { mainS: cpuSeconds(this.pid, this.pid), totalS: cpuSeconds(this.pid) };
    } catch {
      return null;
    }
  }

  /** Threads of the process, for reporting (e.g. to see worker threads exist). */
  threadCount(): number {
    try {
      return readdirSync(`/proc/${this.pid}/task`).length;
    } catch {
      return 0;
    }
  }

  /** SIGTERM and wait for a normal exit (which writes CPU profiles); SIGKILL if it hangs. */
  stop(): Promise<void> {
    return this.process.stop(STOP_TIMEOUT_MS);
  }

  static startPiccolo(options: PiccoloProcessOptions): Promise<ServerProcess> {
    const args = [PICCOLO_BIN, 'server', '--port', '0', '--workers', String(options.workers), '--in-memory'];
    if (!options.pin) args.push('--no-pin');
    return ServerProcess.start('piccolo', args, options);
  }

  static startEcho(options: ServerProcessOptions = {}): Promise<ServerProcess> {
    return ServerProcess.start('uws-echo', [ECHO_SCRIPT, '--port', '0'], options);
  }

  private static start(name: string, args: string[], options: ServerProcessOptions): Promise<ServerProcess> {
    const nodeFlags = options.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir] : [];
    const child = spawn(process.execPath, [...nodeFlags, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    return new Promise((resolve, reject) => {
      let out = '';
      let err = '';
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${name} did not start within ${START_TIMEOUT_MS} ms: ${out}${err}`));
      }, START_TIMEOUT_MS);
      const onErr = (chunk: Buffer): void => { err += chunk.toString('utf8'); };
      const onOut = (chunk: Buffer): void => {
        out += chunk.toString('utf8');
        const match = /listening on http:\/\/[^:\s]+:(\d+)/.exec(out);
        if (!match) return;
        clearTimeout(timer);
        child.stdout!.off('data', onOut);
        child.stderr!.off('data', onErr);
        child.stdout!.resume(); // keep draining so the child never blocks on a full pipe
        resolve(new ServerProcess(name, child, Number(match[1])));
      };
      child.stdout!.on('data', onOut);
      child.stderr!.on('data', onErr);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited with ${code} before listening: ${out}${err}`));
      });
    });
  }
}

// Starts the server under test (Piccolo, or the bare uWS echo server) as its
// own process, so the load generator never shares its event loop or its
// garbage collector, and reads its CPU time from /proc to show how busy it was.

import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Longest wait for the "listening on" line: Piccolo starts its workers first. */
const START_TIMEOUT_MS = 30_000;
/** Longest wait for a graceful exit (Piccolo drains, then stops workers) before SIGKILL. */
const STOP_TIMEOUT_MS = 20_000;
/** Linux reports CPU time in clock ticks; 100 per second on every common kernel config. */
const CLOCK_TICKS_PER_S = 100;

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
  private exited: Promise<number | null>;
  private stderrTail = '';

  private constructor(readonly name: string, private readonly child: ChildProcess, readonly port: number) {
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    child.stderr?.on('data', (chunk: Buffer) => { this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-2000); });
  }

  get pid(): number {
    return this.child.pid!;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}/v1/ws`;
  }

  /** CPU time from /proc (Linux); null elsewhere. */
  cpu(): CpuSample | null {
    try {
      const total = readTicks(`/proc/${this.pid}/stat`);
      const main = readTicks(`/proc/${this.pid}/task/${this.pid}/stat`);
      return { mainS: main / CLOCK_TICKS_PER_S, totalS: total / CLOCK_TICKS_PER_S };
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
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => { this.child.kill('SIGKILL'); }, STOP_TIMEOUT_MS);
    const code = await this.exited;
    clearTimeout(timer);
    if (code !== 0) process.stderr.write(`bench: ${this.name} exited with ${code ?? 'a signal'}; stderr: ${this.stderrTail}\n`);
  }

  static startPiccolo(options: PiccoloProcessOptions): Promise<ServerProcess> {
    const args = [PICCOLO_BIN, 'server', '--port', '0', '--workers', String(options.workers)];
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

/** utime + stime (fields 14 and 15) of a /proc stat file, in clock ticks. */
function readTicks(path: string): number {
  const text = readFileSync(path, 'utf8');
  // The command name (field 2) is in parentheses and may contain spaces.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

// Starts a real Piccolo node (compiled CLI, real worker threads) with its
// RESP door on ephemeral loopback ports, and small raw-socket helpers for
// tests that need to see the exact bytes.

import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = `${REPO_ROOT}bin/piccolo.js`;
/** Bound on how long a node may take to start in a test. */
export const NODE_START_TIMEOUT_MS = 20_000;

export interface RespNode {
  process: ChildProcessWithoutNullStreams;
  httpPort: number;
  respPort: number;
  output: () => string;
  /** SIGTERM and wait; resolves with the exit code. */
  stop: () => Promise<number | null>;
}

/** `piccolo server --port 0 --resp-port 0 --workers 2 ...args`, once its listening line names both ports. */
export async function startRespNode(args: string[] = []): Promise<RespNode> {
  const child = spawn(process.execPath, [CLI, 'server', '--port', '0', '--resp-port', '0', '--workers', '2', '--no-pin', ...args], { cwd: REPO_ROOT });
  let output = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => { output += d; });
  const ports = await new Promise<{ httpPort: number; respPort: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`node did not start:\n${output}`)), NODE_START_TIMEOUT_MS);
    child.stdout.on('data', (d: string) => {
      output += d;
      const http = /listening on http:\/\/[^:\s]+:(\d+)/.exec(output);
      const resp = /RESP on [^:\s]+:(\d+)/.exec(output);
      if (http && resp) {
        clearTimeout(timer);
        resolve({ httpPort: Number(http[1]), respPort: Number(resp[1]) });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`node exited with ${code} before listening:\n${output}`));
    });
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    process: child,
    ...ports,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** A raw TCP connection collecting every byte the server sends. */
export class RawClient {
  private chunks: Buffer[] = [];
  /** Bytes received so far (cheap to read; `received` concatenates). */
  receivedBytes = 0;
  readonly closed: Promise<void>;
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.receivedBytes += chunk.length;
      for (const wake of this.waiters.splice(0)) wake();
    });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => socket.once('close', () => {
      resolve();
      for (const wake of this.waiters.splice(0)) wake();
    }));
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port }, () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  get received(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  get isClosed(): boolean {
    return this.socket.destroyed || this.socket.readyState === 'closed';
  }

  write(bytes: string | Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Wait until at least `bytes` have arrived (or the connection closes, or time runs out). */
  async waitForBytes(bytes: number, timeoutMs = 10_000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.receivedBytes < bytes) {
      if (this.isClosed) break;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out with ${this.receivedBytes} of ${bytes} bytes`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
    return this.received;
  }

  /** Wait until the bytes received satisfy `done` (or the connection closes, or time runs out). */
  async waitFor(done: (received: Buffer) => boolean, timeoutMs = 10_000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this.received)) {
      if (this.isClosed) break;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out; received so far: ${JSON.stringify(this.received.toString('latin1').slice(0, 500))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
    return this.received;
  }

  /** Wait until exactly `text` (or more) has arrived and return what arrived, as latin1 text. */
  async waitForText(text: string, timeoutMs?: number): Promise<string> {
    return (await this.waitFor((b) => b.length >= Buffer.byteLength(text, 'latin1'), timeoutMs)).toString('latin1');
  }

  close(): void {
    this.socket.destroy();
  }
}

/** One RESP2 multibulk command, as clients send it. */
export function command(...args: (string | Uint8Array)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = typeof arg === 'string' ? Buffer.from(arg) : Buffer.from(arg);
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/** redis-cli's path, or null when it is not installed (tests that need it then skip). */
export function redisCliPath(): string | null {
  const found = spawnSync('sh', ['-c', 'command -v redis-cli'], { encoding: 'utf8' });
  return found.status === 0 && found.stdout.trim() !== '' ? found.stdout.trim() : null;
}

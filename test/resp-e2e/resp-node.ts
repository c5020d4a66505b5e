// Starts a real Piccolo node (compiled CLI, real worker threads) with its
// RESP door on ephemeral loopback ports, and small raw-socket helpers for
// tests that need to see the exact bytes.

import { spawnSync } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { createClient, type RedisClientType } from 'redis';
import { startNode, type RunningNode } from '../e2e/spawn-node.js';

export { CLI, NODE_START_TIMEOUT_MS, REPO_ROOT } from '../e2e/spawn-node.js';

export interface RespNode {
  process: RunningNode['process'];
  httpPort: number;
  respPort: number;
  output: () => string;
  /** SIGTERM and wait; resolves with the exit code. */
  stop: () => Promise<number | null>;
}

/** `piccolo server --port 0 --resp-port 0 --workers 2 --no-pin ...args`, once its listening line names both ports. */
export async function startRespNode(args: string[] = []): Promise<RespNode> {
  const node = await startNode(['--resp-port', '0', '--workers', '2', '--no-pin', ...args]);
  if (node.respPort === null) {
    await node.stop();
    throw new Error(`node started without RESP:\n${node.output()}`);
  }
  return { process: node.process, httpPort: node.port, respPort: node.respPort, output: node.output, stop: node.stop };
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

/**
 * The raw text of the replies to `commands`, sent together on a fresh
 * connection speaking RESP `proto` (HELLO 3 first for RESP3), up to the
 * reply of a PING sent after them.
 */
export async function rawReplies(respPort: number, proto: '2' | '3', ...commands: string[][]): Promise<string> {
  const raw = await RawClient.connect(respPort);
  try {
    if (proto === '3') {
      raw.write(command('HELLO', '3'));
      await raw.waitFor((b) => b.includes('proto'));
    }
    const before = raw.receivedBytes;
    raw.write(Buffer.concat([...commands.map((c) => command(...c)), command('PING')]));
    const text = (await raw.waitFor((b) => b.subarray(before).toString('latin1').endsWith('+PONG\r\n'))).subarray(before).toString('latin1');
    return text.slice(0, -'+PONG\r\n'.length);
  } finally {
    raw.close();
  }
}

/** redis-cli's path, or null when it is not installed (tests that need it then skip). */
export function redisCliPath(): string | null {
  const found = spawnSync('sh', ['-c', 'command -v redis-cli'], { encoding: 'utf8' });
  return found.status === 0 && found.stdout.trim() !== '' ? found.stdout.trim() : null;
}

/** A node as startRespNode starts it, with one ioredis client connected to its RESP port. */
export async function startRespNodeWithRedis(args: string[] = []): Promise<{ node: RespNode; redis: Redis }> {
  const node = await startRespNode(args);
  const redis = new Redis({ port: node.respPort, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
  await redis.connect();
  return { node, redis };
}

export async function stopRespNodeWithRedis(running: { node?: RespNode; redis?: Redis }): Promise<void> {
  running.redis?.disconnect();
  await running.node?.stop();
}

/** A node-redis client (RESP2) connected to a node's RESP port; errors surface as rejected commands, not events. */
export async function connectNodeRedis(respPort: number): Promise<RedisClientType> {
  const client: RedisClientType = createClient({ socket: { host: '127.0.0.1', port: respPort, reconnectStrategy: false } });
  client.on('error', () => {});
  await client.connect();
  return client;
}

/** The message of the error reply `p` rejects with; throws if it does not. */
export async function errorOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected an error reply');
}

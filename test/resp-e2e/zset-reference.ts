// A real redis-server (Redis 7, when installed) on a free loopback port, for
// tests that compare Piccolo's sorted-set replies with Redis's own, byte for
// byte through the same client. Persistence off; stopped by the test.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort } from '../net/test-ports.js';

/** How long redis-server may take to answer PING after starting. */
const REDIS_START_TIMEOUT_MS = 10_000;

export const REDIS_SERVER_INSTALLED = spawnSync('redis-server', ['--version']).status === 0;

export interface ReferenceRedis { port: number; stop: () => Promise<void> }

export async function startReferenceRedis(): Promise<ReferenceRedis> {
  const port = await freePort();
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const deadline = Date.now() + REDIS_START_TIMEOUT_MS;
  for (;;) {
    const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => {});
    try {
      await probe.connect();
      await probe.ping();
      probe.disconnect();
      break;
    } catch {
      probe.disconnect();
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error('redis-server did not start');
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    port,
    stop: () => new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}

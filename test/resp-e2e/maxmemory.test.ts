// --maxmemory with noeviction against a real node (2 workers, 2 shards, so a
// shard's budget is half): writes that add data are refused once a shard's
// store is over its share, with Redis's exact -OOM words over RESP (ioredis
// and redis-cli) and OUT_OF_MEMORY / 507 over HTTP; reads and deletes keep
// working; CONFIG SET maxmemory changes the limit live; INFO reports the
// store's real bytes and the limit.
import { spawnSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, startRespNodeWithRedis, stopRespNodeWithRedis, type RespNode } from './resp-node.js';

const OOM = "OOM command not allowed when used memory > 'maxmemory'.";
/** 4 MiB for the node: 2 MiB a shard, i.e. its first 1 MiB slab page and about ten 100 KB values. */
const MAXMEMORY_BYTES = 4 * 1024 * 1024;
const VALUE = 'x'.repeat(100_000);
/** Far more writes than the budget holds: the loop must hit OOM well before. */
const WRITES_MAX = 200;

let node: RespNode;
let redis: Redis;
beforeAll(async () => { ({ node, redis } = await startRespNodeWithRedis(['--maxmemory', String(MAXMEMORY_BYTES)])); });
afterAll(() => stopRespNodeWithRedis({ node, redis }));

const infoField = (info: string, name: string): string => {
  const m = new RegExp(`\\r\\n${name}:([^\\r]*)\\r\\n`).exec(info);
  if (!m) throw new Error(`INFO has no ${name}:\n${info}`);
  return m[1]!;
};

/** SET big:0, big:1, ... until one is refused; returns the keys written and the refused key. */
async function fillUntilRefused(): Promise<{ written: string[]; refused: string }> {
  const written: string[] = [];
  for (let i = 0; i < WRITES_MAX; i++) {
    const key = `big:${i}`;
    const error = await redis.set(key, VALUE).then(() => null, (e: Error) => e.message);
    if (error !== null) {
      expect(error).toBe(OOM);
      return { written, refused: key };
    }
    written.push(key);
  }
  throw new Error(`no write was refused after ${WRITES_MAX} of ${VALUE.length} bytes`);
}

describe('--maxmemory (noeviction)', () => {
  it('CONFIG GET and INFO show the limit; used_memory is the stores\' bytes', async () => {
    expect(await redis.config('GET', 'maxmemory*')).toEqual(['maxmemory', String(MAXMEMORY_BYTES), 'maxmemory-policy', 'noeviction']);
    const info = await redis.info('memory');
    expect(infoField(info, 'maxmemory')).toBe(String(MAXMEMORY_BYTES));
    expect(infoField(info, 'maxmemory_policy')).toBe('noeviction');
    expect(Number(infoField(info, 'used_memory'))).toBeGreaterThan(0); // empty stores still hold their index tables
  });

  it('refuses growing writes with -OOM over RESP and 507 over HTTP; reads and deletes work; deletes make room', async () => {
    const { written, refused } = await fillUntilRefused();
    expect(written.length).toBeGreaterThan(5);
    expect(await redis.exists(refused)).toBe(0); // the refused write changed nothing
    // The same shard refuses every growing command; reads and deletes of it go on.
    expect(await errorOf(redis.append(refused, 'x'))).toBe(OOM);
    expect(await errorOf(redis.incr(refused))).toBe(OOM);
    expect(await redis.get(written[0]!)).toBe(VALUE);
    expect(await redis.dbsize()).toBe(written.length);
    const http = await fetch(`http://127.0.0.1:${node.httpPort}/v1/kv/${refused}`, { method: 'PUT', body: 'v' });
    expect(http.status).toBe(507);
    expect(((await http.json()) as { error: { code: string; number: number } }).error).toMatchObject({ code: 'OUT_OF_MEMORY', number: 22 });
    const cli = spawnSync('redis-cli', ['-p', String(node.respPort), 'SET', refused, 'v'], { encoding: 'utf8', timeout: 10_000 });
    expect(cli.stdout.trim()).toBe(OOM); // not a tty: no "(error) " prefix
    expect(await redis.expire(written[0]!, 600)).toBe(1);
    expect(await redis.del(...written)).toBe(written.length);
    expect(await redis.set(refused, VALUE)).toBe('OK');
    expect(await redis.del(refused)).toBe(1);
  });

  it('CONFIG SET maxmemory changes the limit live: 0 lifts it, a tiny one refuses at once', async () => {
    expect(await redis.config('SET', 'maxmemory', '1kb')).toBe('OK');
    expect(await redis.config('GET', 'maxmemory')).toEqual(['maxmemory', '1024']);
    // Each shard already holds more than 512 bytes (a slab page from the test above).
    expect(await errorOf(redis.set('tiny', 'v'))).toBe(OOM);
    expect(await redis.config('SET', 'maxmemory', '0')).toBe('OK');
    expect(await redis.set('tiny', 'v')).toBe('OK');
    expect(infoField(await redis.info('memory'), 'maxmemory')).toBe('0');
    expect(await errorOf(redis.config('SET', 'maxmemory', 'lots'))).toMatch(/^ERR CONFIG SET failed \(possibly related to argument 'maxmemory'\)/);
    await redis.config('SET', 'maxmemory', String(MAXMEMORY_BYTES));
  });
});

// Collection thresholds as server settings, on real nodes (the compiled CLI,
// real workers) through ioredis: OBJECT ENCODING flips at the configured
// point for hashes, sets, sorted sets and lists; CONFIG GET answers them
// (globs too); CONFIG SET refuses to change them; a bad value refuses to
// start; a data directory restarted with other thresholds is refused.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, REPO_ROOT, NODE_START_TIMEOUT_MS } from '../e2e/spawn-node.js';
import { errorOf, startRespNode, type RespNode } from './resp-node.js';

const SMALL_FLAGS = [
  '--hash-max-listpack-entries', '4', '--hash-max-listpack-value', '8',
  '--set-max-intset-entries', '4', '--set-max-listpack-entries', '6', '--set-max-listpack-value', '8',
  '--zset-max-listpack-entries', '4', '--zset-max-listpack-value', '8',
  '--list-max-listpack-size', '4',
];

/** `piccolo server` that must refuse to start: its exit code and what it said. */
function refusedStart(args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, 'server', '--port', '0', '--no-resp', '--workers', '1', '--no-pin', ...args],
    { cwd: REPO_ROOT, encoding: 'utf8', timeout: NODE_START_TIMEOUT_MS });
  return { status: r.status, stderr: r.stderr };
}

describe('a node started with small thresholds', () => {
  let node: RespNode;
  let r: Redis;
  beforeAll(async () => {
    // One threshold from the environment: every source of settings reaches the core.
    process.env.PICCOLO_ZSET_MAX_LISTPACK_VALUE = '8';
    try {
      node = await startRespNode(SMALL_FLAGS.filter((_, i, all) => all[i] !== '--zset-max-listpack-value' && all[i - 1] !== '--zset-max-listpack-value'));
    } finally {
      delete process.env.PICCOLO_ZSET_MAX_LISTPACK_VALUE;
    }
    r = new Redis({ port: node.respPort, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
    await r.connect();
  }, 60_000);
  afterAll(async () => {
    r?.disconnect();
    await node?.stop();
  });

  const encoding = (key: string): Promise<unknown> => r.call('object', 'encoding', key);

  it('hashes: listpack up to 4 fields and 8-byte values, then hashtable', async () => {
    await r.hset('h', 'a', '1', 'b', '2', 'c', '3', 'd', '4');
    expect(await encoding('h')).toBe('listpack');
    await r.hset('h', 'e', '5');
    expect(await encoding('h')).toBe('hashtable');
    await r.hset('h2', 'f', '12345678');
    expect(await encoding('h2')).toBe('listpack');
    await r.hset('h2', 'g', '123456789');
    expect(await encoding('h2')).toBe('hashtable');
  });

  it('sets: intset up to 4, then listpack up to 6 (Redis 7.2), then hashtable; long members skip the listpack', async () => {
    await r.sadd('s', 1, 2, 3, 4);
    expect(await encoding('s')).toBe('intset');
    await r.sadd('s', 5);
    expect(await encoding('s')).toBe('listpack');
    await r.sadd('s', 'six');
    expect(await encoding('s')).toBe('listpack');
    await r.sadd('s', 'seven');
    expect(await encoding('s')).toBe('hashtable');
    await r.sadd('s2', 'a');
    expect(await encoding('s2')).toBe('listpack');
    await r.sadd('s2', 'longer-than-8');
    expect(await encoding('s2')).toBe('hashtable');
    expect((await r.smembers('s')).sort()).toEqual(['1', '2', '3', '4', '5', 'seven', 'six']);
  });

  it('sorted sets: listpack up to 4 members of 8 bytes, then skiplist', async () => {
    await r.zadd('z', 1, 'a', 2, 'b', 3, 'c', 4, 'd');
    expect(await encoding('z')).toBe('listpack');
    await r.zadd('z', 5, 'e');
    expect(await encoding('z')).toBe('skiplist');
    await r.zadd('z2', 1, '123456789');
    expect(await encoding('z2')).toBe('skiplist');
  });

  it('lists: listpack up to 4 elements, quicklist past, back to listpack at 2', async () => {
    await r.rpush('l', 'a', 'b', 'c', 'd');
    expect(await encoding('l')).toBe('listpack');
    await r.rpush('l', 'e');
    expect(await encoding('l')).toBe('quicklist');
    await r.lpop('l', 2);
    expect(await encoding('l')).toBe('quicklist');
    await r.lpop('l');
    expect(await encoding('l')).toBe('listpack');
    expect(await r.lrange('l', 0, -1)).toEqual(['d', 'e']);
  });

  it('CONFIG GET answers each, and by glob', async () => {
    expect(await r.config('GET', 'hash-max-listpack-entries')).toEqual(['hash-max-listpack-entries', '4']);
    expect(await r.config('GET', 'list-max-listpack-size')).toEqual(['list-max-listpack-size', '4']);
    const all = await r.config('GET', '*listpack*') as string[];
    const pairs = Object.fromEntries(Array.from({ length: all.length / 2 }, (_, i) => [all[2 * i], all[2 * i + 1]]));
    expect(pairs).toEqual({
      'hash-max-listpack-entries': '4', 'hash-max-listpack-value': '8', 'set-max-listpack-entries': '6', 'set-max-listpack-value': '8',
      'zset-max-listpack-entries': '4', 'zset-max-listpack-value': '8', 'list-max-listpack-size': '4',
    });
    expect(await r.config('GET', 'set-max-intset-entries')).toEqual(['set-max-intset-entries', '4']);
  });

  it('CONFIG SET refuses a change, naming the flag, and changes nothing', async () => {
    expect(await errorOf(r.config('SET', 'hash-max-listpack-entries', '128'))).toBe(
      "ERR CONFIG SET failed (possibly related to argument 'hash-max-listpack-entries') - hash-max-listpack-entries is set at start "
      + '(--hash-max-listpack-entries N, PICCOLO_HASH_MAX_LISTPACK_ENTRIES or the config file) and must be the same on every node '
      + 'of a cluster and for the life of a data directory: replicas must choose the same encodings');
    expect(await r.config('GET', 'hash-max-listpack-entries')).toEqual(['hash-max-listpack-entries', '4']);
    // Its own value again changes nothing, so it is accepted (tools that write back a whole config).
    expect(await r.config('SET', 'zset-max-listpack-value', '8')).toBe('OK');
    await r.hset('h3', 'a', '1', 'b', '2', 'c', '3', 'd', '4', 'e', '5');
    expect(await encoding('h3')).toBe('hashtable');
  });
});

describe('settings that refuse to start', () => {
  it('a value out of bounds, an unsupported list size, and a non-integer: exit 2 with what is allowed', () => {
    const over = refusedStart(['--in-memory', '--hash-max-listpack-entries', '256']);
    expect(over.status).toBe(2);
    expect(over.stderr).toContain('--hash-max-listpack-entries must be an integer in 0..255');
    const list = refusedStart(['--in-memory', '--list-max-listpack-size', '-3']);
    expect(list.status).toBe(2);
    expect(list.stderr).toContain('list-max-listpack-size -3 (16 KiB) is not supported: a list node is 8 KiB here; use -1 (4 KiB), -2 (8 KiB) or an element count 1..8192');
    const zero = refusedStart(['--in-memory', '--list-max-listpack-size', '0']);
    expect(zero.status).toBe(2);
    expect(zero.stderr).toContain('list-max-listpack-size must be -1 (4 KiB), -2 (8 KiB) or an element count 1..8192, got 0');
    const text = refusedStart(['--in-memory', '--set-max-listpack-value', 'big']);
    expect(text.status).toBe(2);
    expect(text.stderr).toContain("--set-max-listpack-value must be an integer in 0..127, got 'big'");
  }, 60_000);
});

describe('a data directory keeps its thresholds', () => {
  let dir = '';
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'piccolo-thresholds-')); });
  afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  it('records them, restarts with them, and refuses a start with others', async () => {
    const first = await startRespNode(['--data-dir', dir, ...SMALL_FLAGS]);
    const r = new Redis({ port: first.respPort, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
    await r.connect();
    await r.sadd('s', 1, 2, 3, 4, 5);
    r.disconnect();
    expect(await first.stop()).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'collection-thresholds.json'), 'utf8'))).toMatchObject({ 'set-max-intset-entries': 4, 'list-max-listpack-size': 4 });

    const refused = refusedStart(['--data-dir', dir, ...SMALL_FLAGS.slice(0, -2), '--list-max-listpack-size', '-2', '--set-max-intset-entries', '512']);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('was written with other collection thresholds: set-max-intset-entries 4 (the data directory) / 512 (this start), '
      + 'list-max-listpack-size 4 (the data directory) / -2 (this start)');
    expect(refused.stderr).toContain('Start with --set-max-intset-entries 4 --list-max-listpack-size 4, or, to change them, start from an empty --data-dir');

    const again = await startRespNode(['--data-dir', dir, ...SMALL_FLAGS]);
    const r2 = new Redis({ port: again.respPort, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
    await r2.connect();
    try {
      expect(await r2.call('object', 'encoding', 's')).toBe('listpack');
      expect((await r2.smembers('s')).sort()).toEqual(['1', '2', '3', '4', '5']);
    } finally {
      r2.disconnect();
      await again.stop();
    }
  }, 90_000);
});

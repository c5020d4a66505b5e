// CONFIG GET / SET / RESETSTAT and INFO's numbers against a real node, with
// ioredis: the settings that change the running node (maxclients,
// requirepass), Redis's error texts, all-or-nothing SET, and INFO's
// counters moving with what the node does.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { command, errorOf, RawClient, startRespNodeWithRedis, stopRespNodeWithRedis, type RespNode } from './resp-node.js';

let node: RespNode;
let redis: Redis;
beforeAll(async () => { ({ node, redis } = await startRespNodeWithRedis()); });
afterAll(() => stopRespNodeWithRedis({ node, redis }));

/** A second client; `password` AUTHs at connect. Fails (rejects) when the node refuses it. */
async function client(password?: string): Promise<Redis> {
  const r = new Redis({
    port: node.respPort, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null,
    ...(password === undefined ? {} : { password }),
  });
  r.on('error', () => {});
  await r.connect();
  return r;
}

const infoField = (info: string, name: string): string => {
  const m = new RegExp(`\\r\\n${name}:([^\\r]*)\\r\\n`).exec(info);
  if (!m) throw new Error(`INFO has no ${name}:\n${info}`);
  return m[1]!;
};

describe('CONFIG', () => {
  it('GET takes several glob patterns, case-blind, each setting once', async () => {
    expect(await redis.config('GET', 'maxclients', 'port')).toEqual(['maxclients', '10000', 'port', String(node.respPort)]);
    expect(await redis.config('GET', 'MAXMEM*', 'maxmemory')).toEqual(['maxmemory', '0', 'maxmemory-policy', 'noeviction']);
    expect(await redis.config('GET', 'ring-bytes')).toEqual(['ring-bytes', expect.stringMatching(/^\d+$/)]);
    expect(await redis.config('GET', 'nothing-like-this*')).toEqual([]);
  });

  it('SET answers Redis errors for immutable and unknown settings, and sets nothing when one pair fails', async () => {
    expect(await errorOf(redis.config('SET', 'port', '1')))
      .toBe("ERR CONFIG SET failed (possibly related to argument 'port') - can't set immutable config");
    expect(await errorOf(redis.config('SET', 'no-such', '1'))).toBe("ERR Unknown option or number of arguments for CONFIG SET - 'no-such'");
    expect(await errorOf(redis.call('config', 'set', 'maxclients', '50', 'save', '900 1')))
      .toBe("ERR CONFIG SET failed (possibly related to argument 'save') - Piccolo supports only ''");
    expect(await redis.config('GET', 'maxclients')).toEqual(['maxclients', '10000']);
    expect(await errorOf(redis.call('config', 'set', 'maxclients'))).toBe("ERR wrong number of arguments for 'config|set' command");
  });

  it('SET maxclients bounds the connections of the running node', async () => {
    expect(await redis.call('config', 'set', 'maxclients', '2')).toBe('OK');
    try {
      const second = await client();
      expect(await errorOf(client())).toMatch(/max number of clients reached|Connection is closed/);
      second.disconnect();
    } finally {
      expect(await redis.call('config', 'set', 'maxclients', '10000')).toBe('OK');
    }
    const info = await redis.info('stats');
    expect(Number(infoField(info, 'rejected_connections'))).toBeGreaterThanOrEqual(1);
  });

  it('SET requirepass applies to new connections; existing ones stay logged in', async () => {
    expect(await redis.config('SET', 'requirepass', 'n3w')).toBe('OK');
    try {
      const anonymous = await RawClient.connect(node.respPort);
      anonymous.write(command('GET', 'k'));
      expect(await anonymous.waitForText('-NOAUTH Authentication required.\r\n')).toBe('-NOAUTH Authentication required.\r\n');
      anonymous.close();
      const authed = await client('n3w');
      expect(await authed.ping()).toBe('PONG');
      authed.disconnect();
      expect(await redis.ping()).toBe('PONG');
      // Unlike Redis, the password is never shown: the node keeps only its digest.
      expect(await redis.config('GET', 'requirepass')).toEqual(['requirepass', '(hidden)']);
    } finally {
      expect(await redis.config('SET', 'requirepass', '')).toBe('OK');
    }
    const open = await client();
    expect(await open.ping()).toBe('PONG');
    open.disconnect();
  });
});

describe('INFO', () => {
  it('counts commands and connections, and CONFIG RESETSTAT starts them again', async () => {
    expect(await redis.config('RESETSTAT')).toBe('OK');
    const first = await redis.info('stats');
    expect(infoField(first, 'total_commands_processed')).toBe('1'); // this INFO
    expect(infoField(first, 'total_connections_received')).toBe('0');
    expect(infoField(first, 'rejected_connections')).toBe('0');
    expect(infoField(first, 'instantaneous_ops_per_sec')).toMatch(/^\d+$/);
    const other = await client();
    await other.ping();
    other.disconnect();
    const second = await redis.info('stats');
    expect(Number(infoField(second, 'total_commands_processed'))).toBeGreaterThanOrEqual(3); // INFO, the other's PING, INFO
    expect(infoField(second, 'total_connections_received')).toBe('1');
  });

  it('shows keys with a TTL, store bytes as used_memory and the RSS', async () => {
    await redis.set('info:ttl', 'v'.repeat(1000), 'EX', 100);
    const deadline = Date.now() + 5_000;
    let info = await redis.info();
    // Workers publish their sizes every 100 ms.
    while (!/expires=[1-9]/.test(info) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      info = await redis.info();
    }
    expect(info).toMatch(/\r\ndb0:keys=\d+,expires=1,avg_ttl=0\r\n/);
    expect(Number(infoField(info, 'used_memory'))).toBeGreaterThanOrEqual(1000 + 'info:ttl'.length);
    expect(Number(infoField(info, 'used_memory_rss'))).toBeGreaterThan(Number(infoField(info, 'used_memory')));
    expect(infoField(info, 'connected_clients')).toBe('1');
  });
});

describe('INFO persistence', () => {
  it('says whether acknowledged writes are on disk: aof_enabled 0 in memory, 1 with the data directory and fsync mode', async () => {
    expect(infoField(await redis.info('persistence'), 'aof_enabled')).toBe('0'); // the shared node runs --in-memory
    const dir = mkdtempSync(join(tmpdir(), 'piccolo-info-'));
    const durable = await startRespNodeWithRedis(['--data-dir', join(dir, 'data'), '--fsync', 'batch=5']);
    try {
      const info = await durable.redis.info('persistence');
      expect(infoField(info, 'aof_enabled')).toBe('1');
      expect(infoField(info, 'piccolo_data_dir')).toBe(join(dir, 'data'));
      expect(infoField(info, 'piccolo_fsync')).toBe('batch=5');
    } finally {
      await stopRespNodeWithRedis(durable);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

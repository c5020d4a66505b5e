// ioredis against a real node's RESP door: the commands Piccolo serves, with
// the replies and error texts a Redis client expects. ioredis 6 speaks RESP3
// (HELLO 3) by default; one block repeats the basics over RESP2.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slotOf } from '../../core/routing/slot-hash.js';
import { SlotMap } from '../../core/routing/slot-map.js';
import { errorOf, startRespNodeWithRedis, stopRespNodeWithRedis, type RespNode } from './resp-node.js';

let node: RespNode;
let redis: Redis;
/** The node runs 2 workers, one shard each. */
const slots = new SlotMap(2, 2);
const shardOf = (key: string): number => slots.shardOf(slotOf(Buffer.from(key)));

/** Two keys with the given prefix on the same shard, and one on the other shard. */
function keysByShard(prefix: string): { a: string; sameShard: string; otherShard: string } {
  const a = `${prefix}:0`;
  let sameShard = '';
  let otherShard = '';
  for (let i = 1; sameShard === '' || otherShard === ''; i++) {
    const k = `${prefix}:${i}`;
    if (shardOf(k) === shardOf(a)) sameShard ||= k;
    else otherShard ||= k;
  }
  return { a, sameShard, otherShard };
}

beforeAll(async () => { ({ node, redis } = await startRespNodeWithRedis()); });
afterAll(() => stopRespNodeWithRedis({ node, redis }));

describe('ioredis: strings', () => {
  it('SET / GET, missing keys, binary-safe keys and values', async () => {
    expect(await redis.set('s:k', 'v')).toBe('OK');
    expect(await redis.get('s:k')).toBe('v');
    expect(await redis.get('s:missing')).toBeNull();
    const binary = Buffer.from([0, 255, 13, 10, 36, 42, 1]);
    expect(await redis.set(binary, binary)).toBe('OK');
    expect(await redis.getBuffer(binary)).toEqual(binary);
    expect(await redis.set('s:empty', '')).toBe('OK');
    expect(await redis.get('s:empty')).toBe('');
  });

  it('SET EX / PX set a TTL; KEEPTTL keeps it; a plain SET clears it', async () => {
    await redis.set('s:ex', 'v', 'EX', 100);
    expect(await redis.ttl('s:ex')).toBeGreaterThan(95);
    await redis.set('s:px', 'v', 'PX', 100_000);
    expect(await redis.pttl('s:px')).toBeGreaterThan(95_000);
    await redis.set('s:px', 'w', 'KEEPTTL');
    expect(await redis.pttl('s:px')).toBeGreaterThan(90_000);
    expect(await redis.get('s:px')).toBe('w');
    await redis.set('s:px', 'x');
    expect(await redis.ttl('s:px')).toBe(-1);
    expect(await errorOf(redis.set('s:ex', 'v', 'EX', 0))).toBe("ERR invalid expire time in 'set' command");
    expect(await errorOf(redis.call('set', 's:ex', 'v', 'EX', 'soon'))).toBe('ERR value is not an integer or out of range');
  });

  it('SET NX / XX answer null when refused; SET GET returns the old value', async () => {
    expect(await redis.set('s:nx', '1', 'NX')).toBe('OK');
    expect(await redis.set('s:nx', '2', 'NX')).toBeNull();
    expect(await redis.get('s:nx')).toBe('1');
    expect(await redis.set('s:xx', '1', 'XX')).toBeNull();
    expect(await redis.get('s:xx')).toBeNull();
    expect(await redis.set('s:nx', '3', 'XX')).toBe('OK');
    expect(await redis.set('s:nx', '4', 'GET')).toBe('3');
    expect(await redis.call('set', 's:new-get', 'v', 'GET')).toBeNull();
    expect(await redis.setnx('s:nx', 'z')).toBe(0);
    expect(await redis.getset('s:nx', '5')).toBe('4');
    expect(await redis.getdel('s:nx')).toBe('5');
    expect(await redis.exists('s:nx')).toBe(0);
    expect(await errorOf(redis.call('set', 'k', 'v', 'NX', 'XX'))).toBe('ERR syntax error');
  });

  it('MSET / MGET across shards keep key order; MSETNX refuses if any key exists', async () => {
    const keys = Array.from({ length: 50 }, (_, i) => `m:${i}`);
    expect(new Set(keys.map(shardOf)).size).toBe(2);
    expect(await redis.mset(...keys.flatMap((k) => [k, `value-${k}`]))).toBe('OK');
    expect(await redis.mget(...keys, 'm:absent')).toEqual([...keys.map((k) => `value-${k}`), null]);
    expect(await redis.msetnx('m:fresh1', 'a', 'm:fresh2', 'b')).toBe(1);
    expect(await redis.msetnx('m:fresh3', 'a', 'm:0', 'b')).toBe(0);
    expect(await redis.exists('m:fresh3')).toBe(0);
    expect(await errorOf(redis.call('mset', 'a', 'b', 'c'))).toBe("ERR wrong number of arguments for 'mset' command");
  });

  it('INCR family, with Redis error texts', async () => {
    expect(await redis.incr('c:n')).toBe(1);
    expect(await redis.incrby('c:n', 41)).toBe(42);
    expect(await redis.decr('c:n')).toBe(41);
    expect(await redis.decrby('c:n', 50)).toBe(-9);
    expect(await redis.incrbyfloat('c:f', '1.5')).toBe('1.5');
    expect(await redis.incrbyfloat('c:f', '-0.25')).toBe('1.25');
    await redis.set('c:text', 'abc');
    expect(await errorOf(redis.incr('c:text'))).toBe('ERR value is not an integer or out of range');
    expect(await errorOf(redis.incrbyfloat('c:text', '1'))).toBe('ERR value is not a valid float');
    await redis.set('c:max', '9223372036854775807');
    expect(await errorOf(redis.incr('c:max'))).toBe('ERR increment or decrement would overflow');
    expect(await errorOf(redis.call('incrby', 'c:n', 'x'))).toBe('ERR value is not an integer or out of range');
  });

  it('APPEND, STRLEN, GETRANGE, SETRANGE', async () => {
    expect(await redis.append('r:s', 'Hello')).toBe(5);
    expect(await redis.append('r:s', ' World')).toBe(11);
    expect(await redis.strlen('r:s')).toBe(11);
    expect(await redis.strlen('r:none')).toBe(0);
    expect(await redis.getrange('r:s', 0, 4)).toBe('Hello');
    expect(await redis.getrange('r:s', -5, -1)).toBe('World');
    expect(await redis.getrange('r:s', 100, 200)).toBe('');
    expect(await redis.setrange('r:s', 6, 'Redis')).toBe(11);
    expect(await redis.get('r:s')).toBe('Hello Redis');
    expect(await redis.setrange('r:pad', 3, 'x')).toBe(4);
    expect(await redis.getBuffer('r:pad')).toEqual(Buffer.from([0, 0, 0, 0x78]));
    expect(await errorOf(redis.setrange('r:s', -1, 'x'))).toBe('ERR offset is out of range');
  });
});

describe('ioredis: expiry and keys', () => {
  it('EXPIRE / PEXPIRE / EXPIREAT / PEXPIREAT / TTL / PTTL / PERSIST', async () => {
    await redis.set('e:k', 'v');
    expect(await redis.ttl('e:k')).toBe(-1);
    expect(await redis.ttl('e:none')).toBe(-2);
    expect(await redis.pttl('e:none')).toBe(-2);
    expect(await redis.expire('e:k', 100)).toBe(1);
    expect(await redis.ttl('e:k')).toBeGreaterThan(95);
    expect(await redis.pexpire('e:k', 200_000)).toBe(1);
    expect(await redis.pttl('e:k')).toBeGreaterThan(190_000);
    expect(await redis.expireat('e:k', Math.floor(Date.now() / 1000) + 300)).toBe(1);
    expect(await redis.ttl('e:k')).toBeGreaterThan(290);
    expect(await redis.pexpireat('e:k', Date.now() + 400_000)).toBe(1);
    expect(await redis.ttl('e:k')).toBeGreaterThan(390);
    expect(await redis.persist('e:k')).toBe(1);
    expect(await redis.ttl('e:k')).toBe(-1);
    expect(await redis.persist('e:k')).toBe(0);
    expect(await redis.expire('e:none', 10)).toBe(0);
    // An expiry in the past deletes, as in Redis.
    expect(await redis.expireat('e:k', 1)).toBe(1);
    expect(await redis.exists('e:k')).toBe(0);
  });

  it('a key with a short TTL disappears', async () => {
    await redis.set('e:short', 'v', 'PX', 400); // long enough for a loaded CI machine
    expect(await redis.get('e:short')).toBe('v');
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(await redis.get('e:short')).toBeNull();
    expect(await redis.ttl('e:short')).toBe(-2);
  });

  it('TYPE, DEL and EXISTS over many keys (a key named twice counts twice)', async () => {
    await redis.mset('d:1', 'a', 'd:2', 'b', 'd:3', 'c');
    expect(await redis.type('d:1')).toBe('string');
    expect(await redis.type('d:none')).toBe('none');
    expect(await redis.exists('d:1', 'd:2', 'd:none', 'd:1')).toBe(3);
    expect(await redis.del('d:1', 'd:2', 'd:none')).toBe(2);
    expect(await redis.unlink('d:3')).toBe(1);
    expect(await redis.exists('d:1', 'd:2', 'd:3')).toBe(0);
  });

  it('RENAME on one shard and across shards carries the value and TTL', async () => {
    const { a, sameShard, otherShard } = keysByShard('rn');
    await redis.set(a, 'payload', 'EX', 500);
    expect(await redis.rename(a, sameShard)).toBe('OK');
    expect(await redis.get(a)).toBeNull();
    expect(await redis.get(sameShard)).toBe('payload');
    expect(await redis.ttl(sameShard)).toBeGreaterThan(490);
    await redis.set(otherShard, 'old', 'EX', 5); // the destination is overwritten, its TTL replaced
    expect(await redis.rename(sameShard, otherShard)).toBe('OK');
    expect(await redis.get(sameShard)).toBeNull();
    expect(await redis.get(otherShard)).toBe('payload');
    expect(await redis.ttl(otherShard)).toBeGreaterThan(490);
    await redis.set('rn:plain', 'p');
    expect(await redis.rename('rn:plain', a)).toBe('OK');
    expect(await redis.ttl(a)).toBe(-1);
    expect(await redis.rename(a, a)).toBe('OK');
    expect(await errorOf(redis.rename('rn:none', 'rn:x'))).toBe('ERR no such key');
    expect(await errorOf(redis.rename('rn:none', 'rn:none'))).toBe('ERR no such key');
  });

  it('KEYS, SCAN and scanStream see every key exactly once; MATCH filters', async () => {
    await redis.flushdb();
    const keys = Array.from({ length: 300 }, (_, i) => `scan:${i}`);
    await redis.mset(...keys.flatMap((k) => [k, 'v']));
    await redis.mset('other:1', 'v', 'other:2', 'v', 'scan\\*lit', 'v');
    expect((await redis.keys('scan:*')).sort()).toEqual([...keys].sort());
    expect((await redis.keys('scan:1?')).sort()).toEqual(['scan:10', 'scan:11', 'scan:12', 'scan:13', 'scan:14', 'scan:15', 'scan:16', 'scan:17', 'scan:18', 'scan:19']);
    expect((await redis.keys('*')).length).toBe(303);
    expect(await redis.keys('nothing*')).toEqual([]);

    const seen: string[] = [];
    let cursor = '0';
    let calls = 0;
    do {
      const [next, page] = await redis.scan(cursor, 'MATCH', 'scan:*', 'COUNT', 25);
      seen.push(...page);
      cursor = next;
      calls++;
    } while (cursor !== '0');
    expect(calls).toBeGreaterThan(5);
    expect(seen.length).toBe(300);
    expect(new Set(seen)).toEqual(new Set(keys));

    const streamed: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const stream = redis.scanStream({ count: 40 });
      stream.on('data', (page: string[]) => streamed.push(...page));
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    expect(streamed.length).toBe(303);
    expect(new Set(streamed).size).toBe(303);

    expect(await redis.scan('0', 'TYPE', 'hash')).toEqual(['0', []]);
    // A cursor is (shard << 32) + the shard store's cursor: one naming a shard the node lacks is refused, not a restart.
    expect(await errorOf(redis.scan(String(2 ** 48 - 1)))).toBe('ERR invalid cursor');
    expect(await errorOf(redis.scan('-1'))).toBe('ERR invalid cursor');
    expect(await errorOf(redis.scan('abc'))).toBe('ERR invalid cursor');
    expect(await errorOf(redis.call('scan', '0', 'COUNT', '0'))).toBe('ERR syntax error');
  });

  it('DBSIZE, FLUSHDB, RANDOMKEY', async () => {
    await redis.flushdb();
    expect(await redis.dbsize()).toBe(0);
    expect(await redis.randomkey()).toBeNull();
    const keys = Array.from({ length: 40 }, (_, i) => `rk:${i}`);
    await redis.mset(...keys.flatMap((k) => [k, 'v']));
    expect(await redis.dbsize()).toBe(40);
    const drawn = new Set<string>();
    for (let i = 0; i < 30; i++) drawn.add((await redis.randomkey())!);
    for (const k of drawn) expect(keys).toContain(k);
    expect(drawn.size).toBeGreaterThan(1);
    expect(await redis.flushdb()).toBe('OK');
    expect(await redis.dbsize()).toBe(0);
  });
});

describe('ioredis: pipelining, CAS, errors, connection commands', () => {
  it('a pipeline of 10,000 commands answers each, in order', async () => {
    const pipeline = redis.pipeline();
    for (let i = 0; i < 5000; i++) {
      pipeline.set(`p:${i}`, String(i));
      pipeline.get(`p:${i}`);
    }
    const results = await pipeline.exec();
    expect(results).toHaveLength(10_000);
    for (let i = 0; i < 5000; i++) {
      expect(results![2 * i]).toEqual([null, 'OK']);
      expect(results![2 * i + 1]).toEqual([null, String(i)]);
    }
  });

  it('CAS and GETVER: versioned writes, VERSIONMISMATCH with the current version', async () => {
    expect(await redis.call('getver', 'v:k')).toBeNull();
    const created = await redis.call('cas', 'v:k', '0', 'first') as number; // 0: only if absent
    expect(created).toBeGreaterThan(0);
    expect(await redis.call('getver', 'v:k')).toEqual(['first', created]);
    const updated = await redis.call('cas', 'v:k', String(created), 'second') as number;
    expect(updated).toBeGreaterThan(created);
    expect(await errorOf(redis.call('cas', 'v:k', String(created), 'third'))).toBe(`VERSIONMISMATCH current version is ${updated}`);
    expect(await redis.get('v:k')).toBe('second');
  });

  it('errors a client matches on: unknown command, arity, wrong DB, limits', async () => {
    expect(await errorOf(redis.call('nosuchcommand', 'a', 'b'))).toBe("ERR unknown command 'nosuchcommand', with args beginning with: 'a' 'b' ");
    expect(await errorOf(redis.call('get'))).toBe("ERR wrong number of arguments for 'get' command");
    expect(await errorOf(redis.select(1))).toBe('ERR DB index is out of range');
    expect(await redis.select(0)).toBe('OK');
    expect(await errorOf(redis.set('', 'v'))).toMatch(/^ERR key must not be empty/);
    expect(await errorOf(redis.get('x'.repeat(20_000)))).toMatch(/^ERR key is 20000 bytes; the limit is 16384/);
    // The connection survives errors.
    expect(await redis.ping()).toBe('PONG');
    expect(await redis.echo('hi')).toBe('hi');
  });

  it('HELLO, CLIENT, COMMAND, CONFIG GET, INFO', async () => {
    const hello = await redis.call('hello') as unknown[];
    const fields = Object.fromEntries(Array.from({ length: hello.length / 2 }, (_, i) => [hello[2 * i], hello[2 * i + 1]]));
    expect(fields).toMatchObject({ server: 'piccolo', proto: 3, mode: 'standalone', role: 'master', modules: [] });
    expect(await redis.client('SETNAME', 'suite')).toBe('OK');
    expect(await redis.client('GETNAME')).toBe('suite');
    expect(await redis.client('ID')).toBe(fields.id);
    expect(await errorOf(redis.client('SETNAME', 'has space'))).toBe('ERR Client names cannot contain spaces, newlines or special characters.');
    expect(await redis.client('LIST') as string).toMatch(/name=suite .*lib-name=ioredis/);
    expect(await errorOf(redis.call('client', 'frobnicate'))).toBe("ERR unknown subcommand 'frobnicate'. Try CLIENT HELP.");
    expect(await redis.call('command', 'count')).toBeGreaterThan(40);
    const [info] = await redis.call('command', 'info', 'get') as unknown[][];
    expect(info!.slice(0, 6)).toEqual(['get', 2, ['readonly', 'fast'], 1, 1, 1]);
    // Names that are properties of every JS object are not commands.
    expect(await redis.call('command', 'info', 'constructor', '__proto__', 'toString')).toEqual([null, null, null]);
    expect(await redis.call('command', 'docs', 'constructor')).toEqual([]);
    expect(await errorOf(redis.call('client', 'constructor'))).toBe("ERR unknown subcommand 'constructor'. Try CLIENT HELP.");
    expect(await redis.config('GET', 'save')).toEqual(['save', '']);
    expect(await redis.config('GET', 'appendonly')).toEqual(['appendonly', 'no']);
    expect(await redis.config('GET', 'no-such-setting')).toEqual([]);
    await redis.set('info:k', 'v');
    const text = await redis.info();
    expect(text).toMatch(/^# Server\r\n/);
    expect(text).toMatch(/\r\nredis_version:6\.2\.0\r\n/);
    expect(text).toMatch(/\r\nused_memory:\d+\r\n/);
    expect(text).toMatch(/\r\ntotal_commands_processed:\d+\r\n/);
    expect(text).toMatch(/\r\ndb0:keys=\d+,expires=\d+,avg_ttl=0\r\n/);
    expect(await redis.info('memory')).not.toMatch(/# Server/);
  });
});

describe('ioredis over RESP2', () => {
  it('the same basics work without HELLO 3', async () => {
    const r2 = new Redis({ port: node.respPort, host: '127.0.0.1', protocol: 2, lazyConnect: true, maxRetriesPerRequest: 0 });
    await r2.connect();
    try {
      expect(await r2.set('r2:k', 'v', 'EX', 50)).toBe('OK');
      expect(await r2.get('r2:k')).toBe('v');
      expect(await r2.mget('r2:k', 'r2:none')).toEqual(['v', null]);
      expect(await r2.config('GET', 'save')).toEqual(['save', '']);
      const hello = await r2.call('hello') as unknown[];
      expect(hello.slice(0, 2)).toEqual(['server', 'piccolo']);
      expect(hello[hello.indexOf('proto') + 1]).toBe(2);
      expect(await r2.info('keyspace')).toMatch(/^# Keyspace\r\n/);
    } finally {
      r2.disconnect();
    }
  });
});

// ZUNION / ZINTER / ZDIFF, their STORE forms and ZINTERCARD with plain sets
// as inputs (members scored 1), through ioredis on a real node, compared
// reply for reply with a real redis-server when one is installed. The node
// runs with small set thresholds so its inputs are an intset, a listpack and
// a hash set side by side.

import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRespNode, type RespNode } from './resp-node.js';
import { REDIS_SERVER_INSTALLED, startReferenceRedis, type ReferenceRedis } from './zset-reference.js';

let node: RespNode;
let reference: ReferenceRedis | null = null;

beforeAll(async () => {
  node = await startRespNode(['--set-max-intset-entries', '4', '--set-max-listpack-entries', '4']);
  if (REDIS_SERVER_INSTALLED) reference = await startReferenceRedis();
}, 60_000);

afterAll(async () => {
  await node?.stop();
  await reference?.stop();
});

const k = (name: string): string => `{t}${name}`;

const SETUP: (string | number)[][] = [
  ['sadd', k('ints'), 1, 2, 3],
  ['sadd', k('words'), 'a', 'b', 'c'],
  ['sadd', k('big'), 'a', 'x', 1, 5, 6, 7],
  ['zadd', k('z'), 1, 'a', 2, 'b', 5, '1', 7, 'x', -1, 'neg'],
  ['set', k('str'), 'text'],
];

const SCRIPT: (string | number)[][] = [
  ['zunion', 2, k('z'), k('ints'), 'WITHSCORES'],
  ['zunion', 3, k('ints'), k('words'), k('z'), 'WEIGHTS', 2, 3, 1, 'AGGREGATE', 'MAX', 'WITHSCORES'],
  ['zunion', 2, k('big'), k('z'), 'AGGREGATE', 'MIN', 'WITHSCORES'],
  ['zunion', 2, k('words'), k('none'), 'WEIGHTS', 'inf', 1, 'WITHSCORES'],
  ['zinter', 2, k('words'), k('z'), 'WEIGHTS', 10, 1, 'WITHSCORES'],
  ['zinter', 2, k('big'), k('z'), 'AGGREGATE', 'MIN', 'WITHSCORES'],
  ['zinter', 2, k('big'), k('ints')],
  ['zinter', 2, k('ints'), k('none')],
  ['zdiff', 2, k('big'), k('z'), 'WITHSCORES'],
  ['zdiff', 2, k('z'), k('words'), 'WITHSCORES'],
  ['zdiff', 3, k('big'), k('ints'), k('words')],
  ['zintercard', 2, k('big'), k('z')],
  ['zintercard', 2, k('big'), k('z'), 'LIMIT', 2],
  ['zintercard', 2, k('ints'), k('words')],
  ['zunionstore', k('dst'), 2, k('ints'), k('z')], ['zrange', k('dst'), 0, -1, 'WITHSCORES'],
  ['zinterstore', k('dst'), 2, k('big'), k('ints'), 'WEIGHTS', 2, 0.5], ['zrange', k('dst'), 0, -1, 'WITHSCORES'],
  ['zdiffstore', k('dst'), 2, k('big'), k('words')], ['zrange', k('dst'), 0, -1, 'WITHSCORES'],
  ['zinterstore', k('dst'), 2, k('words'), k('ints')], ['exists', k('dst')],
  ['zunionstore', k('big'), 1, k('big'), 'WEIGHTS', 3], ['type', k('big')], ['zrange', k('big'), 0, -1, 'WITHSCORES'],
  ['zunion', 2, k('z'), k('str')],
  ['zintercard', 2, k('ints'), k('str')],
];

/** A reply or its error text. */
async function outcome(r: Redis, cmd: (string | number)[]): Promise<unknown> {
  try {
    return await r.call(String(cmd[0]), ...cmd.slice(1).map(String));
  } catch (e) {
    return { error: (e as Error).message };
  }
}

async function connected(port: number): Promise<Redis> {
  const r = new Redis({ port, host: '127.0.0.1', protocol: 2, lazyConnect: true, maxRetriesPerRequest: 0 });
  await r.connect();
  return r;
}

describe('sorted-set algebra over plain sets, through ioredis', () => {
  it('reads the node\'s three set encodings', async () => {
    const r = await connected(node.respPort);
    try {
      for (const cmd of SETUP) await outcome(r, cmd);
      expect(await Promise.all(['ints', 'words', 'big'].map((n) => r.call('object', 'encoding', k(n))))).toEqual(['intset', 'listpack', 'hashtable']);
      expect(await r.call('zunion', 2, k('z'), k('ints'), 'WITHSCORES')).toEqual(['neg', '-1', '2', '1', '3', '1', 'a', '1', 'b', '2', '1', '6', 'x', '7']);
      expect(await r.call('zintercard', 2, k('big'), k('z'))).toBe(3);
      for (const cmd of SETUP) await r.call('del', String(cmd[1]));
    } finally {
      r.disconnect();
    }
  });

  it.skipIf(!REDIS_SERVER_INSTALLED)('answers as redis-server, command by command', async () => {
    const ours = await connected(node.respPort);
    const theirs = await connected(reference!.port);
    try {
      for (const cmd of [...SETUP, ...SCRIPT]) {
        expect(await outcome(ours, cmd), JSON.stringify(cmd)).toEqual(await outcome(theirs, cmd));
      }
    } finally {
      ours.disconnect();
      theirs.disconnect();
    }
  }, 30_000);
});

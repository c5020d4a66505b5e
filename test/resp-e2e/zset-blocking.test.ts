// BZPOPMIN / BZPOPMAX / BZMPOP on a real node: answered at once when a set
// has members, parked until a ZADD from another client otherwise, nil at the
// timeout (the blocking machinery the lists use: core/resp/blocking-calls.ts).
// Needs `npm run build`.

import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRespNode, type RespNode } from './resp-node.js';

let node: RespNode;
let a: Redis;
let b: Redis;

beforeAll(async () => {
  node = await startRespNode();
  a = new Redis({ port: node.respPort, lazyConnect: true, maxRetriesPerRequest: 0 });
  b = new Redis({ port: node.respPort, lazyConnect: true, maxRetriesPerRequest: 0 });
  await Promise.all([a.connect(), b.connect()]);
}, 20_000);
afterAll(async () => {
  a?.disconnect();
  b?.disconnect();
  await node?.stop();
});

describe('blocking sorted-set pops', () => {
  it('answer at once from a set with members, lowest or highest first', async () => {
    await a.zadd('{z}s', 1, 'one', 2, 'two', 3, 'three');
    expect(await a.bzpopmin('{z}empty', '{z}s', 1)).toEqual(['{z}s', 'one', '1']);
    expect(await a.bzpopmax('{z}s', 1)).toEqual(['{z}s', 'three', '3']);
    expect(await a.call('BZMPOP', '1', '2', '{z}empty', '{z}s', 'MIN', 'COUNT', '5')).toEqual(['{z}s', [['two', '2']]]);
    expect(await a.exists('{z}s')).toBe(0);
  });

  it('park until another client adds a member, and time out with nil', async () => {
    const waiting = a.bzpopmin('{z}later', 5);
    await new Promise((resolve) => setTimeout(resolve, 150));
    await b.zadd('{z}later', 7, 'seven');
    expect(await waiting).toEqual(['{z}later', 'seven', '7']);
    const started = Date.now();
    expect(await a.bzpopmax('{z}never', 0.2)).toBeNull();
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
  });
});

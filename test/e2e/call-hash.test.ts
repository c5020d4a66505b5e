// The `call` op end to end on a real node: the REST route POST /v1/call/{name},
// WebSocket JSON frames, and the typed client in both formats, with the hash
// commands, and the refusals at the door.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { connect } from '../../client/index.js';
import { startNode, type RunningNode } from './spawn-node.js';

let node: RunningNode | undefined;
beforeAll(async () => { node = await startNode(['--workers', '2']); });
afterAll(async () => { await node?.stop(); });

const url = (path: string): string => `${node!.baseUrl}${path}`;
const post = (path: string, body: string): Promise<Response> => fetch(url(path), { method: 'POST', body });

describe('REST POST /v1/call/{name}: refusals at the door', () => {
  it('a body that is not a JSON object, a body naming the command, bad args: 400 BAD_REQUEST with a clear message', async () => {
    const cases: [string, RegExp][] = [
      ['[1]', /body must be a JSON object/],
      ['{"op":"get","args":["k"]}', /named by the path/],
      ['{"args":"k"}', /args must be an array/],
      ['{"args":["k"],"argsBase64":["aw=="]}', /args or argsBase64, not both/],
      ['{"args":["k"],"ttl":5}', /unknown field "ttl"/],
    ];
    for (const [body, message] of cases) {
      const res = await post('/v1/call/hget', body);
      expect(res.status, body).toBe(400);
      const json = await res.json() as { error: { code: string; message: string } };
      expect(json.error.code).toBe('BAD_REQUEST');
      expect(json.error.message).toMatch(message);
    }
  });

  it('only POST: GET is 405 with Allow', async () => {
    const res = await fetch(url('/v1/call/hget'));
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST, OPTIONS');
  });
});

describe('hash commands through every door', () => {
  it('REST: hset, hget, hgetall; the name is case-insensitive', async () => {
    const set = await post('/v1/call/HSET', JSON.stringify({ args: ['rest:h', 'name', 'Ada', 'lang', 'en'] }));
    expect(set.status).toBe(200);
    expect(await set.json()).toMatchObject({ ok: true, data: 2 });
    expect(await (await post('/v1/call/hget', '{"args":["rest:h","name"]}')).json()).toEqual({ ok: true, data: 'Ada' });
    expect(await (await post('/v1/call/hget', '{"args":["rest:h","none"]}')).json()).toEqual({ ok: true, data: null });
    expect(await (await post('/v1/call/hgetall', '{"args":["rest:h"]}')).json()).toEqual({ ok: true, data: { name: 'Ada', lang: 'en' } });
  });

  it('WebSocket JSON frames', async () => {
    const ws = new WebSocket(node!.wsUrl);
    await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
    const replies: unknown[] = [];
    const done = new Promise<void>((resolve) => ws.on('message', (m) => { replies.push(JSON.parse(String(m))); if (replies.length === 2) resolve(); }));
    ws.send(JSON.stringify({ id: 1, op: 'call', name: 'hset', args: ['ws:h', 'f', 'v'] }));
    ws.send(JSON.stringify({ id: 2, op: 'call', name: 'hget', args: ['ws:h', 'f'] }));
    await done;
    ws.close();
    expect(replies).toMatchObject([{ id: 1, ok: true, data: 1 }, { id: 2, ok: true, data: 'v' }]);
  });

  for (const format of ['binary', 'json'] as const) {
    it(`the typed client (${format}): hset, hget, hgetall, call, and in a transaction`, async () => {
      const db = await connect(node!.wsUrl, { format, dataBytesAs: 'text' });
      try {
        const key = `client:${format}`;
        expect(await db.hset(key, { name: 'Ada', lang: 'en' })).toBe(2);
        expect(await db.hget(key, 'name')).toBe('Ada');
        expect(await db.hget(key, 'none')).toBeNull();
        expect(await db.hgetall(key)).toEqual(new Map([['name', 'Ada'], ['lang', 'en']]));
        expect(await db.call('HGET', key, 'lang')).toBe('en');
        const outcome = await db.transaction((tx) => ({ set: tx.hset(`{${key}}t`, [['a', '1']]), get: tx.hget(`{${key}}t`, 'a') }));
        expect(outcome.committed).toBe(true);
        if (outcome.committed) expect([outcome.result.set.value, outcome.result.get.value]).toEqual([1, '1']);
      } finally {
        await db.close();
      }
    });
  }
});

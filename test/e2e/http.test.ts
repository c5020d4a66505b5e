// REST front door against a real node.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNode, type RunningNode } from './spawn-node.js';

let node: RunningNode;
beforeAll(async () => { node = await startNode(['--workers', '2']); });
afterAll(async () => { await node?.stop(); });

const url = (path: string): string => `${node.baseUrl}${path}`;

describe('HTTP /v1/kv', () => {
  it('PUT then GET returns the raw value (the README curl example)', async () => {
    const put = await fetch(url('/v1/kv/k'), { method: 'PUT', body: 'v' });
    expect(put.status).toBe(200);
    const putBody = await put.json() as { version: number };
    expect(putBody.version).toBeGreaterThan(0);
    const get = await fetch(url('/v1/kv/k'));
    expect(get.status).toBe(200);
    expect(get.headers.get('content-type')).toBe('application/octet-stream');
    expect(await get.text()).toBe('v');
    expect(get.headers.get('x-piccolo-version')).toBe(String(putBody.version));
  });

  it('a missing key is 404 with a JSON error body', async () => {
    const res = await fetch(url('/v1/kv/no-such-key'));
    expect(res.status).toBe(404);
    const body = await res.json() as { error: { code: string; number: number; message: string } };
    expect(body.error.code).toBe('NOT_FOUND');
    expect(body.error.number).toBe(10);
  });

  it('percent-encoded binary keys and octet-stream values round-trip', async () => {
    const value = new Uint8Array([0, 255, 1, 254, 10, 13]);
    const put = await fetch(url('/v1/kv/%FF%00bin%20key'), { method: 'PUT', body: value, headers: { 'content-type': 'application/octet-stream' } });
    expect(put.status).toBe(200);
    const get = await fetch(url('/v1/kv/%FF%00bin%20key'));
    expect(new Uint8Array(await get.arrayBuffer())).toEqual(value);
    const asJson = await fetch(url('/v1/kv/%FF%00bin%20key'), { headers: { accept: 'application/json' } });
    const body = await asJson.json() as Record<string, unknown>;
    expect(body.valueBase64).toBe(Buffer.from(value).toString('base64'));
  });

  it('CAS via If-Match and version query: mismatch is 409 with the current version', async () => {
    const first = await (await fetch(url('/v1/kv/cas-key'), { method: 'PUT', body: 'a' })).json() as { version: number };
    const bad = await fetch(url('/v1/kv/cas-key?version=999999'), { method: 'PUT', body: 'b' });
    expect(bad.status).toBe(409);
    const badBody = await bad.json() as { error: { code: string; currentVersion: number } };
    expect(badBody.error.code).toBe('VERSION_MISMATCH');
    expect(badBody.error.currentVersion).toBe(first.version);
    const good = await fetch(url('/v1/kv/cas-key'), { method: 'PUT', body: 'b', headers: { 'if-match': `"${first.version}"` } });
    expect(good.status).toBe(200);
    expect(await (await fetch(url('/v1/kv/cas-key'))).text()).toBe('b');
  });

  it('POST modify ops: incr, append, cas', async () => {
    const incr = await fetch(url('/v1/kv/counter'), { method: 'POST', body: JSON.stringify({ op: 'incr', delta: 5 }) });
    expect(incr.status).toBe(200);
    expect((await incr.json() as { integer: number }).integer).toBe(5);
    const incr2 = await fetch(url('/v1/kv/counter'), { method: 'POST', body: JSON.stringify({ op: 'incr', delta: -7 }) });
    expect((await incr2.json() as { integer: number }).integer).toBe(-2);
    await fetch(url('/v1/kv/text'), { method: 'PUT', body: 'abc' });
    const app = await fetch(url('/v1/kv/text'), { method: 'POST', body: JSON.stringify({ op: 'append', value: 'def' }) });
    expect((await app.json() as { integer: number }).integer).toBe(6);
    const wrong = await fetch(url('/v1/kv/text'), { method: 'POST', body: JSON.stringify({ op: 'incr', delta: 1 }) });
    expect(wrong.status).toBe(409);
    expect((await wrong.json() as { error: { code: string } }).error.code).toBe('WRONG_TYPE');
    const get = await (await fetch(url('/v1/kv/text'), { headers: { accept: 'application/json' } })).json() as { version: number };
    const cas = await fetch(url('/v1/kv/text'), { method: 'POST', body: JSON.stringify({ op: 'cas', expectedVersion: get.version, value: 'xyz' }) });
    expect(cas.status).toBe(200);
    const bad = await fetch(url('/v1/kv/text'), { method: 'POST', body: 'not json' });
    expect(bad.status).toBe(400);
  });

  it('DELETE removes; a second DELETE is 404', async () => {
    await fetch(url('/v1/kv/gone'), { method: 'PUT', body: 'x' });
    expect((await fetch(url('/v1/kv/gone'), { method: 'DELETE' })).status).toBe(200);
    expect((await fetch(url('/v1/kv/gone'), { method: 'DELETE' })).status).toBe(404);
    expect((await fetch(url('/v1/kv/gone'))).status).toBe(404);
  });

  it('TTL expires keys', async () => {
    await fetch(url('/v1/kv/short?ttlMs=400'), { method: 'PUT', body: 'x' });
    expect((await fetch(url('/v1/kv/short'))).status).toBe(200);
    await new Promise((r) => setTimeout(r, 600));
    expect((await fetch(url('/v1/kv/short'))).status).toBe(404);
  });

  it('scan by prefix pages through every key exactly once', async () => {
    const keys = Array.from({ length: 250 }, (_, i) => `scan:${String(i).padStart(4, '0')}`);
    await Promise.all(keys.map((k) => fetch(url(`/v1/kv/${k}`), { method: 'PUT', body: k })));
    const seen: string[] = [];
    let cursor = '';
    for (let page = 0; page < 100; page++) {
      const res = await fetch(url(`/v1/kv?prefix=scan:&limit=40${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`));
      expect(res.status).toBe(200);
      const body = await res.json() as { items: { key: string; value: string }[]; cursor: string };
      for (const item of body.items) {
        expect(item.value).toBe(item.key);
        seen.push(item.key);
      }
      cursor = body.cursor;
      if (!cursor) break;
    }
    expect(seen.sort()).toEqual(keys);
  });

  it('limits are enforced at the edge with clear errors', async () => {
    const longKey = 'k'.repeat(16 * 1024 + 1);
    const res = await fetch(url(`/v1/kv/${longKey}`));
    expect(res.status).toBe(414);
    expect((await res.json() as { error: { code: string } }).error.code).toBe('KEY_TOO_LONG');
    const badLimit = await fetch(url('/v1/kv?limit=abc'));
    expect(badLimit.status).toBe(400);
    const unknown = await fetch(url('/nope'));
    expect(unknown.status).toBe(404);
  });

  it('healthz reports workers', async () => {
    const res = await fetch(url('/healthz'));
    expect(res.status).toBe(200);
    const body = await res.json() as { status: string; workers: unknown[] };
    expect(body.status).toBe('ok');
    expect(body.workers).toHaveLength(2);
  });
});

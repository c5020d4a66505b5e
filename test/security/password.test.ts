// One password on every door, through one PasswordGate: HTTP bearer, the
// WebSocket header or auth frame (typed client both ways, raw `ws` for the
// refusals), RESP AUTH with ioredis; a change at run time; failures counted.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { connect, ConnectError, type PiccoloClient } from '../../client/index.js';
import { decodeResponse, encodeRequest } from '../../schema/binary-codec.js';
import { startTestNode, sleep, type TestNode } from './security-node.js';

const PASSWORD = 's3cret-pass';
/** Short, so the test of sockets that never authenticate is quick. */
const AUTH_TIMEOUT_MS = 300;

let node: TestNode;
beforeAll(async () => { node = await startTestNode({ requirePass: PASSWORD, wsAuthTimeoutMs: AUTH_TIMEOUT_MS }); });
afterAll(async () => { await node?.server.close(); });

const bearer = (password: string): Record<string, string> => ({ authorization: `Bearer ${password}` });

/** A raw WebSocket; resolves once open (or rejects with the refused upgrade's status). */
function rawSocket(headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(node.wsUrl, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

const closeOf = (ws: WebSocket): Promise<{ code: number; reason: string }> =>
  new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));

const firstMessage = (ws: WebSocket): Promise<string> =>
  new Promise((resolve) => ws.once('message', (data) => resolve(data.toString())));

describe('HTTP', () => {
  it('without a password or with a wrong one: 401, WWW-Authenticate: Bearer, UNAUTHORIZED; counted', async () => {
    const before = node.authFailures.length;
    for (const headers of [{}, bearer('wrong'), { authorization: `Basic ${btoa(`default:${PASSWORD}`)}` }]) {
      const res = await fetch(`${node.baseUrl}/v1/kv/k`, { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      const body = await res.json() as { error: { code: string; number: number } };
      expect(body.error).toMatchObject({ code: 'UNAUTHORIZED', number: 17 });
    }
    expect(node.authFailures.slice(before)).toEqual(['http', 'http', 'http']);
  });

  it('with the password every route works', async () => {
    const put = await fetch(`${node.baseUrl}/v1/kv/k`, { method: 'PUT', body: 'v', headers: bearer(PASSWORD) });
    expect(put.status).toBe(200);
    const get = await fetch(`${node.baseUrl}/v1/kv/k`, { headers: bearer(PASSWORD) });
    expect(await get.text()).toBe('v');
    const scan = await fetch(`${node.baseUrl}/v1/kv?prefix=k`, { headers: { authorization: `bearer  ${PASSWORD}` } });
    expect(scan.status).toBe(200);
  });

  it('/healthz stays open for probes but shows only the status without the password', async () => {
    const before = node.authFailures.length;
    const open = await fetch(`${node.baseUrl}/healthz`);
    expect(open.status).toBe(200);
    expect(await open.json()).toEqual({ status: 'ok' });
    const full = await (await fetch(`${node.baseUrl}/healthz`, { headers: bearer(PASSWORD) })).json() as Record<string, unknown>;
    expect(Object.keys(full)).toEqual(expect.arrayContaining(['status', 'workers', 'keys', 'connections', 'uptimeMs']));
    expect(node.authFailures.length).toBe(before);
  });
});

describe('WebSocket', () => {
  it('the typed client in Node sends the Authorization header', async () => {
    const kv = await connect(node.wsUrl, { password: PASSWORD });
    await kv.set('ws-header', 'yes');
    expect(await kv.getString('ws-header')).toBe('yes');
    await kv.close();
  });

  it('the typed client can authenticate with the auth frame, as in a browser, in both formats', async () => {
    for (const format of ['binary', 'json'] as const) {
      const kv = await connect(node.wsUrl, { password: PASSWORD, passwordVia: 'frame', format });
      await kv.set(`ws-frame-${format}`, format);
      expect(await kv.getString(`ws-frame-${format}`)).toBe(format);
      await kv.close();
    }
    // A WebSocket the caller passes cannot be assumed to send headers: the frame is used.
    const kv = await connect(node.wsUrl, { password: PASSWORD, WebSocket: WebSocket as never });
    expect(await kv.getString('ws-frame-json')).toBe('json');
    await kv.close();
  });

  it('a wrong password fails connect() with ConnectError on both paths; counted under ws', async () => {
    const before = node.authFailures.length;
    for (const passwordVia of ['header', 'frame'] as const) {
      const failed = await connect(node.wsUrl, { password: 'wrong', passwordVia }).then((c: PiccoloClient) => c, (e: unknown) => e);
      expect(failed).toBeInstanceOf(ConnectError);
    }
    const refused = await connect(node.wsUrl, { password: 'wrong', passwordVia: 'frame' }).catch((e: Error) => e.message);
    expect(refused).toContain('4401 wrong password');
    expect(node.authFailures.slice(before)).toEqual(['ws', 'ws', 'ws']);
  });

  it('a raw upgrade with a wrong Authorization header is refused with 401', async () => {
    await expect(rawSocket(bearer('wrong'))).rejects.toThrow('upgrade refused: 401');
  });

  it('before auth, any other frame closes with 4401; the auth frame is answered {"id":..,"ok":true}', async () => {
    const json = await rawSocket();
    const closedJson = closeOf(json);
    json.send(JSON.stringify({ id: 1, op: 'get', key: 'k' }));
    expect((await closedJson).code).toBe(4401);

    const binary = await rawSocket();
    const closedBinary = closeOf(binary);
    binary.send(encodeRequest(1n, { op: 'get', key: new TextEncoder().encode('k') }));
    expect(await closedBinary).toMatchObject({ code: 4401 });

    const good = await rawSocket();
    const reply = firstMessage(good);
    good.send(JSON.stringify({ id: 'a1', op: 'auth', password: PASSWORD }));
    expect(JSON.parse(await reply)).toEqual({ id: 'a1', ok: true });
    // A Cap'n Proto client goes on in binary after the JSON auth frame.
    const answer = new Promise<Buffer>((resolve) => good.once('message', (data: Buffer) => resolve(data)));
    good.send(encodeRequest(7n, { op: 'get', key: new TextEncoder().encode('k') }));
    const decoded = decodeResponse(new Uint8Array(await answer));
    expect(decoded.id).toBe(7n);
    expect(decoded.reply).toMatchObject({ ok: true, found: true });
    good.close();
  });

  it('a wrong password in the auth frame closes with 4401', async () => {
    const ws = await rawSocket();
    const closed = closeOf(ws);
    ws.send(JSON.stringify({ id: 1, op: 'auth', password: 'nope' }));
    expect(await closed).toEqual({ code: 4401, reason: 'wrong password' });
  });

  it('a socket that never authenticates is closed after the auth timeout', async () => {
    const ws = await rawSocket();
    const startedMs = Date.now();
    const closed = await closeOf(ws);
    expect(closed.code).toBe(4401);
    expect(closed.reason).toContain(`no authentication within ${AUTH_TIMEOUT_MS} ms`);
    expect(Date.now() - startedMs).toBeLessThan(AUTH_TIMEOUT_MS * 10);
  });
});

describe('RESP', () => {
  const unauthenticated = async (): Promise<Redis> => {
    const redis = new Redis({
      port: node.server.respPort!, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, enableReadyCheck: false, protocol: 2,
    });
    await redis.connect();
    return redis;
  };

  it('AUTH goes through the gate; a password changed at run time applies to new AUTHs only', async () => {
    const before = node.authFailures.length;
    const redis = await unauthenticated();
    await expect(redis.get('k')).rejects.toThrow('NOAUTH');
    await expect(redis.auth('wrong')).rejects.toThrow('WRONGPASS');
    expect(await redis.auth(PASSWORD)).toBe('OK');
    expect(await redis.get('k')).toBe('v');

    node.server.passwordGate.set('changed');
    try {
      const fresh = await unauthenticated();
      await expect(fresh.auth(PASSWORD)).rejects.toThrow('WRONGPASS');
      expect(await fresh.auth('changed')).toBe('OK');
      fresh.disconnect();
      // ioredis's own password option (HELLO 3 AUTH) meets the new password too.
      const viaHello = new Redis({ port: node.server.respPort!, host: '127.0.0.1', password: 'changed', lazyConnect: true, maxRetriesPerRequest: 0 });
      await viaHello.connect();
      expect(await viaHello.get('k')).toBe('v');
      viaHello.disconnect();
      // Already authenticated connections stay so, as in Redis.
      expect(await redis.get('k')).toBe('v');
      // HTTP follows the same gate.
      expect((await fetch(`${node.baseUrl}/v1/kv/k`, { headers: bearer('changed') })).status).toBe(200);
      expect((await fetch(`${node.baseUrl}/v1/kv/k`, { headers: bearer(PASSWORD) })).status).toBe(401);
    } finally {
      node.server.passwordGate.set(PASSWORD);
    }
    redis.disconnect();
    expect(node.authFailures.slice(before)).toEqual(['resp', 'resp', 'http']);
  });
});

describe('without a password', () => {
  it('every door is open and the client password is accepted (auth frame answered ok)', async () => {
    const open = await startTestNode();
    try {
      expect((await fetch(`${open.baseUrl}/v1/kv/x`)).status).toBe(404);
      const kv = await connect(open.wsUrl, { password: 'anything', passwordVia: 'frame' });
      await kv.set('x', '1');
      await kv.close();
      expect(open.authFailures).toEqual([]);
      await sleep(0);
    } finally {
      await open.server.close();
    }
  });
});

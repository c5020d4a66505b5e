// Browsers and other protocols: the Origin allow list on HTTP (CORS,
// preflight) and WebSocket upgrades, the RESP door closing on HTTP requests
// (cross-protocol attacks), and REST strictness (unknown query parameters,
// 405 with Allow).
import { connect as connectTcp } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { normalizeOrigin, OriginPolicy } from '../../runtime-node/security/origin-policy.js';
import { RawClient } from '../resp-e2e/resp-node.js';
import { startTestNode, type TestNode } from './security-node.js';

const APP = 'https://app.example.com';
let node: TestNode;
beforeAll(async () => { node = await startTestNode({ allowOrigins: [APP, 'http://localhost:3000'] }); });
afterAll(async () => { await node?.server.close(); });

const url = (path: string): string => `${node.baseUrl}${path}`;

/** Opens a raw WebSocket with these headers; resolves 'open' or the refused upgrade's status and body. */
function upgrade(headers: Record<string, string>): Promise<{ status: number; body: string } | 'open'> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(node.wsUrl, { headers });
    ws.once('open', () => { ws.close(); resolve('open'); });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => { body += d; }).on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.once('error', reject);
  });
}

describe('origins', () => {
  it('an allowed Origin gets CORS headers (any case, default port)', async () => {
    await fetch(url('/v1/kv/c'), { method: 'PUT', body: 'v' });
    const res = await fetch(url('/v1/kv/c'), { headers: { origin: 'HTTPS://App.Example.com:443' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('HTTPS://App.Example.com:443');
    expect(res.headers.get('vary')).toBe('Origin');
    expect(res.headers.get('access-control-expose-headers')).toBe('etag, x-piccolo-version');
  });

  it('another Origin is refused with 403 FORBIDDEN_ORIGIN, even when it matches Host (DNS rebinding)', async () => {
    for (const origin of ['https://evil.example', 'http://app.example.com', node.baseUrl, 'null']) {
      const res = await fetch(url('/v1/kv/c'), { method: 'PUT', body: 'x', headers: { origin } });
      expect(res.status, origin).toBe(403);
      const body = await res.json() as { error: { code: string; number: number } };
      expect(body.error).toMatchObject({ code: 'FORBIDDEN_ORIGIN', number: 18 });
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    }
    expect(await (await fetch(url('/v1/kv/c'))).text()).toBe('v');
  });

  it('a preflight from an allowed origin is 204 with methods and headers; a forbidden one is 403', async () => {
    const res = await fetch(url('/v1/kv/c'), {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'authorization, if-match' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    expect(res.headers.get('access-control-allow-methods')).toContain('PUT');
    for (const header of ['Authorization', 'Content-Type', 'If-Match', 'If-None-Match']) {
      expect(res.headers.get('access-control-allow-headers')).toContain(header);
    }
    const refused = await fetch(url('/v1/kv/c'), { method: 'OPTIONS', headers: { origin: 'https://evil.example' } });
    expect(refused.status).toBe(403);
  });

  it('WebSocket upgrades: a forbidden Origin is 403, an allowed one or none opens', async () => {
    const refused = await upgrade({ origin: 'https://evil.example' });
    expect(refused).not.toBe('open');
    expect((refused as { status: number }).status).toBe(403);
    expect(JSON.parse((refused as { body: string }).body).error.code).toBe('FORBIDDEN_ORIGIN');
    expect(await upgrade({ origin: APP })).toBe('open');
    expect(await upgrade({})).toBe('open');
  });

  it('the allow list normalizes entries, and refuses ones that are not origins', () => {
    expect(normalizeOrigin('HTTPS://Example.COM:443')).toBe('https://example.com');
    expect(normalizeOrigin('http://example.com:8080/')).toBe('http://example.com:8080');
    for (const bad of ['example.com', 'https://example.com/path', 'https://example.com?q', 'null', '']) expect(normalizeOrigin(bad), bad).toBeNull();
    expect(() => new OriginPolicy(['https://example.com/app'])).toThrow(TypeError);
    const any = new OriginPolicy(['*']);
    expect(any.judge('https://whatever.example')).toBe('allowed');
    expect(any.judge('')).toBe('none');
    expect(new OriginPolicy([]).judge('https://example.com')).toBe('forbidden');
  });
});

describe('REST strictness', () => {
  const errorOf = async (res: Response): Promise<{ code: string; message: string }> => ((await res.json()) as { error: { code: string; message: string } }).error;

  it('an unknown query parameter is 400 BAD_REQUEST naming it, and nothing is written', async () => {
    const res = await fetch(url('/v1/kv/strict?ttl=1000'), { method: 'PUT', body: 'v' });
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toContain('"ttl"');
    expect(error.message).toContain('ttlMs');
    expect((await fetch(url('/v1/kv/strict'))).status).toBe(404);
    for (const path of ['/v1/kv/strict?x=1', '/v1/kv?limit=1&pfx=a', '/healthz?verbose=1']) {
      expect((await fetch(url(path))).status, path).toBe(400);
    }
    expect((await fetch(url('/v1/kv/strict?x=1'), { method: 'DELETE' })).status).toBe(400);
  });

  it('a method a path does not serve is 405 METHOD_NOT_ALLOWED with Allow', async () => {
    for (const [method, path, allow] of [['PATCH', '/v1/kv/k', 'GET, PUT, DELETE, POST, OPTIONS'], ['PUT', '/v1/kv', 'GET, OPTIONS'], ['POST', '/healthz', 'GET, OPTIONS']] as const) {
      const res = await fetch(url(path), { method, body: method === 'PATCH' || method === 'PUT' || method === 'POST' ? 'x' : undefined });
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.headers.get('allow')).toBe(allow);
      expect((await errorOf(res)).code).toBe('METHOD_NOT_ALLOWED');
    }
  });
});

describe('RESP cross-protocol guard', () => {
  it('closes a connection that sends an HTTP POST, running nothing after it, and logs one warning', async () => {
    const before = node.logLines.length;
    const c = await RawClient.connect(node.server.respPort!);
    c.write('POST / HTTP/1.1\r\nHost: 127.0.0.1:6380\r\nContent-Type: text/plain\r\nContent-Length: 15\r\n\r\nSET pwned yes\r\n');
    await c.closed;
    expect(c.received.length).toBe(0);
    expect(node.logLines.slice(before).filter((l) => l.includes('SECURITY ATTACK'))).toHaveLength(1);
    const check = await RawClient.connect(node.server.respPort!);
    check.write('EXISTS pwned\r\n');
    expect((await check.waitFor((b) => b.length >= 4)).toString()).toBe(':0\r\n');
    check.close();
  });

  it('an HTTP GET is stopped at its Host: line; a RESP GET / still works', async () => {
    const c = await RawClient.connect(node.server.respPort!);
    c.write('GET / HTTP/1.1\r\nhost: x\r\nSET pwned2 yes\r\n');
    await c.closed;
    expect(c.received.toString()).not.toContain('+OK');
    const ok = await RawClient.connect(node.server.respPort!);
    ok.write('SET / root\r\nGET /\r\n');
    expect((await ok.waitFor((b) => b.toString().endsWith('root\r\n'))).toString()).toBe('+OK\r\n$4\r\nroot\r\n');
    ok.write('EXISTS pwned2\r\n');
    expect((await ok.waitFor((b) => b.toString().endsWith(':0\r\n'))).toString()).toContain(':0\r\n');
    ok.close();
  });

  it('a browser-style request over plain TCP (what a web page can make) gets no RESP reply', async () => {
    const socket = connectTcp({ host: '127.0.0.1', port: node.server.respPort! });
    let received = '';
    socket.setEncoding('utf8').on('data', (d: string) => { received += d; });
    socket.write('post /x HTTP/1.1\r\nHost: a\r\n\r\n');
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    expect(received).toBe('');
  });
});

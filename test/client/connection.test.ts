// Connection behaviour that a healthy node never shows, against a scripted
// WebSocket server (the `ws` package): the in-flight bound, timeouts with
// late replies, replies that do not match, the server closing mid-call,
// refused and failed connects.

import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import {
  connect, ConnectError, ConnectionClosedError, PiccoloError, TimeoutError, type PiccoloClient,
} from '../../client/index.js';
import { DEFAULT_LIMITS } from '../../core/limits.js';
import type { Reply } from '../../core/protocol/ops.js';
import { decodeRequest, encodeResponse } from '../../schema/binary-codec.js';
import { decodeJsonRequest, encodeJsonResponse } from '../../schema/json-codec.js';

interface Received { id: bigint | number | string | null; op: string; binary: boolean; socket: WebSocket }

/** A server that records requests and answers only when the test says so. */
class ScriptedServer {
  readonly received: Received[] = [];
  readonly paths: string[] = [];
  private waiters: (() => void)[] = [];
  private constructor(readonly wss: WebSocketServer, readonly port: number) {
    wss.on('connection', (socket, req) => {
      this.paths.push(req.url ?? '');
      socket.on('message', (data: Buffer, isBinary: boolean) => {
        const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
        if (isBinary) {
          const d = decodeRequest(bytes, DEFAULT_LIMITS);
          this.received.push({ id: d.id, op: d.ok ? d.request.op : 'bad', binary: true, socket });
        } else {
          const d = decodeJsonRequest(data.toString('utf8'), DEFAULT_LIMITS);
          this.received.push({ id: d.id ?? null, op: d.ok ? d.request.op : 'bad', binary: false, socket });
        }
        for (const wake of this.waiters.splice(0)) wake();
      });
    });
  }

  static async start(): Promise<ScriptedServer> {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    return new ScriptedServer(wss, (wss.address() as AddressInfo).port);
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}/v1/ws`;
  }

  async waitForRequests(count: number): Promise<void> {
    const deadline = Date.now() + 5000;
    while (this.received.length < count) {
      if (Date.now() > deadline) throw new Error(`only ${this.received.length} of ${count} requests arrived`);
      await new Promise<void>((resolve) => { this.waiters.push(resolve); setTimeout(resolve, 50); });
    }
  }

  /** Answers received[index] with `reply` (under `id` when given, to fake a wrong id). */
  answer(index: number, reply: Reply, id?: bigint): void {
    const r = this.received[index]!;
    if (r.binary) r.socket.send(encodeResponse(id ?? (r.id as bigint), reply));
    else r.socket.send(encodeJsonResponse(id === undefined ? r.id : Number(id), reply), { binary: false });
  }

  async close(): Promise<void> {
    for (const client of this.wss.clients) client.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}

const okInt = (n: number): Reply => ({ ok: true, integer: BigInt(n), version: 1 });
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

let server: ScriptedServer | null = null;
let client: PiccoloClient | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
  client = null;
});

async function rejection(promise: Promise<unknown>): Promise<PiccoloError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(PiccoloError);
  return error as PiccoloError;
}

describe('connection', () => {
  it('keeps at most pipelineMax requests on the wire; the rest wait in the client', async () => {
    server = await ScriptedServer.start();
    client = await connect(server.url, { pipelineMax: 3 });
    const calls = Array.from({ length: 8 }, (_, i) => client!.incr(`k${i}`));
    await server.waitForRequests(3);
    await sleep(50);
    expect(server.received).toHaveLength(3);
    expect(client.pendingCount).toBe(8);
    server.answer(0, okInt(100));
    await server.waitForRequests(4);
    await sleep(50);
    expect(server.received).toHaveLength(4);
    for (let i = 1; i < 8; i++) {
      server.answer(i, okInt(100 + i));
      await server.waitForRequests(Math.min(i + 4, 8));
    }
    expect(await Promise.all(calls)).toEqual(Array.from({ length: 8 }, (_, i) => BigInt(100 + i)));
    // Ids are sent in call order.
    expect(server.received.map((r) => Number(r.id))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    await client.close();
  });

  it('refuses calls with OVERLOADED once waitingBytesMax bytes wait', async () => {
    server = await ScriptedServer.start();
    client = await connect(server.url, { pipelineMax: 1, waitingBytesMax: 1 });
    const sent = client.incr('a');
    const waiting = client.incr('b'); // one call may always wait
    const refused = await rejection(client.incr('c'));
    expect(refused.code).toBe('OVERLOADED');
    expect(refused.message).toMatch(/await earlier calls first/);
    await server.waitForRequests(1);
    server.answer(0, okInt(1));
    await server.waitForRequests(2);
    server.answer(1, okInt(2));
    expect([await sent, await waiting]).toEqual([1n, 2n]);
    expect(server.received.map((r) => r.op)).toEqual(['incr', 'incr']);
    await client.close();
  });

  it('times out unanswered calls, consumes their late replies, and carries on', async () => {
    server = await ScriptedServer.start();
    client = await connect(server.url, { requestTimeoutMs: 150, pipelineMax: 1 });
    const started = Date.now();
    const first = client.incr('a');
    const queued = client.incr('b'); // waits behind the first: pipelineMax 1
    const firstError = await rejection(first);
    expect(firstError).toBeInstanceOf(TimeoutError);
    expect(firstError.code).toBe('TIMEOUT');
    expect(firstError.message).toMatch(/incr got no reply within 150 ms/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect((await rejection(queued)).code).toBe('TIMEOUT'); // timed out before it was ever sent
    expect(server.received).toHaveLength(1);

    const later = client.incr('c');
    server.answer(0, okInt(1)); // the late reply to the first call frees the slot
    await server.waitForRequests(2);
    expect(server.received[1]!.op).toBe('incr');
    server.answer(1, okInt(42));
    expect(await later).toBe(42n);
    expect(client.isOpen).toBe(true);
    await client.close();
  });

  it('fails everything when a reply does not match the oldest request', async () => {
    server = await ScriptedServer.start();
    client = await connect(server.url);
    const a = client.incr('a');
    const b = client.incr('b');
    await server.waitForRequests(2);
    server.answer(0, okInt(1), 2n); // the second request's id first
    const error = await rejection(a);
    expect(error).toBeInstanceOf(ConnectionClosedError);
    expect(error.message).toMatch(/protocol error: reply id 2 does not match .*id 1/);
    expect((await rejection(b)).code).toBe('CONNECTION_CLOSED');
    expect(client.isOpen).toBe(false);
    expect((await rejection(client.get('x'))).code).toBe('CONNECTION_CLOSED');
  });

  it('fails everything on a reply frame that is not a Response', async () => {
    server = await ScriptedServer.start();
    client = await connect(server.url);
    const a = client.get('a');
    await server.waitForRequests(1);
    server.received[0]!.socket.send(new Uint8Array([1, 2, 3]));
    const error = await rejection(a);
    expect(error.code).toBe('CONNECTION_CLOSED');
    expect(error.message).toMatch(/protocol error: unreadable binary reply/);
  });

  it('rejects pending calls with ConnectionClosedError when the server closes', async () => {
    server = await ScriptedServer.start();
    client = await connect(server.url);
    const calls = [client.get('a'), client.set('b', 'v'), client.incr('c')];
    await server.waitForRequests(3);
    server.received[0]!.socket.close(4001, 'bad frame: test');
    for (const call of calls) {
      const error = await rejection(call);
      expect(error).toBeInstanceOf(ConnectionClosedError);
      expect((error as ConnectionClosedError).closeCode).toBe(4001);
      expect(error.message).toMatch(/closed \(4001 bad frame: test\)/);
    }
    expect((await rejection(client.get('a'))).code).toBe('CONNECTION_CLOSED');
    await client.close(); // closing a closed client is fine
  });

  it('sends text frames in the json format and reads text replies', async () => {
    server = await ScriptedServer.start();
    client = await connect(server.url, { format: 'json' });
    const call = client.incr('a', 2n ** 60n);
    await server.waitForRequests(1);
    expect(server.received[0]).toMatchObject({ binary: false, op: 'incr', id: 1 });
    server.answer(0, { ok: true, integer: 2n ** 60n + 1n, version: 3 });
    expect(await call).toBe(2n ** 60n + 1n);
    await client.close();
  });

  it('adds the /v1/ws path to a bare URL and accepts an explicit WebSocket class', async () => {
    server = await ScriptedServer.start();
    client = await connect(`ws://127.0.0.1:${server.port}`, { WebSocket });
    expect(client.url).toBe(server.url);
    await client.close();
    expect(server.paths).toEqual(['/v1/ws']);
  });

  it('refuses a request frame over frameBytesMax without sending it', async () => {
    server = await ScriptedServer.start();
    client = await connect(server.url, { frameBytesMax: 256 });
    const error = await rejection(client.set('k', 'x'.repeat(300)));
    expect(error.code).toBe('FRAME_TOO_LARGE');
    const ok = client.get('k');
    await server.waitForRequests(1);
    expect(server.received[0]!.op).toBe('get'); // the big set never went out
    server.answer(0, { ok: true, found: false });
    expect(await ok).toBeNull();
    await client.close();
  });

  it('checks its options', async () => {
    await expect(connect('ws://127.0.0.1:1', { pipelineMax: 0 })).rejects.toThrow(/pipelineMax/);
    await expect(connect('ws://127.0.0.1:1', { requestTimeoutMs: -1 })).rejects.toThrow(/requestTimeoutMs/);
    await expect(connect('ws://127.0.0.1:1', { format: 'xml' as 'json' })).rejects.toThrow(/format/);
  });
});

describe('connect failures', () => {
  it('reports a refused connection as ConnectError', async () => {
    // A port that was just free: nothing listens there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const error = await rejection(connect(`ws://127.0.0.1:${port}/v1/ws`));
    expect(error).toBeInstanceOf(ConnectError);
    expect(error.code).toBe('CONNECT_FAILED');
    expect(error.number).toBe(-1);
    expect((error as ConnectError).detail).toMatch(/ECONNREFUSED/);
    expect(error.message).toContain(`ws://127.0.0.1:${port}/v1/ws`);
  });

  it('reports a refused upgrade and a bad URL as ConnectError', async () => {
    const http: Server = createServer((_req, res) => { res.writeHead(503).end('busy'); });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = http.address() as AddressInfo;
      const refused = await rejection(connect(`ws://127.0.0.1:${port}/v1/ws`));
      expect(refused.code).toBe('CONNECT_FAILED');
      expect(refused.message).toMatch(/503/);
    } finally {
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
    const bad = await rejection(connect('not a url'));
    expect(bad.code).toBe('CONNECT_FAILED');
  });

  it('gives up on a handshake that never completes', async () => {
    // A TCP listener that accepts and never answers the upgrade.
    const silent = createServer();
    const sockets: Socket[] = [];
    silent.on('upgrade', (_req, socket: Socket) => { sockets.push(socket); });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as AddressInfo;
      const error = await rejection(connect(`ws://127.0.0.1:${port}/v1/ws`, { connectTimeoutMs: 100 }));
      expect(error.code).toBe('CONNECT_FAILED');
      expect(error.message).toMatch(/no handshake within 100 ms/);
    } finally {
      for (const socket of sockets) socket.destroy(); // upgraded sockets are not the server's to close
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});

// What connectCluster retries and what it does not (client/cluster-connection.ts),
// against a scripted node on loopback (an HTTP server answering /v1/cluster
// and a WebSocket endpoint speaking the JSON format) that drops connections
// or answers NOT_LEADER on cue: a write whose connection drops after it was
// sent rejects INDETERMINATE and is never sent twice; a read is sent again;
// NOT_LEADER re-reads the map and sends again.

import { createServer, type Server } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { afterEach, expect, it } from 'vitest';
import { connectCluster } from '../../client/index.js';

type Script = (request: { id: number; op: string }, socket: WebSocket, seen: number) => void;

interface FakeNode { url: string; requests: { op: string }[]; mapReads: number; close(): Promise<void> }

async function fakeNode(script: Script): Promise<FakeNode> {
  const node = { requests: [] as { op: string }[], mapReads: 0 };
  let port = 0;
  const http: Server = createServer((req, res) => {
    if (req.url !== '/v1/cluster') { res.writeHead(404).end(); return; }
    node.mapReads++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
      nodeId: 1, nodes: [{ id: 1, http: `127.0.0.1:${port}`, linkUp: true }],
      groups: [{ group: 0, slots: [0, 16_383], replicas: [1], leader: 1, leaderHttp: `127.0.0.1:${port}` }],
    }));
  });
  const wss = new WebSocketServer({ server: http, path: '/v1/ws' });
  wss.on('connection', (socket) => {
    socket.on('message', (data) => {
      const request = JSON.parse(String(data)) as { id: number; op: string };
      node.requests.push(request);
      script(request, socket, node.requests.filter((r) => r.op === request.op).length);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  port = (http.address() as { port: number }).port;
  return Object.assign(node, {
    url: `ws://127.0.0.1:${port}`,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  });
}

let node: FakeNode | null = null;
afterEach(async () => { await node?.close(); node = null; });

it('a write whose connection drops after it was sent rejects INDETERMINATE and is not sent again', async () => {
  node = await fakeNode((_request, socket) => socket.terminate());
  const kv = await connectCluster(node.url, { format: 'json' });
  try {
    await expect(kv.set('k', 'v')).rejects.toMatchObject({ code: 'INDETERMINATE', message: expect.stringMatching(/read before retrying/) });
    expect(node.requests.filter((r) => r.op === 'set')).toHaveLength(1);
  } finally {
    await kv.close();
  }
});

it('a read whose connection drops is sent again on a new connection', async () => {
  node = await fakeNode((request, socket, seen) => {
    if (seen === 1) socket.terminate();
    else socket.send(JSON.stringify({ id: request.id, ok: true, found: false }));
  });
  const kv = await connectCluster(node.url, { format: 'json' });
  try {
    expect(await kv.get('k')).toBeNull();
    expect(node.requests.filter((r) => r.op === 'get')).toHaveLength(2);
  } finally {
    await kv.close();
  }
});

it('NOT_LEADER re-reads the map and sends the write again (it was not applied)', async () => {
  node = await fakeNode((request, socket, seen) => {
    socket.send(JSON.stringify(seen === 1
      ? { id: request.id, ok: false, error: { code: 'NOT_LEADER', number: 20, message: 'group 0 has no leader this node can name yet' } }
      : { id: request.id, ok: true, version: 4 }));
  });
  const kv = await connectCluster(node.url, { format: 'json' });
  try {
    const mapReadsBefore = node.mapReads;
    expect(await kv.set('k', 'v')).toEqual({ version: 4 });
    expect(node.requests.filter((r) => r.op === 'set')).toHaveLength(2);
    expect(node.mapReads).toBeGreaterThan(mapReadsBefore);
  } finally {
    await kv.close();
  }
});

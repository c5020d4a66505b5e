// Binary frames passed through a gateway (schema/binary-passthrough.ts) in
// front of a real 3-node cluster: a raw `ws` client pipelines requests with
// ids over the whole u64 range (beyond what the gateway's own connections
// use) and gets every reply back with its own id, in order, with the content
// the request asked for: passed-through ok replies, error replies (decoded
// and encoded again), and an mget split over groups (joined by the gateway);
// a JSON client on the same gateway meanwhile gets full JSON replies.

import WebSocket from 'ws';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connect } from '../../client/index.js';
import type { Reply, Request } from '../../core/protocol/ops.js';
import { startGateway, type PiccoloGateway } from '../../runtime-node/gateway/gateway-server.js';
import { decodeResponse, encodeRequest } from '../../schema/binary-codec.js';
import { clusterSettled, startCluster, type TestCluster } from '../cluster/cluster-nodes.js';
import { groupOf, TEST_GROUPS as GROUPS } from './gateway-process.js';

/** Bound on the whole burst's round trip. */
const BURST_MS_MAX = 10_000;

let cluster: TestCluster;
let gateway: PiccoloGateway;

beforeAll(async () => {
  cluster = await startCluster(3, ['--groups', String(GROUPS), '--workers', '1']);
  // Settled: a leader moving to its preferred node during the burst would make the gateway retry a request
  // (NOT_LEADER) behind later ones of the same connection, and the burst checks pipeline order.
  await clusterSettled(cluster, 15_000);
  gateway = await startGateway({ nodes: cluster.nodes.map((n) => `127.0.0.1:${n.node.port}`), port: 0, log: () => {} });
}, 50_000);
afterAll(async () => {
  await gateway?.close();
  await cluster?.stopAll();
});

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : new TextDecoder().decode(b));

/** Sends every request on one connection at once, and reads as many replies, decoded. */
async function burst(url: string, requests: readonly { id: bigint; request: Request }[]): Promise<{ id: bigint; reply: Reply }[]> {
  const socket = new WebSocket(url);
  socket.binaryType = 'nodebuffer';
  try {
    await new Promise<void>((resolve, reject) => { socket.once('open', resolve); socket.once('error', reject); });
    const replies: { id: bigint; reply: Reply }[] = [];
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${replies.length} of ${requests.length} replies within ${BURST_MS_MAX} ms`)), BURST_MS_MAX);
      socket.on('message', (data: Buffer) => {
        replies.push(decodeResponse(new Uint8Array(data)));
        if (replies.length === requests.length) { clearTimeout(timer); resolve(); }
      });
    });
    for (const { id, request } of requests) socket.send(encodeRequest(id, request));
    await done;
    return replies;
  } finally {
    socket.close();
  }
}

it('a pipelined binary burst comes back with the client\'s ids, in order, each reply right', async () => {
  const keys = Array.from({ length: 9 }, (_, i) => `pt-key-${i}`);
  expect(new Set(keys.map(groupOf)).size, 'the keys cover every group').toBe(GROUPS);
  const ids = [0n, 1n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 1n];
  let n = 0;
  const nextId = (): bigint => ids[n++ % ids.length]! + BigInt(n);
  const sent: { id: bigint; request: Request }[] = [];
  const expectations: ((reply: Reply) => void)[] = [];
  const add = (request: Request, check: (reply: Reply) => void): void => {
    sent.push({ id: nextId() % 2n ** 64n, request });
    expectations.push(check);
  };
  for (const key of keys) {
    // A read pipelined behind a write of its key reads it: the leader's read floor (docs/consensus.md).
    add({ op: 'set', key: bytes(key), value: bytes(`v:${key}`) }, (r) => expect(r).toMatchObject({ ok: true }));
    add({ op: 'get', key: bytes(key) }, (r) => expect(r.ok && text(r.value)).toBe(`v:${key}`));
    // An error reply from the node: decoded and encoded again, with the client's id.
    add({ op: 'incr', key: bytes(key), delta: 1n }, (r) => expect(r.ok).toBe(false));
    add({ op: 'get', key: bytes(`${key}-absent`) }, (r) => expect(r).toMatchObject({ ok: true, found: false }));
  }
  // Keys of every group: split by the gateway, its parts' replies joined (not passed through).
  add({ op: 'mget', keys: keys.map(bytes) }, (r) => expect(r.ok && r.items?.map((i) => text(i.value))).toEqual(keys.map((k) => `v:${k}`)));

  const json = await connect(`ws://127.0.0.1:${gateway.port}/v1/ws`, { format: 'json' });
  try {
    const [replies, jsonValues] = await Promise.all([
      burst(`ws://127.0.0.1:${gateway.port}/v1/ws`, sent),
      // A JSON client meanwhile: its replies decoded in full by the gateway, never passed through.
      Promise.all(keys.map(async (key) => { await json.set(`json-${key}`, `j:${key}`); return json.getString(`json-${key}`); })),
    ]);
    expect(replies.map((r) => r.id)).toEqual(sent.map((s) => s.id));
    replies.forEach((r, i) => expectations[i]!(r.reply));
    expect(jsonValues).toEqual(keys.map((k) => `j:${k}`));
  } finally {
    await json.close();
  }
});

// A 3-node cluster behind two gateways (real processes on loopback; needs
// `npm run build`): curl and the typed client (binary and JSON frames)
// through each gateway, multi-key requests spanning groups, the gateways'
// password and origin refusals, a wrong node password refused at start, and
// the in-flight bound answered OVERLOADED; transactions (atomic batches,
// db.transaction()) sent whole to their group's leader, a stale watch applying
// nothing, keys of two groups refused CROSS_SLOT.

import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, connectCluster, type PiccoloClient } from '../../client/index.js';
import { startGateway } from '../../runtime-node/gateway/gateway-server.js';
import { startCluster, until, type TestCluster } from '../cluster/cluster-nodes.js';
import { CLI } from '../e2e/spawn-node.js';
import { groupOf, nodesArg, startGatewayProcess, stopEverything, TEST_GROUPS as GROUPS, type RunningGateway } from './gateway-process.js';

const NODE_PASS = 'node-secret';
const GATEWAY_PASS = 'gateway-secret';
const ALLOWED_ORIGIN = 'https://app.example';

let cluster: TestCluster;
/** gateways[0]: its own password, the nodes' given by --node-password; gateways[1]: the nodes' password for both (file). */
const gateways: RunningGateway[] = [];
const passwords = [GATEWAY_PASS, NODE_PASS];

/** Keys covering every group. */
const KEYS = Array.from({ length: 12 }, (_, i) => `gw-key-${i}`);

beforeAll(async () => {
  cluster = await startCluster(3, ['--groups', String(GROUPS), '--workers', '1', '--requirepass', NODE_PASS]);
  const node1 = cluster.nodes[0]!.node.baseUrl;
  await until(async () => {
    const view = await (await fetch(`${node1}/v1/cluster`, { headers: { authorization: `Bearer ${NODE_PASS}` } })).json() as { groups: { leader: number }[] };
    return view.groups.every((g) => g.leader !== 0);
  }, 'every group to have a leader', 15_000);
  const dir = mkdtempSync(join(tmpdir(), 'piccolo-gw-'));
  writeFileSync(join(dir, 'pass'), `${NODE_PASS}\n`);
  gateways.push(...await Promise.all([
    startGatewayProcess(['--nodes', nodesArg(cluster), '--requirepass', GATEWAY_PASS, '--node-password', NODE_PASS, '--allow-origin', ALLOWED_ORIGIN]),
    // Only one node named: the others are learnt from its map.
    startGatewayProcess(['--nodes', `127.0.0.1:${cluster.nodes[1]!.node.port}`, '--requirepass-file', join(dir, 'pass')]),
  ]));
}, 50_000);
afterAll(() => stopEverything(gateways, cluster));

function curl(args: string[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    execFile('curl', ['-s', '-w', '\n%{http_code}', '--max-time', '5', ...args], { timeout: 10_000 }, (error, stdout) => {
      if (error) return reject(error);
      const at = stdout.lastIndexOf('\n');
      resolve({ status: Number(stdout.slice(at + 1)), body: stdout.slice(0, at) });
    });
  });
}

it('curl PUTs and GETs through a gateway; the other gateway reads the same data', async () => {
  const [a, b] = gateways as [RunningGateway, RunningGateway];
  expect(new Set(KEYS.map(groupOf)).size, 'the test keys cover every group').toBe(GROUPS);
  for (const key of KEYS) {
    const put = await curl(['-X', 'PUT', '-H', `Authorization: Bearer ${GATEWAY_PASS}`, '--data-binary', `value of ${key}`, `${a.baseUrl}/v1/kv/${key}`]);
    expect(put.status, put.body).toBe(200);
    expect(JSON.parse(put.body)).toMatchObject({ ok: true });
  }
  for (const key of KEYS) {
    const get = await curl(['-H', `Authorization: Bearer ${NODE_PASS}`, `${b.baseUrl}/v1/kv/${key}`]);
    expect(get).toEqual({ status: 200, body: `value of ${key}` });
  }
  const missing = await curl(['-H', `Authorization: Bearer ${GATEWAY_PASS}`, `${a.baseUrl}/v1/kv/gw-no-such-key`]);
  expect(missing.status).toBe(404);
  expect(JSON.parse(missing.body)).toMatchObject({ error: { code: 'NOT_FOUND' } });
});

describe.each([0, 1])('the typed client through gateway %i', (g) => {
  it.each(['binary', 'json'] as const)('%s frames: single keys, batches spanning groups, keyless requests', async (format) => {
    let kv: PiccoloClient | null = null;
    try {
      kv = await connect(gateways[g]!.wsUrl, { format, password: passwords[g]! });
      const prefix = `tc-${g}-${format}-`;
      const { version } = await kv.set(`${prefix}a`, 'one');
      await kv.cas(`${prefix}a`, version, 'two');
      await expect(kv.cas(`${prefix}a`, version, 'three')).rejects.toMatchObject({ code: 'VERSION_MISMATCH' });
      expect(await kv.getString(`${prefix}a`)).toBe('two');
      expect(await kv.incr(`${prefix}n`, 5)).toBe(5n);
      // One MSET and one MGET over keys of every group: split per group by the gateway, joined in key order.
      const keys = KEYS.map((k) => `${prefix}${k}`);
      expect(new Set(keys.map(groupOf)).size).toBe(GROUPS);
      expect(await kv.mset(keys.map((k) => [k, `v-${k}`]))).toBe(true);
      const got = await kv.mget([...keys, `${prefix}absent`]);
      expect(got.map((e) => (e === null ? null : Buffer.from(e.value).toString()))).toEqual([...keys.map((k) => `v-${k}`), null]);
      expect(await kv.del(`${prefix}a`)).toBe(true);
      expect(await kv.getString(`${prefix}a`)).toBeNull();
      // Keyless requests cover the whole cluster, counted once.
      const scanned: string[] = [];
      for await (const item of kv.scanAll(prefix)) scanned.push(Buffer.from(item.key).toString());
      expect(scanned.sort()).toEqual([`${prefix}n`, ...keys].sort());
      expect(await kv.count()).toBeGreaterThanOrEqual(scanned.length);
    } finally {
      await kv?.close();
    }
  });
});

it('connectCluster() through a gateway treats it as one node (GET /v1/cluster answers NOT_FOUND there)', async () => {
  const kv = await connectCluster(gateways[1]!.wsUrl, { password: NODE_PASS });
  try {
    expect(await kv.getString(KEYS[1]!)).toBe(`value of ${KEYS[1]}`);
    expect(await kv.mget(KEYS.slice(0, 4))).toHaveLength(4);
  } finally {
    await kv.close();
  }
});

describe('refusals through a gateway', () => {
  it('no or a wrong password: HTTP 401, WebSocket refused', async () => {
    const a = gateways[0]!;
    for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: `Bearer ${NODE_PASS}` }] as Record<string, string>[]) {
      const response = await fetch(`${a.baseUrl}/v1/kv/${KEYS[0]}`, { headers });
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
    }
    // Without a password the socket opens, but its first request (not an auth frame) closes it with 4401.
    const anonymous = await connect(a.wsUrl);
    await expect(anonymous.getString(KEYS[0]!)).rejects.toMatchObject({ code: 'CONNECTION_CLOSED', closeCode: 4401 });
    await expect(connect(a.wsUrl, { password: 'wrong' })).rejects.toMatchObject({ code: 'CONNECT_FAILED' });
    await expect(connect(a.wsUrl, { password: 'wrong', passwordVia: 'frame' })).rejects.toMatchObject({ code: 'CONNECT_FAILED' });
  });

  it('a page from another origin is refused (403); the allowed one gets CORS headers', async () => {
    const a = gateways[0]!;
    const headers = { authorization: `Bearer ${GATEWAY_PASS}` };
    const evil = await fetch(`${a.baseUrl}/v1/kv/${KEYS[0]}`, { headers: { ...headers, origin: 'https://evil.example' } });
    expect(evil.status).toBe(403);
    expect(await evil.json()).toMatchObject({ error: { code: 'FORBIDDEN_ORIGIN' } });
    const good = await fetch(`${a.baseUrl}/v1/kv/${KEYS[0]}`, { headers: { ...headers, origin: ALLOWED_ORIGIN } });
    expect(good.status).toBe(200);
    expect(good.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
    // Gateway 1 allows no origin at all.
    const none = await fetch(`${gateways[1]!.baseUrl}/v1/kv/${KEYS[0]}`, { headers: { authorization: `Bearer ${NODE_PASS}`, origin: ALLOWED_ORIGIN } });
    expect(none.status).toBe(403);
  });

  it('a gateway given a wrong node password says so and exits 1', async () => {
    await expect(startGatewayProcess(['--nodes', nodesArg(cluster), '--node-password', 'wrong']))
      .rejects.toThrow(/exited with 1[\s\S]*refused the gateway's password/);
  });

  it('--nodes missing is a usage error (exit 2); --help lists every flag', async () => {
    await expect(startGatewayProcess([])).rejects.toThrow(/exited with 2[\s\S]*--nodes is required/);
    const help = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, [CLI, 'gateway', '--help'], { timeout: 10_000 }, (error, stdout) => (error ? reject(error) : resolve(stdout)));
    });
    for (const flag of ['--nodes', '--requirepass', '--node-password', '--allow-origin', '--tls-cert', '--node-tls', '--node-connections', '--in-flight-max']) {
      expect(help).toContain(flag);
    }
  });
});

it('past in-flight-max requests are answered OVERLOADED at once, the rest served', async () => {
  const gateway = await startGateway({ nodes: [`127.0.0.1:${cluster.nodes[0]!.node.port}`], port: 0, nodePassword: NODE_PASS, inFlightMax: 1, log: () => {} });
  let kv: PiccoloClient | null = null;
  try {
    kv = await connect(`ws://127.0.0.1:${gateway.port}/v1/ws`);
    const outcomes = await Promise.all(Array.from({ length: 50 }, (_, i) => kv!.getString(KEYS[i % KEYS.length]!).then(
      (v) => (v === null ? 'absent' : 'served'), (e: { code?: string }) => e.code ?? 'error')));
    expect(outcomes).toContain('served');
    expect(outcomes).toContain('OVERLOADED');
    expect(outcomes.filter((o) => o !== 'served' && o !== 'OVERLOADED')).toEqual([]);
    expect(gateway.router.inFlight).toBe(0);
  } finally {
    await kv?.close();
    await gateway.close();
  }
});

describe('transactions through a gateway (one group, sent whole to its leader)', () => {
  const auth = { authorization: `Bearer ${GATEWAY_PASS}` };

  /** Requests each node forwarded to another (GET /v1/cluster): a gateway sends each to the leader, so none. */
  async function forwardedCounts(): Promise<number[]> {
    return Promise.all(cluster.nodes.map(async ({ node }) => {
      const res = await fetch(`${node.baseUrl}/v1/cluster`, { headers: { authorization: `Bearer ${NODE_PASS}` } });
      return ((await res.json()) as { forwarding: { forwarded: number } }).forwarding.forwarded;
    }));
  }

  function batch(body: unknown): Promise<Response> {
    return fetch(`${gateways[0]!.baseUrl}/v1/batch`, { method: 'POST', headers: auth, body: JSON.stringify(body) });
  }

  /**
   * The counts once they stop moving: a forward left over from the test before (its gateway sent to a node before
   * it knew the leader) can still be counted after that test ended (a clean-clone run saw one, 2026-12-03).
   */
  async function settledForwardedCounts(): Promise<number[]> {
    let last = await forwardedCounts();
    for (let i = 0; i < 20; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const now = await forwardedCounts();
      if (now.every((n, j) => n === last[j])) return now;
      last = now;
    }
    return last;
  }

  it('POST /v1/batch atomic on hash-tagged keys commits whole at the leader; a stale watch applies nothing', async () => {
    const before = await settledForwardedCounts();
    const ops = [{ op: 'set', key: '{gtx}a', value: '10' }, { op: 'incr', key: '{gtx}n', delta: 3 }, { op: 'get', key: '{gtx}a' }];
    const res = await batch({ atomic: true, ops });
    expect(res.status).toBe(200);
    const body = await res.json() as { ok: boolean; found: boolean; replies: { ok: boolean; version?: number }[] };
    expect(body).toMatchObject({ ok: true, found: true, replies: [{ ok: true }, { ok: true, integer: 3 }, { ok: true, found: true }] });
    // One log entry: every write of it has the transaction's index as its version.
    expect(body.replies[0]!.version).toBeGreaterThan(0);
    expect(body.replies[2]!.version).toBe(body.replies[0]!.version);
    // Whole, to the leader: no node had to forward it.
    expect(await forwardedCounts()).toEqual(before);

    const kv = await connect(gateways[0]!.wsUrl, { password: GATEWAY_PASS });
    try {
      const a = await kv.get('{gtx}a');
      expect(a?.version).toBe(body.replies[0]!.version);
      await kv.set('{gtx}a', 'theirs'); // the watched version is stale now
      const stale = await batch({ atomic: true, ops: [{ op: 'set', key: '{gtx}a', value: 'mine' }, { op: 'set', key: '{gtx}b', value: 'x' }],
        watch: [{ key: '{gtx}a', version: a!.version }] });
      expect(stale.status).toBe(200);
      expect(await stale.json()).toEqual({ ok: true, found: false });
      expect(await kv.getString('{gtx}a')).toBe('theirs');
      expect(await kv.getString('{gtx}b')).toBeNull();
    } finally {
      await kv.close();
    }
  });

  it('keys of two groups: CROSS_SLOT, nothing applied', async () => {
    const a = 'gtx-cross-0';
    let b = 'gtx-cross-1';
    for (let i = 1; groupOf(b) === groupOf(a); i++) b = `gtx-cross-${i}`;
    const res = await batch({ atomic: true, ops: [{ op: 'set', key: a, value: '1' }, { op: 'set', key: b, value: '1' }] });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'CROSS_SLOT' } });
    const kv = await connect(gateways[0]!.wsUrl, { password: GATEWAY_PASS, format: 'binary' });
    try {
      // The same through the typed client's transaction (a Cap'n Proto tx frame).
      await expect(kv.transaction((tx) => { tx.set(a, '2'); tx.set(b, '2'); })).rejects.toMatchObject({ code: 'CROSS_SLOT' });
      expect(await kv.mget([a, b])).toEqual([null, null]);
    } finally {
      await kv.close();
    }
  });

  it.each(['binary', 'json'] as const)('db.transaction() over %s frames commits; a stale watch reports committed: false', async (format) => {
    const kv = await connect(gateways[1]!.wsUrl, { password: NODE_PASS, format });
    const key = `{gtx-${format}}n`;
    try {
      const done = await kv.transaction((tx) => ({ n: tx.incr(key, 5), read: tx.get(key) }));
      expect(done.committed).toBe(true);
      if (!done.committed) return;
      expect(done.result.n.value).toBe(5n);
      const version = done.result.read.value!.version;
      await kv.incr(key, 1);
      const stale = await kv.transaction((tx) => { tx.watch(key, version); tx.incr(key, 100); });
      expect(stale.committed).toBe(false);
      expect(await kv.getString(key)).toBe('6');
    } finally {
      await kv.close();
    }
  });
});

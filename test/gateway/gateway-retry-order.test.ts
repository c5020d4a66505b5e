// A client's pipelined writes to one key apply in the order sent even while
// the key's group changes leader under them, through a real gateway and
// through a node's own WebSocket (which forwards what it does not lead): a
// request that must be sent again (NOT_LEADER, its leader unreachable) goes
// before any later request of its group, and a later request waits until
// the earlier ones sent to the old leader are answered
// (core/routing/group-lane.ts). RPUSH makes the order visible: the list
// holds the values in the order they were applied. Real processes on
// loopback (3 nodes, a gateway); needs `npm run build`.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { connect, PiccoloError, type PiccoloClient } from '../../client/index.js';
import { clusterSettled, startCluster, type TestCluster } from '../cluster/cluster-nodes.js';
import { groupOf, nodesArg, startGatewayProcess, stopEverything, type RunningGateway } from './gateway-process.js';

const GROUP = 0;
const IN_FLIGHT = 32;
const TRANSFERS = 12;
/** Between transfers: the gateway's map is read again at least every second, so some moves are seen late. */
const TRANSFER_GAP_MS = 500;

let cluster: TestCluster;
let gateway: RunningGateway;
let viaGateway: PiccoloClient;
let viaNode: PiccoloClient;

beforeAll(async () => {
  cluster = await startCluster(3, ['--groups', '3', '--workers', '1']);
  await clusterSettled(cluster, 20_000);
  gateway = await startGatewayProcess(['--nodes', nodesArg(cluster)]);
  viaGateway = await connect(gateway.wsUrl, { format: 'binary', requestTimeoutMs: 15_000 });
  // Node 1 leads group 0 at first (its preferred node): it holds, then forwards, what reaches it during each move.
  viaNode = await connect(cluster.nodes[0]!.node.wsUrl, { format: 'binary', requestTimeoutMs: 15_000 });
}, 50_000);
afterAll(async () => {
  await viaGateway?.close();
  await viaNode?.close();
  await stopEverything(gateway ? [gateway] : [], cluster);
});

async function leaderOf(group: number): Promise<number> {
  const view = await (await fetch(`${cluster.nodes[0]!.node.baseUrl}/v1/cluster`)).json() as { groups: { group: number; leader: number }[] };
  return view.groups.find((g) => g.group === group)!.leader;
}

/** Pushes 1, 2, 3, ... to `key` with IN_FLIGHT in flight until `stop()` resolves; records each push's outcome. */
function pushInOrder(client: PiccoloClient, key: string, outcomes: Map<number, string>, writing: () => boolean): Promise<number> {
  return (async () => {
    const inFlight = new Set<Promise<void>>();
    let sent = 0;
    while (writing()) {
      const n = ++sent;
      const push: Promise<void> = client.rpush(key, String(n)).then(
        () => { outcomes.set(n, 'ok'); },
        (error: unknown) => { outcomes.set(n, error instanceof PiccoloError ? error.code : String(error)); },
      ).finally(() => inFlight.delete(push));
      inFlight.add(push);
      if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    return sent;
  })();
}

/** The list at `key` was applied in the order sent, holds every acknowledged push and no refused one. */
async function checkOrder(client: PiccoloClient, key: string, outcomes: Map<number, string>, what: string): Promise<void> {
  const list = (await client.lrange(key, 0, -1)).map((b) => Number(Buffer.from(b).toString()));
  const codes = new Map<string, number>();
  for (const code of outcomes.values()) codes.set(code, (codes.get(code) ?? 0) + 1);
  const outOfOrder = list.filter((v, i) => i > 0 && v <= list[i - 1]!);
  expect(outOfOrder, `${what}: applied out of order (outcomes: ${JSON.stringify([...codes])})`).toEqual([]);
  const present = new Set(list);
  for (const [n, code] of outcomes) {
    if (code === 'ok') expect(present.has(n), `${what}: acknowledged ${n} is missing`).toBe(true);
    if (code === 'UNAVAILABLE' || code === 'NOT_LEADER' || code === 'OVERLOADED') expect(present.has(n), `${what}: refused ${n} was applied`).toBe(false);
  }
  expect(codes.get('ok') ?? 0, what).toBeGreaterThan(1000);
  console.log(`${what}: ${outcomes.size} pushes, outcomes ${JSON.stringify([...codes])}, list ${list.length}`);
}

it('pipelined RPUSHes to one key apply in the order sent through leader moves, via the gateway and via a node', async () => {
  const [gatewayKey, nodeKey] = Array.from({ length: 200 }, (_, i) => `order-${i}`).filter((k) => groupOf(k) === GROUP);
  const viaGatewayOutcomes = new Map<number, string>();
  const viaNodeOutcomes = new Map<number, string>();
  let writing = true;
  const writers = Promise.all([
    pushInOrder(viaGateway, gatewayKey!, viaGatewayOutcomes, () => writing),
    pushInOrder(viaNode, nodeKey!, viaNodeOutcomes, () => writing),
  ]);
  try {
    for (let t = 0; t < TRANSFERS; t++) {
      await new Promise((r) => setTimeout(r, TRANSFER_GAP_MS));
      const to = await leaderOf(GROUP) % 3 + 1;
      const response = await fetch(`${cluster.nodes[0]!.node.baseUrl}/v1/cluster/transfer-leader`, {
        method: 'POST', body: JSON.stringify({ group: GROUP, to }), headers: { 'content-type': 'application/json' },
      });
      expect(response.status).toBe(200);
    }
    await new Promise((r) => setTimeout(r, TRANSFER_GAP_MS));
  } finally {
    writing = false;
    await writers;
  }
  await checkOrder(viaGateway, gatewayKey!, viaGatewayOutcomes, 'via the gateway');
  await checkOrder(viaNode, nodeKey!, viaNodeOutcomes, 'via node 1');
}, 60_000);

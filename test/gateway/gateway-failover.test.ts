// kill -9 of the node leading one group, behind two gateways, under a
// read/write load of typed clients (binary frames through one gateway, JSON
// through the other):
//   - the groups whose leaders the gateways still reach keep being served
//     right after the kill;
//   - the killed node's group is served again through the gateway within
//     FAILOVER_MS_MAX (an election, then the gateway's map read finds the new leader);
//   - what clients hear meanwhile is only retryable (UNAVAILABLE: nothing
//     applied) or INDETERMINATE (a write sent to the dying node);
//   - the history of the whole run checks linearizable (core/checker).
// Then the killed node, restarted on a new port, is found through the map
// (and its old endpoint's link dropped); and with two nodes killed (no
// quorum) the groups they led answer UNAVAILABLE within the retry budget.
// Real processes on loopback; needs `npm run build`.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { connect, PiccoloError, type PiccoloClient } from '../../client/index.js';
import { checkHistory, pairEvents, type HistoryEvent, type OpFunction } from '../../core/checker/index.js';
import { startCluster, until, type TestCluster } from '../cluster/cluster-nodes.js';
import { groupOf, nodesArg, startGatewayProcess, stopEverything, TEST_GROUPS as GROUPS, type RunningGateway } from './gateway-process.js';

/** An election (0.5-1 s at the default tick) plus the gateway's map read and retry waits, with room for a loaded machine. */
const FAILOVER_MS_MAX = 4_000;
const HEALTHY_MS = 1_500;
const AFTER_KILL_MS = 4_500;
/** The other groups are served without a pause: a write right after the kill is acknowledged within this (a loopback write takes milliseconds). */
const UNAFFECTED_MS_MAX = 1_000;
/** Longer than the gateway's node timeout (5 s): a request is answered or known lost by then. */
const REQUEST_TIMEOUT_MS = 6_500;
const PROCESSES_PER_GATEWAY = 3;
const KEYS = Array.from({ length: 9 }, (_, i) => `fo-${i}`);

interface ClusterView { groups: { group: number; leader: number; replicas: number[] }[] }

let cluster: TestCluster;
const gateways: RunningGateway[] = [];
const isDead = (n: { node: { process: { exitCode: number | null; signalCode: string | null } } }): boolean =>
  n.node.process.exitCode !== null || n.node.process.signalCode !== null;
const clusterView = async (): Promise<ClusterView> => (await fetch(`${cluster.nodes[0]!.node.baseUrl}/v1/cluster`)).json() as Promise<ClusterView>;

beforeAll(async () => {
  cluster = await startCluster(3, ['--groups', String(GROUPS), '--workers', '1']);
  // Each node leads the group placed first on it, so one kill takes one group's leader.
  await until(async () => (await clusterView()).groups.every((g) => g.leader === g.replicas[0]), 'each node to lead its preferred group', 20_000);
  gateways.push(...await Promise.all([0, 1].map(() => startGatewayProcess(['--nodes', nodesArg(cluster)]))));
}, 50_000);
afterAll(() => stopEverything(gateways, cluster));

it('a killed leader behind the gateways: other groups unaffected, its group back within seconds, the history linearizable', async () => {
  expect(new Set(KEYS.map(groupOf)).size, 'the test keys cover every group').toBe(GROUPS);
  const history: HistoryEvent[] = [];
  const clock = (): number => Math.round(performance.now() * 1000);
  const record = (event: Omit<HistoryEvent, 'time'>): void => { history.push({ ...event, time: clock() }); };
  const acked: { key: string; invokedAt: number; ackedAt: number }[] = [];
  const refusals = new Map<string, number>();
  let running = true;

  const loop = async (process: number, kv: PiccoloClient): Promise<void> => {
    for (let n = 0; running; n++) {
      const key = KEYS[(process * 5 + n) % KEYS.length]!;
      const f: OpFunction = n % 2 === 0 ? 'write' : 'read';
      const value = `p${process}-${n}`;
      record({ process, type: 'invoke', f, key, value: f === 'write' ? value : null });
      const invokedAt = performance.now();
      try {
        const seen = f === 'write' ? (await kv.set(key, value), value) : await kv.getString(key);
        record({ process, type: 'ok', f, key, value: seen });
        acked.push({ key, invokedAt, ackedAt: performance.now() });
      } catch (error) {
        const code = error instanceof PiccoloError ? error.code : 'unknown';
        refusals.set(code, (refusals.get(code) ?? 0) + 1);
        // UNAVAILABLE / NOT_LEADER / OVERLOADED: certainly not applied. Anything else: unknown.
        const failed = code === 'UNAVAILABLE' || code === 'NOT_LEADER' || code === 'OVERLOADED';
        record({ process, type: failed ? 'fail' : 'info', f, key, value: f === 'write' ? value : null });
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };
  const clients = await Promise.all(gateways.flatMap((g, i) => Array.from({ length: PROCESSES_PER_GATEWAY },
    () => connect(g.wsUrl, { format: i === 0 ? 'binary' : 'json', requestTimeoutMs: REQUEST_TIMEOUT_MS }))));
  const load = clients.map((kv, process) => loop(process, kv));

  await new Promise((r) => setTimeout(r, HEALTHY_MS));
  const victimGroup = groupOf(KEYS[0]!);
  const victimId = (await clusterView()).groups[victimGroup]!.leader;
  cluster.nodes[victimId - 1]!.node.process.kill('SIGKILL');
  const killedAt = performance.now();
  // Every other group, probed through each gateway with keys of its own (outside the history): served at once.
  const probes = await Promise.all(gateways.flatMap((g) => [...Array(GROUPS).keys()].filter((group) => group !== victimGroup).map(async (group) => {
    const key = Array.from({ length: 100 }, (_, i) => `probe-${i}`).find((k) => groupOf(k) === group)!;
    const startedAt = performance.now();
    const response = await fetch(`${g.baseUrl}/v1/kv/${key}`, { method: 'PUT', body: 'x', signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    return { group, status: response.status, ms: performance.now() - startedAt };
  })));
  for (const probe of probes) {
    expect(probe.status, `group ${probe.group} right after the kill`).toBe(200);
    expect(probe.ms, `group ${probe.group} right after the kill`).toBeLessThan(UNAFFECTED_MS_MAX);
  }
  await new Promise((r) => setTimeout(r, AFTER_KILL_MS));
  running = false;
  await Promise.all(load);
  await Promise.all(clients.map((kv) => kv.close()));

  const victimKeys = new Set(KEYS.filter((k) => groupOf(k) === victimGroup));
  const afterKill = acked.filter((a) => a.invokedAt > killedAt);
  // The victim's group: served again through the gateways within FAILOVER_MS_MAX.
  const firstBack = afterKill.filter((a) => victimKeys.has(a.key)).map((a) => a.ackedAt - killedAt).sort((x, y) => x - y)[0];
  expect(firstBack, `group ${victimGroup} served again after the kill of node ${victimId}`).toBeDefined();
  expect(firstBack!).toBeLessThan(FAILOVER_MS_MAX);
  // Clients heard only retryable refusals or an unknown outcome, each with its code.
  expect([...refusals.keys()].filter((code) => code !== 'UNAVAILABLE' && code !== 'INDETERMINATE')).toEqual([]);

  const paired = pairEvents(history);
  expect(paired.ok, paired.ok ? '' : paired.message).toBe(true);
  if (!paired.ok) return;
  const verdict = checkHistory(paired.ops, { stepsMax: 20_000_000 });
  expect(verdict.linearizable, JSON.stringify(verdict).slice(0, 2000)).toBe(true);
  console.log(`gateway failover: node ${victimId} (group ${victimGroup}) killed; group back after ${Math.round(firstBack!)} ms; `
    + `${paired.ops.length} operations checked; refusals ${JSON.stringify(Object.fromEntries(refusals))}`);
}, 40_000);

it('the killed node restarted (on a new port): the gateway finds it through its map and serves every group again', async () => {
  const dead = cluster.nodes.filter(isDead);
  expect(dead.length).toBe(1);
  const restarted = await Promise.all(dead.map((n) => cluster.start(n.id)));
  const endpoints = restarted.map((n) => `127.0.0.1:${n.node.port}`);
  // Both gateways (the next test needs gateway 0 to know the new port: once the others die, the restarted node is all it can ask).
  await until(async () => (await Promise.all(gateways.map(async (g) => {
    const health = await (await fetch(`${g.baseUrl}/healthz`)).json() as { nodes: { endpoint: string; up: boolean }[] };
    // The new endpoints are up; the old ones, named by no node any more, are dropped.
    return health.nodes.length === 3 && endpoints.every((e) => health.nodes.some((n) => n.endpoint === e && n.up));
  }))).every(Boolean), 'both gateways to dial the restarted nodes at their new ports', 20_000);
  // Every group writable through the gateway again (after elections: retry what is certainly not applied).
  for (const key of KEYS) {
    await until(async () => (await fetch(`${gateways[1]!.baseUrl}/v1/kv/${key}`, { method: 'PUT', body: 'back' })).status === 200,
      `a write of ${key} (group ${groupOf(key)})`, 15_000);
  }
}, 45_000);

it('with two nodes killed (no quorum), the groups they led answer UNAVAILABLE (503, retryable) through the gateway', async () => {
  expect(cluster.nodes.filter(isDead)).toEqual([]);
  const view = await clusterView();
  // Two of three nodes, leaders first, so at least one group loses its leader and none can elect another.
  const leads = (id: number): number => view.groups.filter((g) => g.leader === id).length;
  const victims = [...cluster.nodes].sort((a, b) => leads(b.id) - leads(a.id)).slice(0, 2);
  const lost = view.groups.filter((g) => victims.some((v) => v.id === g.leader)).map((g) => g.group);
  for (const victim of victims) victim.node.process.kill('SIGKILL');
  // Let the gateways see the connections close, so nothing is in flight to the dead node (a write would be INDETERMINATE).
  await new Promise((r) => setTimeout(r, 300));
  const key = KEYS.find((k) => lost.includes(groupOf(k)))!;
  for (const [method, body] of [['GET', undefined], ['PUT', 'never-applied']] as const) {
    const startedAt = performance.now();
    const response = await fetch(`${gateways[0]!.baseUrl}/v1/kv/${key}`, { method, ...(body ? { body } : {}), signal: AbortSignal.timeout(10_000) });
    expect(response.status).toBe(503);
    const { error } = await response.json() as { error: { code: string; number: number; message: string } };
    expect(error).toMatchObject({ code: 'UNAVAILABLE', number: 24 });
    expect(error.message).toMatch(/nothing was (sent|applied)/);
    // The gateway's retries (1.5 s in all) and no more.
    expect(performance.now() - startedAt).toBeLessThan(4_000);
  }
  // The gateway itself stays up and says which nodes it lost (the survivor's link may be mid-reconnect under load: bounded wait).
  type Health = { status: string; nodes: { up: boolean; endpoint: string; trouble?: string }[] };
  const healthNow = async (): Promise<Health> => await (await fetch(`${gateways[0]!.baseUrl}/healthz`)).json() as Health;
  // Bounded by a connect timeout plus the longest redial backoff, twice, with room for a loaded machine.
  await until(async () => (await healthNow()).nodes.filter((n) => !n.up).length === victims.length, 'the gateway to see exactly the killed nodes down', 10_000)
    .catch(() => undefined);
  expect(cluster.nodes.filter(isDead).length, 'the survivor is still running').toBe(victims.length);
  const health = await healthNow();
  expect(health.status).toBe('ok');
  const survivor = cluster.nodes.find((n) => !isDead(n))!;
  expect(health.nodes.filter((n) => !n.up).length,
    `${JSON.stringify(health.nodes)}; survivor node ${survivor.id} on port ${survivor.node.port}:\n${survivor.node.output().slice(-3000)}`).toBe(victims.length);
}, 30_000);

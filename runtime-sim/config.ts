// Every knob of a simulated run, chosen from the seed (a few can be fixed by
// command-line options). The same seed and options give the same config,
// which the report prints in full, so a failing run can be understood
// without re-running it.

import { assert } from '../core/assert.js';
import { KiB, makeLimits, type Limits } from '../core/limits.js';
import { Random } from '../core/random.js';
import { DEFAULT_RAFT_TUNING } from '../core/raft/raft.js';
import { LEADER_WAIT_TICKS } from '../core/shard/leader-wait.js';
import type { SessionSettings } from './client-session.js';
import { maxDelayUs, type DelaySpec } from './delay.js';
import { DEFAULT_FAULT_CHANCE, DEFAULT_FAULTS, FAULT_NAMES, planFaults, type FaultName, type FaultPlan } from './fault-plan.js';
import type { PlantedBugs, RaftTuning } from '../core/raft/raft.js';
import { GROUPS_MAX, placeGroups, type ClusterSpec } from './cluster.js';
import type { NodeSettings, WorkerFactory } from './sim-node.js';
import type { WatchBugs } from './sim-watch-hub.js';
import { clientHostsOf, layoutHosts, type HostLayout } from './topology.js';

/** What a caller may choose; everything else comes from the seed. */
export interface SimOptions {
  seed: number;
  /** Nodes (independent single nodes until the cluster exists). Default 1. */
  nodes?: number;
  /** Workload client hosts (each runs processesPerClient history processes over its connections). Default: chosen by the seed, 2..8. */
  clients?: number;
  /** Workload operations over all clients (not counting final reads and TTL checks). Default DEFAULT_OPS. */
  ops?: number;
  /** Faults in play: each is on for sure. Default: each of DEFAULT_FAULTS on with DEFAULT_FAULT_CHANCE. */
  faults?: readonly FaultName[];
  /** Test hook: build each node's workers (e.g. a deliberately broken one). */
  workerFactory?: WorkerFactory;
  /** Checker search budget (default: the checker's own). */
  checkerStepsMax?: number;
  /**
   * Shard groups replicated by Raft across the nodes (a cluster); without it
   * every node is an independent single node.
   */
  groups?: number;
  /** Replicas per group (default: min(3, nodes)). */
  replicas?: number;
  /** Ticks a request may wait for its group's leader (core/shard/leader-wait.ts); default: 0 on half the seeds, else drawn in 1..LEADER_WAIT_TICKS. */
  leaderWaitTicks?: number;
  /** Whether the disks sync in the background (core/storage/background-sync.ts; `--background-sync`); default off, as a node runs. */
  backgroundSync?: boolean;
  /** Test hook: classic Raft bugs planted in every replica (the mutation suite). */
  raftBugs?: PlantedBugs;
  /** Test hook: classic bugs of the code around Raft: storage forgetting the vote, sending before syncing. */
  replicaBugs?: ReplicaBugs;
  /** Test hook: Raft settings other than the defaults (the mutation suite turns pre-vote off). */
  raftTuning?: Partial<RaftTuning>;
  /**
   * Weight of transactions in the workload mix (the others' are 0..10 each).
   * Default 0, off: turning it on adds keys and processes, which changes the
   * run's trace, and every seed's printed trace hash stays what it was.
   */
  txWeight?: number;
  /**
   * Run a watcher checked against the committed history (watch-checker.ts).
   * Default: on when every fault is in play (`--faults all`), off
   * otherwise, so other runs keep their traces.
   */
  watcher?: boolean;
  /** Test hook: bugs planted in the change path (the mutation suite). */
  watchBugs?: WatchBugs;
  /**
   * Share (0..DATA_SHARE_MAX) of workload operations that are data commands:
   * hash fields as registers, lists as queues (runtime-sim/data-workload.ts).
   * Default 0, off, so that every seed without it keeps its trace hash.
   */
  dataShare?: number;
}

export interface ReplicaBugs {
  forgetVoteOnRestart?: boolean;
  sendBeforeSync?: boolean;
  /** Storage recovery accepts records whose checksum fails (disk damage is served instead of repaired). */
  recoverWithoutChecksums?: boolean;
  /** With background syncs: nothing waits for them (replies and Raft messages leave before the fsync). */
  skipBackgroundSyncWait?: boolean;
}

export const DEFAULT_OPS = 2_000;
export const NODES_MAX = 16;
export const CLIENTS_MAX = 64;
/** Keeps one run's history within what the checker handles in well under a second. */
export const OPS_MAX = 100_000;

/**
 * Limits for simulated nodes: small values so that a few requests fill the
 * small rings (backpressure), yet every limit relation of checkLimits holds
 * for the smallest ring (2 KiB >= 2 * (768 B frame + record overhead)).
 */
const SIM_KEY_BYTES_MAX = 64;
const SIM_VALUE_BYTES_MAX = 512;
const SIM_FRAME_BYTES_MAX = 768;
/** Weighted towards the smallest, where a few pipelined requests fill a ring. */
const RING_SIZES = [2 * KiB, 2 * KiB, 2 * KiB, 4 * KiB, 8 * KiB, 64 * KiB];
/** Value padding (bytes) a run may use: 0 keeps records tiny; 480 makes three of them fill a 2 KiB ring. */
const VALUE_PAD_SIZES = [0, 32, 200, 480, 480, 480];

/** Processes per register key, at most (on average): see the key counts in makeConfig. */
const KEY_PROCESSES_MAX = 6;
/** Increments one counter key should see in a run at most (see where counter keys are chosen). */
export const COUNTER_INCRS_PER_KEY_TARGET = 40;
/**
 * The same in a cluster: leader changes leave many more increments without an answer (a deposed leader's
 * pending writes, failovers), and seed 276 of `--nodes 3 --groups 4 --faults all` exhausted the checker on a
 * counter with 40.
 */
export const COUNTER_INCRS_PER_KEY_TARGET_CLUSTER = 20;

export interface WorkloadSpec {
  registerKeys: string[];
  counterKeys: string[];
  /**
   * Pairs of register keys only transactions touch, hash-tagged so both are
   * in one slot (one group): a write transaction sets both, a read one gets
   * both (runtime-sim/recording-client.ts). Empty when tx is 0.
   */
  txKeyPairs: [string, string][];
  /** Relative weights of read, write, cas, delete, incr, and transactions. */
  weights: { read: number; write: number; cas: number; delete: number; incr: number; tx: number };
  valuePadMax: number;
  thinkMeanUs: number;
  incrDeltaMax: number;
  /** Data commands (hashes, lists), or null when the run has none (dataShare 0). */
  data: DataSpec | null;
}

/** The data-command part of a workload (runtime-sim/data-workload.ts says how each maps onto the checkers). */
export interface DataSpec {
  /** Share of all workload operations that are data commands. */
  share: number;
  /** Share of the data commands that go to lists (the rest: hashes). */
  listShare: number;
  hashKeys: string[];
  /** Fields every hash key has as registers (HSET, HGET, HDEL). */
  hashFields: string[];
  /** Fields every hash key has as counters (HINCRBY, HGET, HDEL). */
  hashCounterFields: string[];
  /** Hash keys also filled past the compact form's field limit, so snapshots carry large tables. */
  bigHashKeys: string[];
  /** Relative weights of HGET, HSET, HDEL, HINCRBY. */
  hashWeights: { read: number; write: number; delete: number; incr: number };
  listKeys: string[];
}

export interface TtlSpec {
  keys: number;
  ttlMinMs: number;
  ttlMaxMs: number;
  readsPerKey: number;
}

export interface SimConfig {
  seed: number;
  nodes: number;
  clients: number;
  /** History processes per client host, pipelining their requests on its connections. */
  processesPerClient: number;
  ops: number;
  /** Faults the run could use (the options'), and the plan of those the seed turned on. */
  faultsAllowed: readonly FaultName[];
  faultsExplicit: boolean;
  faults: FaultPlan;
  layout: HostLayout;
  nodeSettings: NodeSettings[];
  delay: DelaySpec;
  session: SessionSettings;
  workload: WorkloadSpec;
  ttl: TtlSpec;
  quiesceAtUs: number;
  /** From here on every new operation must complete (ok or fail) within livenessBoundUs. */
  settleAtUs: number;
  livenessBoundUs: number;
  /** Randomness for the run itself (network, nodes, clients), independent of the config draws. */
  runRng: Random;
  /**
   * The watcher (watch-client.ts): the node it watches first, the nodes it
   * goes on to at each reconnect (every node holding every group: tokens are
   * portable), and its key prefix; null: none.
   */
  watcher: { node: number; nodes: readonly number[]; prefix: string } | null;
  /** The replicated cluster, or null when every node is alone. */
  cluster: ClusterSpec | null;
  /** In a cluster, per workload client host: whether it moves to another replica after a timeout. */
  failoverHosts: boolean[];
  /** In a cluster, per workload client host: whether its processes only read (some staying hosts: READ_ONLY_HOST_CHANCE says why). */
  readOnlyHosts: boolean[];
}

function simLimits(ringBytes: number): Limits {
  return makeLimits({
    keyBytesMax: SIM_KEY_BYTES_MAX,
    valueBytesMax: SIM_VALUE_BYTES_MAX,
    frameBytesMax: SIM_FRAME_BYTES_MAX,
    ringBytes,
    connectionQueueBytesMax: 64 * KiB,
  });
}

export function makeConfig(options: SimOptions): SimConfig {
  const root = Random.fromSeed(options.seed);
  // One fork per concern: a change in how one concern draws leaves the others' choices alone.
  const topoRng = root.fork();
  const nodeRng = root.fork();
  const netRng = root.fork();
  const clientRng = root.fork();
  const workloadRng = root.fork();
  const faultRng = root.fork();
  const runRng = root.fork();
  // Forked last and only drawn from with data commands on: every other draw, and every run without them, is as before.
  const dataRng = root.fork();
  // Forked after it and drawn from only in a cluster: single-node runs draw as before.
  const readerRng = root.fork();
  // Forked after it and drawn from only in a cluster: every other draw is as before the leader wait came.
  const leaderWaitRng = root.fork();
  // Off unless asked: a node syncs at once (docs/durability.md, *Background sync*), and the seeds simulate what runs.
  const backgroundSync = options.backgroundSync ?? false;

  const seedClients = topoRng.int(2, 8);
  const processesPerClient = topoRng.int(1, 8);
  const nodes = options.nodes ?? 1;
  const clients = options.clients ?? seedClients;
  const ops = options.ops ?? DEFAULT_OPS;
  assert(Number.isInteger(nodes) && nodes >= 1 && nodes <= NODES_MAX, `nodes must be in 1..${NODES_MAX}`);
  assert(Number.isInteger(clients) && clients >= 1 && clients <= CLIENTS_MAX, `clients must be in 1..${CLIENTS_MAX}`);
  assert(Number.isInteger(ops) && ops >= 1 && ops <= OPS_MAX, `ops must be in 1..${OPS_MAX}`);

  const cluster = clusterSpec(options, nodes, nodeRng, leaderWaitRng);
  const ringBytes = nodeRng.pick(RING_SIZES);
  const limits = simLimits(ringBytes);
  const wake: DelaySpec = { baseUs: nodeRng.int(1, 50), tailMeanUs: nodeRng.int(1, 200), tailCapUs: 2_000 };
  const nodeSettings: NodeSettings[] = [];
  for (let n = 0; n < nodes; n++) {
    const workers = cluster ? Math.min(nodeRng.int(1, 4), cluster.groups) : nodeRng.int(1, 4);
    const shardsPerWorker = nodeRng.int(1, 3);
    nodeSettings.push({
      workers,
      // A cluster's nodes agree on slot -> group: every node maps the slots onto all the groups.
      shards: cluster ? cluster.groups : workers * shardsPerWorker,
      ringBytes,
      limits,
      batchMax: nodeRng.int(1, 64),
      idleWakeUs: nodeRng.int(1_000, 100_000),
      sweepIntervalMs: nodeRng.int(5, 100),
      wake,
      ioRequestCostUs: nodeRng.int(1, 30),
      ioReplyCostUs: nodeRng.int(1, 10),
      workerRecordCostUs: nodeRng.int(1, 20),
      drainCostUs: nodeRng.int(1, 10),
      backgroundSync,
      ...(options.replicaBugs?.skipBackgroundSyncWait ? { plantedBugSkipBackgroundSyncWait: true } : {}),
    });
  }

  const tailMeanUs = netRng.int(10, 2_000);
  const delay: DelaySpec = { baseUs: netRng.int(20, 500), tailMeanUs, tailCapUs: Math.min(20_000, 20 * tailMeanUs) };

  // Well above the worst fault-free round trip (two capped link delays, wake-ups, queueing), so that after quiesce only a real bug times out.
  const timeoutUs = clientRng.int(100, 500) * 1000;
  const session: SessionSettings = {
    timeoutUs,
    connectTimeoutUs: clientRng.int(10, 100) * 1000,
    backoffMinUs: 1_000,
    backoffMaxUs: clientRng.int(5, 50) * 1000,
    keepaliveUs: clientRng.int(10, 50) * 1000,
    lossy: false,
  };
  // In a cluster, some client hosts fail over to another replica when a request times out and some stay with the
  // node they believe leads until it refuses (clients differ): a deposed leader cut off from its group then keeps
  // clients on its side while others move on, which is when a leader serving stale reads would show.
  const failoverHosts = cluster === null ? [] : Array.from({ length: clients }, () => clientRng.chance(0.5));
  const readOnlyHosts = cluster === null ? [] : failoverHosts.map((failover) => readerRng.chance(READ_ONLY_HOST_CHANCE) && !failover);

  // Few keys, so operations collide; but not so few that dozens of
  // processes pile onto one key, which makes checking a key's history
  // exponentially harder without finding more bugs.
  const processes = clients * processesPerClient;
  const registerKeys = Array.from({ length: Math.max(workloadRng.int(1, 8), Math.ceil(processes / KEY_PROCESSES_MAX)) }, (_, i) => `k${i}`);
  const weights = {
    read: workloadRng.int(1, 10), write: workloadRng.int(1, 10), cas: workloadRng.int(0, 10),
    delete: workloadRng.int(0, 4), incr: workloadRng.int(0, 6), tx: options.txWeight ?? 0,
  };
  assert(Number.isInteger(weights.tx) && weights.tx >= 0 && weights.tx <= TX_WEIGHT_MAX, `txWeight must be in 0..${TX_WEIGHT_MAX}`);
  // Counters get enough keys that no counter sees more than about
  // COUNTER_INCRS_PER_KEY_TARGET increments: an increment with an unknown
  // outcome stays an open choice for the rest of its key's history, and
  // long counter histories with several of them exhaust the checker
  // (docs/checker.md) without finding more bugs.
  const weightSum = weights.read + weights.write + weights.cas + weights.delete + weights.incr + weights.tx;
  const expectedIncrs = Math.ceil((ops * weights.incr) / weightSum);
  const counterKeyCount = Math.max(
    workloadRng.int(1, 3),
    Math.ceil(processes / (2 * KEY_PROCESSES_MAX)),
    Math.ceil(expectedIncrs / (cluster === null ? COUNTER_INCRS_PER_KEY_TARGET : COUNTER_INCRS_PER_KEY_TARGET_CLUSTER)),
  );
  const counterKeys = Array.from({ length: counterKeyCount }, (_, i) => `c${i}`);
  // As many pairs as register keys would have (KEY_PROCESSES_MAX per key), drawing nothing from the seed.
  const txKeyPairs = weights.tx === 0 ? [] : Array.from({ length: Math.ceil(processes / KEY_PROCESSES_MAX) }, (_, i): [string, string] => [`{t${i}}a`, `{t${i}}b`]);
  const workload: WorkloadSpec = {
    registerKeys,
    counterKeys,
    txKeyPairs,
    weights,
    valuePadMax: workloadRng.pick(VALUE_PAD_SIZES),
    thinkMeanUs: workloadRng.int(0, 2_000),
    incrDeltaMax: workloadRng.int(1, 100),
    data: null,
  };
  const dataShare = options.dataShare ?? 0;
  assert(Number.isFinite(dataShare) && dataShare >= 0 && dataShare <= DATA_SHARE_MAX, `dataShare must be in 0..${DATA_SHARE_MAX}`);
  if (dataShare > 0) workload.data = dataSpec(dataRng, dataShare, processes, ops, cluster !== null);
  const ttlMinMs = workloadRng.int(5, 50);
  const ttl: TtlSpec = { keys: workloadRng.int(2, 8), ttlMinMs, ttlMaxMs: ttlMinMs + workloadRng.int(0, 150), readsPerKey: workloadRng.int(2, 4) };

  // Quiesce somewhere in the workload's fault-free duration estimate, so a
  // good part of it runs under faults and some of it after.
  const cycleUs = workload.thinkMeanUs + 2 * (delay.baseUs + delay.tailMeanUs) + 2 * (wake.baseUs + wake.tailMeanUs) + 100;
  const estimateUs = Math.ceil(ops / (clients * processesPerClient)) * cycleUs;
  let quiesceAtUs = Math.max(20_000, Math.floor(estimateUs * faultRng.int(40, 100) / 100));
  if (cluster !== null) {
    // Leader changes take an election timeout or two each: faults span several, and the workload is paced to run
    // through them (unpaced, a few hundred operations finish within one election timeout, before any leader changes).
    quiesceAtUs = Math.max(quiesceAtUs, CLUSTER_FAULT_ELECTIONS_MIN * DEFAULT_RAFT_TUNING.electionTicks * cluster.tickUs);
    const opsPerProcess = Math.ceil(ops / (clients * processesPerClient));
    workload.thinkMeanUs = Math.max(workload.thinkMeanUs, Math.ceil(quiesceAtUs / (WORKLOAD_SHARE_UNDER_FAULTS * opsPerProcess)) - (cycleUs - workload.thinkMeanUs));
  }
  const layout = layoutHosts(nodes, clients);
  const faultsExplicit = options.faults !== undefined;
  const faultsAllowed = options.faults ?? DEFAULT_FAULTS;
  const faults = planFaults(faultRng, {
    allowed: faultsAllowed,
    chance: (fault) => (faultsExplicit ? 1 : DEFAULT_FAULT_CHANCE[fault]),
    quiesceAtUs,
    nodeHosts: layout.nodeHosts,
    clientHosts: clientHostsOf(layout),
    workersPerNode: nodeSettings.map((s) => s.workers),
    raftGroups: cluster === null ? null
      : { groups: cluster.groups, electionUs: DEFAULT_RAFT_TUNING.electionTicks * cluster.tickUs, tickUs: cluster.tickUs, clientTimeoutUs: timeoutUs },
  });
  session.lossy = faults.lossy !== null;

  // Long enough after quiesce for every fault's after-effects to clear: a
  // request caught in a fault times out, dead connections fail their
  // keepalive, and reconnects get through.
  const maxLinkUs = maxDelayUs(delay);
  // A cluster also needs to elect leaders again: a few election timeouts (10-19 ticks each), pre-vote rounds included.
  const electionsUs = cluster ? ELECTIONS_AFTER_QUIESCE * 2 * DEFAULT_RAFT_TUNING.electionTicks * cluster.tickUs : 0;
  const settleUs = timeoutUs + session.connectTimeoutUs + 2 * session.keepaliveUs + session.backoffMaxUs + 4 * maxLinkUs
    + Math.max(...nodeSettings.map((s) => s.idleWakeUs)) + electionsUs;
  // Worst fault-free path for one operation: wait out a reconnect backoff, connect, then the request itself.
  const livenessBoundUs = session.backoffMaxUs + session.connectTimeoutUs + timeoutUs;

  return {
    seed: options.seed, nodes, clients, processesPerClient, ops, faultsAllowed, faultsExplicit, faults, layout, nodeSettings, delay, session,
    workload, ttl, quiesceAtUs, settleAtUs: quiesceAtUs + settleUs, livenessBoundUs, runRng, cluster, failoverHosts, readOnlyHosts,
    // On for `--faults all` (every fault named): other runs keep their traces (the mutation suite's catching seeds).
    watcher: (options.watcher ?? FAULT_NAMES.every((f) => faultsAllowed.includes(f))) ? watcherOf(options.seed, nodes, cluster) : null,
  };
}

/**
 * The watcher's node and prefix, from the seed without drawing from its
 * generators (every other draw stays where it was): a node holding every
 * group (a prefix watch covers them all), and either every key or the
 * registers' `k` (so some changes do not match).
 */
function watcherOf(seed: number, nodes: number, cluster: ClusterSpec | null): { node: number; nodes: number[]; prefix: string } | null {
  const candidates = Array.from({ length: nodes }, (_, n) => n)
    .filter((n) => cluster === null || cluster.placement.every((replicas) => replicas.includes(n)));
  if (candidates.length === 0) return null;
  const first = seed % candidates.length;
  return { node: candidates[first]!, nodes: [...candidates.slice(first), ...candidates.slice(0, first)], prefix: seed % 2 === 0 ? '' : 'k' };
}

/** Largest transaction weight: ten times the largest other weight is already a transaction-only workload. */
export const TX_WEIGHT_MAX = 100;

/** Largest data share: the string workload keeps a part of every run (its checks, counters and transactions). */
export const DATA_SHARE_MAX = 0.9;

/**
 * Most register fields, and most counter fields, per hash key. A compact hash is one record value, and the
 * hash code (unlike lists') converts it by field count and size alone, not by the node's valueBytesMax: 20
 * small pairs (~19 bytes each) stay within the simulator's 512-byte values, more would trip the store's
 * value-limit assertion (a real bug, reported; docs/simulation.md). More fields are spread over more keys.
 */
const HASH_FIELDS_PER_KEY_MAX = 10;

function dataSpec(rng: Random, share: number, processes: number, ops: number, clustered: boolean): DataSpec {
  // As many field registers as register keys would have (KEY_PROCESSES_MAX processes each, on average).
  const fieldsNeeded = Math.ceil(processes / KEY_PROCESSES_MAX);
  const hashKeys = Array.from({ length: Math.max(rng.int(1, 3), Math.ceil(fieldsNeeded / HASH_FIELDS_PER_KEY_MAX)) }, (_, i) => `h${i}`);
  const hashFields = Array.from({ length: Math.min(HASH_FIELDS_PER_KEY_MAX, Math.max(rng.int(1, 4), Math.ceil(fieldsNeeded / hashKeys.length))) }, (_, i) => `f${i}`);
  const hashWeights = { read: rng.int(1, 10), write: rng.int(1, 10), delete: rng.int(0, 4), incr: rng.int(0, 6) };
  const listShare = rng.int(2, 6) / 10;
  // Counter fields as counter keys: few enough increments each that unanswered ones do not exhaust the checker.
  const hashWeightSum = hashWeights.read + hashWeights.write + hashWeights.delete + hashWeights.incr;
  const expectedIncrs = Math.ceil((ops * share * (1 - listShare) * hashWeights.incr) / hashWeightSum);
  const target = clustered ? COUNTER_INCRS_PER_KEY_TARGET_CLUSTER : COUNTER_INCRS_PER_KEY_TARGET;
  const counterFields = hashWeights.incr === 0 ? 0 : Math.min(HASH_FIELDS_PER_KEY_MAX, Math.max(1, Math.ceil(expectedIncrs / (target * hashKeys.length))));
  const hashCounterFields = Array.from({ length: counterFields }, (_, i) => `n${i}`);
  // Half the runs grow one hash past the compact limit: its table's exact-layout image is what lagging replicas install.
  const bigHashKeys = rng.chance(0.5) ? [hashKeys[0]!] : [];
  const listKeys = Array.from({ length: rng.int(1, 3) }, (_, i) => `l${i}`);
  return { share, listShare, hashKeys, hashFields, hashCounterFields, bigHashKeys, hashWeights, listKeys };
}

/**
 * In a cluster, the chance that a workload client host that stays with its leader (failoverHosts) only reads. A
 * leader's read waits for every entry it had proposed when the read arrived (the read floor,
 * core/raft/read-index.ts), so a deposed leader with entries of its own that will never commit holds its reads
 * back instead of answering them stale: a leader that skips the ReadIndex round (the planted
 * `readWithoutReadIndex`) shows only where reads reach a deposed leader whose log is all applied, which hosts
 * that stay with it and never write there leave it so.
 */
const READ_ONLY_HOST_CHANCE = 0.5;

/** In a cluster, faults last at least this many election timeouts: enough for a few leader changes in a row. */
const CLUSTER_FAULT_ELECTIONS_MIN = 12;
/** The share of a process's operations paced to run before quiesce in a cluster (the rest: the reserve kept for after it, and slack). */
const WORKLOAD_SHARE_UNDER_FAULTS = 0.8;

/** Election timeouts a cluster gets, after the faults stop, to have a leader in every group. */
const ELECTIONS_AFTER_QUIESCE = 4;

function clusterSpec(options: SimOptions, nodes: number, rng: Random, leaderWaitRng: Random): ClusterSpec | null {
  if (options.groups === undefined && options.replicas === undefined) return null;
  const groups = options.groups ?? nodes;
  const replicas = options.replicas ?? Math.min(3, nodes);
  assert(Number.isInteger(groups) && groups >= 1 && groups <= GROUPS_MAX, `groups must be in 1..${GROUPS_MAX}`);
  assert(Number.isInteger(replicas) && replicas >= 1 && replicas <= nodes, 'replicas must be in 1..nodes');
  // 2-20 ms ticks: elections take 20-400 ms of virtual time, a few network round trips' worth.
  // Half the seeds refuse at once, half wait up to the product's wait (shorter and longer than a client's timeout): holds
  // change which requests reach which replica when (a held write reaches a new leader at once, as a no-op would), and
  // some Raft bugs show only in the traffic without them (docs/simulation.md, "Planted bugs").
  const leaderWaitTicks = options.leaderWaitTicks ?? (leaderWaitRng.chance(0.5) ? 0 : leaderWaitRng.int(1, LEADER_WAIT_TICKS));
  assert(Number.isInteger(leaderWaitTicks) && leaderWaitTicks >= 0, 'leaderWaitTicks must be a whole number of ticks');
  return { groups, replicas, placement: placeGroups(groups, replicas, nodes), tickUs: rng.int(2, 20) * 1000, leaderWaitTicks };
}

// One simulated run, start to verdict: build the world from the seed's
// config, inject the planned faults, run the workload until every client is
// done, read every key back, check expiry and the final state of the nodes,
// then judge the history with the linearizability checker.

import { AssertionError } from '../core/assert.js';
import { checkHistory, checkQueueHistory, operationToJson, pairEvents, type CheckResult, type HistoryEvent, type QueueVerdict } from '../core/checker/index.js';
import { hashCounterKeys, makeDataContext, type DataContext } from './data-workload.js';
import { QueueDrainer } from './queue-workload.js';
import { ClientSession, emptySessionStats, type SessionStats } from './client-session.js';
import { makeConfig, type SimConfig, type SimOptions } from './config.js';
import { maxDelayUs } from './delay.js';
import { Kind } from './event-kinds.js';
import { Findings, HistoryRecorder, type OpCounts } from './history-recorder.js';
import { PipelineOrder } from './pipeline-order.js';
import { Network, NO_DATAGRAM_FAULTS, type NetworkStats } from './network.js';
import { NodeClock } from './node-clock.js';
import { NodeHost } from './node-host.js';
import { PartitionTable } from './partitions.js';
import { FinalReader, WorkloadClient, type ClientContext } from './recording-client.js';
import type { NodeStats, SchedulingFaults } from './sim-node.js';
import { ENVIRONMENT_THREAD, Simulation } from './simulation.js';
import { KeyRoutes, SlotOwnership, hostName } from './topology.js';
import { TtlClient, type TtlStats } from './ttl-client.js';
import { KnownValues } from './values.js';
import { LeaderRouter } from './cluster.js';
import { ReplicaChecker } from './replica-checker.js';
import { LeaderStrikes } from './leader-strikes.js';
import type { ShardReplica } from '../core/replica/shard-replica.js';
import { exitCodeFor, type Failure } from './verdict.js';
import { checkSwept, probeSweep, type SweepProbe, type SweepVerdict } from './sweep-check.js';
import { WatchChecker, type WatchStats } from './watch-checker.js';
import { WatchClient } from './watch-client.js';
import { utf8 } from '../core/bytes.js';

/** Events a run may take per client operation: healthy runs take about 20 (clusters included). */
const EVENTS_PER_OP_MAX = 500;

/** Bounds of the entries between snapshots in a replicated run: small, so snapshots and InstallSnapshot happen often. */
const SNAPSHOT_EVERY_MIN = 20;
const SNAPSHOT_EVERY_MAX = 300;

/** Lines of a failing window or finding list shown in a report. */
const DETAIL_LINES_MAX = 12;

export type CheckerOutcome =
  | { verdict: 'linearizable'; steps: number }
  | { verdict: 'not-linearizable'; steps: number; key: string }
  | { verdict: 'unknown'; steps: number; reason: string }
  | { verdict: 'skipped'; reason: string };

export interface NodeReport {
  name: string;
  stats: NodeStats;
  incarnations: number;
  clockJumps: number;
  ringLaps: number;
}

export interface SeedRun {
  config: SimConfig;
  failures: Failure[];
  exitCode: number;
  traceHash: string;
  counts: OpCounts;
  finalCounts: Record<'ok' | 'fail' | 'info', number>;
  /** History operations recorded (workload and final reads). */
  operations: number;
  ttl: TtlStats;
  nodes: NodeReport[];
  network: NetworkStats;
  sessions: SessionStats;
  checker: CheckerOutcome;
  virtualUs: number;
  events: number;
  eventsDeferred: number;
  history: HistoryEvent[];
  /** A cluster's final sweep check (null for single nodes, or a run stopped before it): what it could not judge. */
  sweep: SweepVerdict | null;
  /** The watcher's counts (null: no watcher in this run). */
  watch: (WatchStats & { node: number; prefix: string; connects: number }) | null;
  /** The lists' queue operations (runs with data commands), null without. */
  queue: QueueCounts | null;
  /** Wall-clock split, only when a clock was passed in (never part of the deterministic report). */
  timing?: { simMs: number; checkMs: number };
}

/** Runs one seed. `wallClockMs` (optional) only measures; nothing in the run depends on it. */
export function runSeed(options: SimOptions, wallClockMs?: () => number): SeedRun {
  const config = makeConfig(options);
  const world = new World(config, options);
  const t0 = wallClockMs?.();
  world.run();
  const t1 = wallClockMs?.();
  const checker = world.check(options.checkerStepsMax);
  const t2 = wallClockMs?.();
  const run = world.report(checker);
  if (t0 !== undefined && t1 !== undefined && t2 !== undefined) run.timing = { simMs: t1 - t0, checkMs: t2 - t1 };
  return run;
}

class World {
  readonly sim = new Simulation();
  readonly findings = new Findings();
  /** Reads and writes by the stream they left on: the pipeline-order check (runtime-sim/pipeline-order.ts). */
  private readonly pipelines = new PipelineOrder();
  readonly recorder: HistoryRecorder;
  readonly network: Network;
  readonly nodes: NodeHost[] = [];
  readonly sessions: ClientSession[] = [];
  readonly ttlClient: TtlClient;
  private readonly partitions: PartitionTable;
  private readonly scheduling: SchedulingFaults;
  private workloadLeft: number;
  private ttlDone = false;
  private finalDone = false;
  private finished = false;
  /** Every client is done; the run waits for expiry and sweeps before the final checks (no operations to expect). */
  private awaitingFinalChecks = false;
  private lastProgressUs = 0;
  /** Workload processes in their think time (see ClientContext.thinking): the watchdog waits for them. */
  private readonly thinking = { processes: 0 };
  private crashError: unknown = null;
  /** Set when the checker finds a violation: its key and failing window (JSON lines). */
  private violation: { key: string; window: string[] } | null = null;
  /** The violation disappears without the final read-back: an acknowledged write was lost. */
  private lostWriteOnly = false;
  /** Raft's invariants, watched on every step of a replicated run. */
  readonly replicaChecker = new ReplicaChecker();
  /** Faults aimed at leaders (a cluster with the `leader` fault on), resolved by watching the replicas. */
  private strikes: LeaderStrikes | null = null;
  /** A cluster's groups and leaders when the final sweep check starts (see maybeFinish). */
  private sweepProbes: SweepProbe[] = [];
  /** The cluster's final sweep check, once run. */
  sweepVerdict: SweepVerdict | null = null;
  /** The watcher and its checker (config.watcher), or null. */
  private readonly watch: { client: WatchClient; checker: WatchChecker } | null = null;
  /** The lists' queue history judged (runs with data commands), once checked. */
  private queueVerdict: QueueVerdict | null = null;
  /** Data commands' shared state (null: the workload has none). */
  private readonly data: DataContext | null;

  constructor(readonly config: SimConfig, options: SimOptions) {
    const { layout, faults, runRng } = config;
    const sim = this.sim;
    this.partitions = new PartitionTable(layout.hostCount);
    this.network = new Network(sim, runRng.fork(), this.partitions, config.delay, faults.spikes);
    this.network.datagramFaults = faults.lossy ?? NO_DATAGRAM_FAULTS;
    this.scheduling = { active: true, hiccups: faults.hiccups };
    if (config.cluster !== null && faults.strikes.length > 0) {
      this.strikes = new LeaderStrikes({ sim, partitions: this.partitions, network: this.network, nodes: this.nodes, nodeHosts: layout.nodeHosts },
        faults.strikes, config.cluster.groups);
    }

    // Drawn only for a cluster, so single-node runs keep their traces.
    const snapshotEveryEntries = config.cluster === null ? 0 : runRng.fork().int(SNAPSHOT_EVERY_MIN, SNAPSHOT_EVERY_MAX);
    for (let n = 0; n < config.nodes; n++) {
      const settings = config.nodeSettings[n]!;
      const threads = {
        io: sim.addThread(`n${n}/io`),
        workers: Array.from({ length: settings.workers }, (_, w) => sim.addThread(`n${n}/w${w}`)),
      };
      const cluster = config.cluster === null ? null : {
        spec: config.cluster,
        nodeIndex: n,
        snapshotEveryEntries,
        ...(options.raftBugs ? { bugs: options.raftBugs } : {}),
        ...(options.raftTuning ? { raftTuning: options.raftTuning } : {}),
        ...(options.replicaBugs?.sendBeforeSync ? { sendBeforeSync: true } : {}),
        ...(options.replicaBugs?.forgetVoteOnRestart ? { forgetVoteOnRestart: true } : {}),
        ...(options.replicaBugs?.recoverWithoutChecksums ? { recoverWithoutChecksums: true } : {}),
        // Write-path disk faults (misdirected writes, slow fsyncs) come with the crash fault, which lets them be found; until quiesce.
        diskFaultsUntilUs: faults.enabled.includes('crash') ? config.quiesceAtUs : 0,
        send: (to: number, bytes: Uint8Array): void => {
          const target = this.nodes[to]!;
          this.network.sendDatagram(layout.nodeHosts[n]!, layout.nodeHosts[to]!, target.threads.io, target.receivePeerAction, bytes, true);
        },
        observe: (node: number, replicas: readonly ShardReplica[]): void => {
          this.replicaChecker.observe(node, replicas);
          this.strikes?.observe(node, replicas);
          // A broken invariant is the verdict; running on (a broken log can storm with messages) only costs time.
          if (this.replicaChecker.violationCount > 0 && !this.finished) {
            this.finished = true;
            sim.stop();
          }
        },
      };
      const host = new NodeHost(n, layout.nodeHosts[n]!, sim, this.network, threads, new NodeClock(faults.skewMs[n]!), settings, runRng.fork(), options.workerFactory, this.scheduling, cluster);
      host.boot();
      this.nodes.push(host);
    }

    const newSession = (host: number): ClientSession => {
      const session = new ClientSession(sim, this.network, this.nodes, host, sim.addThread(hostName(layout, host)), runRng.fork(), config.session);
      this.sessions.push(session);
      return session;
    };

    const processes = config.clients * config.processesPerClient;
    // With transactions, processes..2*processes-1 are the workload processes' shadows (a transaction's second key).
    const txShadows = config.workload.weights.tx > 0;
    const finalProcess = txShadows ? 2 * processes : processes;
    this.recorder = new HistoryRecorder(finalProcess);
    const { workload } = config;
    const ctx: ClientContext = {
      sim,
      recorder: this.recorder,
      findings: this.findings,
      known: new KnownValues(),
      keys: new KeyRoutes(new SlotOwnership(config.nodes)),
      router: null, // per client host: see hostCtx
      counterKeys: new Set([...workload.counterKeys, ...(workload.data === null ? [] : hashCounterKeys(workload.data))]),
      settleAtUs: config.settleAtUs,
      livenessBoundUs: config.livenessBoundUs,
      onProgress: () => { this.lastProgressUs = sim.nowUs; },
      thinking: this.thinking,
      data: workload.data === null ? null : makeDataContext(workload.data),
      pipelines: this.pipelines,
    };

    // Each client host routes by its own idea of who leads (they disagree while a group changes leader).
    const cluster = config.cluster;
    const hostCtx = (failover = true): ClientContext =>
      (cluster === null ? ctx : { ...ctx, router: new LeaderRouter(cluster, failover ? config.session.timeoutUs : null) });
    this.data = ctx.data;
    const finalCtx = hostCtx();
    const finalSession = newSession(layout.finalReaderHost);
    const finalDone = (): void => { this.finalDone = true; this.maybeFinish(); };
    // With lists, the final drain empties them after the read-back (same host and process: one after the other).
    const afterReads = ctx.data === null ? finalDone : (): void => new QueueDrainer(finalCtx, finalProcess, finalSession, finalDone).start();
    const finalKeys = [...workload.registerKeys, ...workload.counterKeys, ...workload.txKeyPairs.flat(), ...(ctx.data?.registers.keys() ?? [])];
    const finalReader = new FinalReader(finalCtx, finalProcess, finalSession, finalKeys, afterReads);
    this.workloadLeft = processes;
    const workloadDone = (): void => {
      if (--this.workloadLeft === 0) finalReader.start();
    };
    for (let c = 0; c < config.clients; c++) {
      const session = newSession(layout.workloadHosts[c]!);
      const clientCtx = hostCtx(config.failoverHosts[c]);
      for (let k = 0; k < config.processesPerClient; k++) {
        const process = c * config.processesPerClient + k;
        const quota = Math.floor(config.ops / processes) + (process < config.ops % processes ? 1 : 0);
        const reserve = Math.min(quota, Math.max(1, Math.ceil(quota / 10)));
        new WorkloadClient(clientCtx, process, session, runRng.fork(), workload, quota, reserve, workloadDone, txShadows ? processes + process : -1,
          config.readOnlyHosts[c] === true).start();
      }
    }
    this.ttlClient = new TtlClient(sim, newSession(layout.ttlHost), runRng.fork(), config.ttl, this.nodes, ctx.keys, this.findings, config.settleAtUs,
      () => { this.ttlDone = true; this.maybeFinish(); }, cluster === null ? null : new LeaderRouter(cluster, config.session.timeoutUs));
    this.ttlClient.start();

    if (config.watcher !== null) {
      const prefix = utf8(config.watcher.prefix);
      const checker = new WatchChecker(prefix);
      const nodes = config.watcher.nodes.map((n) => this.nodes[n]!);
      for (const node of nodes) node.watchSetup = { checker, bugs: options.watchBugs ?? {} };
      // From the expiry client's host (partitions that cut it off cut the watcher off too), on a thread of its own.
      const client = new WatchClient(sim, this.network, nodes, layout.ttlHost, sim.addThread('watcher'), prefix, config.session, checker);
      this.watch = { client, checker };
      client.start();
    }

    this.scheduleFaults();
    this.scheduleWatchdog();
  }

  private scheduleFaults(): void {
    const { sim, config, network, partitions, nodes } = this;
    const { faults, runRng } = config;
    const env = ENVIRONMENT_THREAD;
    const faultRng = runRng.fork();
    faults.partitions.forEach((p, i) => {
      sim.at(p.startUs, env, Kind.PARTITION_START, i, () => partitions.block(p.shape.pairs));
      sim.at(p.endUs, env, Kind.PARTITION_HEAL, i, () => {
        partitions.unblock(p.shape.pairs);
        network.healed();
      });
    });
    faults.pauses.forEach((p, i) => {
      sim.at(p.startUs, env, Kind.PAUSE, i, () => {
        const threads = nodes[p.node]!.threads;
        if (p.worker !== null) sim.freeze(threads.workers[p.worker]!, p.endUs);
        else for (const t of [threads.io, ...threads.workers]) sim.freeze(t, p.endUs);
      });
    });
    faults.resets.forEach((atUs, i) => {
      sim.at(atUs, env, Kind.RESET, i, () => {
        const open = nodes.flatMap((n) => n.openStreams());
        if (open.length > 0) faultRng.pick(open).reset('network');
      });
    });
    faults.crashes.forEach((c, i) => {
      const host = nodes[c.node]!;
      sim.at(c.atUs, env, Kind.CRASH, i, () => host.crash(c.machineDown));
      sim.at(c.restartUs, env, Kind.RESTART, i, () => { if (host.current === null) host.boot(); });
    });
    faults.jumps.forEach((j, i) => {
      sim.at(j.atUs, env, Kind.CLOCK_JUMP, i, () => nodes[j.node]!.clock.jump(j.atUs, j.jumpMs));
    });
    // Before quiesce's event: a strike ending at quiesce's time heals and restarts first.
    this.strikes?.schedule();
    sim.at(config.quiesceAtUs, env, Kind.QUIESCE, 0, () => {
      network.faultsActive = false;
      this.scheduling.active = false;
      if (partitions.anyBlocked) throw new AssertionError('a partition outlived quiesce');
      for (const host of nodes) if (host.current === null) throw new AssertionError(`node n${host.index} still down at quiesce`);
    });
  }

  /** After faults settle, a run that stops completing operations is a liveness failure (and must not spin forever). */
  private scheduleWatchdog(): void {
    const { sim, config } = this;
    const periodUs = config.livenessBoundUs + 2 * config.ttl.ttlMaxMs * 1000;
    const tick = (): void => {
      if (this.finished || this.awaitingFinalChecks) return;
      // A process still thinking will act (and be judged) when its think ends: a quiet spell then is no stall yet.
      if (sim.nowUs - Math.max(this.lastProgressUs, config.settleAtUs) > 2 * periodUs && this.thinking.processes === 0) {
        this.findings.liveness.push(`no operation completed between ${this.lastProgressUs}us and ${sim.nowUs}us`);
        this.finished = true;
        sim.stop();
        return;
      }
      sim.after(periodUs, ENVIRONMENT_THREAD, Kind.FINAL_CHECK, 1, tick);
    };
    sim.at(config.settleAtUs, ENVIRONMENT_THREAD, Kind.FINAL_CHECK, 1, tick);
  }

  private maybeFinish(): void {
    if (!this.finalDone || !this.ttlDone) return;
    const { sim, config } = this;
    // Every key set with a TTL has expired by now on the clock of the node that stamped it (a clock is within
    // the key's TTL of itself); then give the sweeps a few periods to remove them from memory.
    const expiredByUs = Math.max(this.ttlClient.lastExpiryUs, config.settleAtUs + config.ttl.ttlMaxMs * 1000);
    this.awaitingFinalChecks = true;
    const sweepPeriodUs = Math.max(...config.nodeSettings.map((s) => s.sweepIntervalMs * 1000 + s.idleWakeUs + maxDelayUs(s.wake)));
    const probeAtUs = Math.max(sim.nowUs, expiredByUs);
    const finish = (): void => {
      this.finalChecks();
      this.finished = true;
      sim.stop();
    };
    if (config.cluster === null) {
      sim.at(Math.max(sim.nowUs, expiredByUs + 3 * sweepPeriodUs), ENVIRONMENT_THREAD, Kind.FINAL_CHECK, 0, finish);
      return;
    }
    // In a cluster, each group is judged against its leader's sweep time (runtime-sim/sweep-check.ts), so the run
    // need not wait out the spread of the node clocks. The margin: a sweep comes due (a few periods), its entry is
    // replicated and committed, and followers learn the commit with the next heartbeat (a tick and link delays).
    const marginUs = 3 * sweepPeriodUs + 2 * config.cluster.tickUs + 4 * maxDelayUs(config.delay);
    sim.at(probeAtUs, ENVIRONMENT_THREAD, Kind.FINAL_CHECK, 2, () => {
      this.sweepProbes = probeSweep(this.nodes, sim.nowUs);
      sim.after(marginUs, ENVIRONMENT_THREAD, Kind.FINAL_CHECK, 0, finish);
    });
  }

  private finalChecks(): void {
    if (this.config.cluster !== null) {
      const replicas = new Map<number, Iterable<ShardReplica>>();
      for (const host of this.nodes) if (host.current) replicas.set(host.index, [...host.current.replicas()]); // an array: two checks read it
      this.replicaChecker.checkConverged(replicas);
      this.findings.liveness.push(...this.replicaChecker.livenessAtEnd(replicas, this.config.cluster.groups));
      const swept = checkSwept(this.nodes, this.sweepProbes, this.config.cluster.groups);
      this.findings.expiry.push(...swept.findings);
      this.sweepVerdict = swept;
    }
    if (this.watch !== null) {
      const watched = this.watch.client.node;
      this.watch.checker.atEnd(this.watch.client.isLive && watched.current !== null, this.sim.nowUs);
    }
    for (const host of this.nodes) {
      if (host.stats.lostWakeups > 0) {
        this.findings.liveness.push(`n${host.index}: ${host.stats.lostWakeups} lost wake-ups`, ...host.stats.lostWakeupNotes);
      }
      const node = host.current;
      const name = `n${host.index}`;
      if (node === null) {
        this.findings.liveness.push(`${name} is down at the end`);
        continue;
      }
      if (node.inFlight > 0 || node.backlogLength > 0) {
        this.findings.liveness.push(`${name}: ${node.inFlight} requests still in its rings (${node.backlogLength} in backlog) at the end`);
      }
      if (this.config.cluster === null && node.expiringKeys > 0) {
        this.findings.expiry.push(`${name}: ${node.expiringKeys} keys with a TTL still in memory long after they all expired (sweep not removing them)`);
      }
    }
  }

  run(): void {
    const hardLimitUs = this.config.settleAtUs + 3_600_000_000; // an hour of virtual time: the watchdog stops far sooner
    try {
      // A message storm (a broken log can make replicas resend forever) must end the run, not stall the sweep.
      const eventsMax = EVENTS_PER_OP_MAX * (this.config.ops + 1000);
      const why = this.sim.run(hardLimitUs, eventsMax);
      const reason = why === 'idle' ? 'ran out of events' : why === 'time-limit' ? 'hit the virtual time limit'
        : `ran ${eventsMax} events (a message storm?)`;
      if (why !== 'stopped') this.findings.liveness.push(`the run ${reason} before finishing`);
    } catch (error) {
      this.crashError = error;
    }
  }

  check(stepsMax?: number): CheckerOutcome {
    if (this.crashError !== null) return { verdict: 'skipped', reason: 'the run crashed' };
    const paired = pairEvents(this.recorder.events);
    if (!paired.ok) {
      this.crashError = new AssertionError(`the simulator recorded an ill-formed history: event ${paired.index}: ${paired.message}`);
      return { verdict: 'skipped', reason: 'the history is ill-formed' };
    }
    const data = this.data;
    if (data !== null) this.queueVerdict = checkQueueHistory(data.queue.ops, data.queue.drained);
    const options = stepsMax === undefined ? {} : { stepsMax };
    let result: CheckResult;
    try {
      result = checkHistory(paired.ops, options);
    } catch (error) {
      this.crashError = error;
      return { verdict: 'skipped', reason: 'the checker threw' };
    }
    if (result.linearizable === true) return { verdict: 'linearizable', steps: result.steps };
    if (result.linearizable === null) return { verdict: 'unknown', steps: result.steps, reason: result.reason };
    this.violation = { key: result.key, window: result.window.map((op) => JSON.stringify(operationToJson(op))) };
    // Is the violation only in the final read-back? Then an acknowledged write was lost.
    const withoutFinal = pairEvents(this.recorder.withoutFinalReads());
    if (withoutFinal.ok && checkHistory(withoutFinal.ops, options).linearizable === true) this.lostWriteOnly = true;
    return { verdict: 'not-linearizable', steps: result.steps, key: result.key };
  }

  report(checker: CheckerOutcome): SeedRun {
    const failures: Failure[] = [];
    const { findings } = this;
    const list = (lines: string[]): string[] =>
      lines.length <= DETAIL_LINES_MAX ? lines : [...lines.slice(0, DETAIL_LINES_MAX), `... and ${lines.length - DETAIL_LINES_MAX} more`];
    if (this.crashError !== null) {
      failures.push({ kind: 'core-error', summary: `exception: ${describeError(this.crashError)}`, details: stackLines(this.crashError) });
    }
    if (findings.unexpected.length > 0) {
      failures.push({ kind: 'core-error', summary: `${findings.unexpected.length} error replies the workload cannot cause`, details: list(findings.unexpected) });
    }
    if (this.replicaChecker.violationCount > 0) {
      failures.push({ kind: 'consensus', summary: `${this.replicaChecker.violationCount} Raft invariant violations`, details: list(this.replicaChecker.violations) });
    }
    if (findings.corruption.length > 0) {
      failures.push({ kind: 'corruption', summary: `${findings.corruption.length} corrupted values or malformed replies`, details: list(findings.corruption) });
    }
    if (checker.verdict === 'not-linearizable') {
      const v = this.violation!;
      failures.push(this.lostWriteOnly
        ? { kind: 'lost-write', summary: `the final read-back of key ${JSON.stringify(v.key)} does not match any linearizable state: an acknowledged write was lost`, details: list(v.window) }
        : { kind: 'linearizability', summary: `key ${JSON.stringify(v.key)} is not linearizable`, details: list(v.window) });
    }
    const outOfOrder = this.pipelines.violations();
    if (outOfOrder.length > 0) {
      failures.push({ kind: 'linearizability', summary: `${outOfOrder.length} reads out of pipeline order (a write sent after the read on its connection seen, or one sent before it missed)`, details: list(outOfOrder) });
    }
    if (findings.atomicity.length > 0) {
      failures.push({ kind: 'linearizability', summary: `${findings.atomicity.length} torn transaction reads: a transaction was not applied atomically`, details: list(findings.atomicity) });
    }
    const watchChecker = this.watch?.checker;
    if (watchChecker !== undefined && watchChecker.violationCount > 0) {
      failures.push({ kind: 'watch', summary: `${watchChecker.violationCount} watch stream violations`, details: list(watchChecker.violations) });
    }
    const queue = this.queueVerdict;
    if (queue !== null && queue.order.length > 0) {
      failures.push({ kind: 'linearizability', summary: `${queue.order.length} list queue violations (core/checker/queue-order.ts)`, details: list(queue.order) });
    }
    if (queue !== null && queue.lost.length > 0) {
      failures.push({ kind: 'lost-write', summary: `${queue.lost.length} acknowledged list pushes lost`, details: list(queue.lost) });
    }
    if (findings.expiry.length > 0) failures.push({ kind: 'expiry', summary: `${findings.expiry.length} expiry violations`, details: list(findings.expiry) });
    if (findings.liveness.length > 0) failures.push({ kind: 'liveness', summary: `${findings.liveness.length} liveness failures`, details: list(findings.liveness) });
    if (checker.verdict === 'unknown') failures.push({ kind: 'inconclusive', summary: `checker gave up: ${checker.reason}`, details: [] });

    const sessions: SessionStats = emptySessionStats();
    for (const s of this.sessions) {
      for (const k of Object.keys(sessions) as (keyof SessionStats)[]) {
        sessions[k] = k === 'pipelinedPeak' ? Math.max(sessions[k], s.stats[k]) : sessions[k] + s.stats[k];
      }
    }

    // Fold the outcome into the trace, so the hash covers what the clients saw, not only when things happened.
    const trace = this.sim.trace;
    for (const e of this.recorder.events) {
      trace.addU32(e.process);
      trace.addString(e.type);
      trace.addString(e.key);
      const v = e.value;
      const text = v === null ? '' : typeof v === 'string' ? v : `${v[0]}|${v[1]}`;
      trace.addString(text.length > 48 ? text.slice(0, 48) : text);
      trace.addU32(text.length);
    }

    return {
      config: this.config,
      failures,
      exitCode: exitCodeFor(failures),
      traceHash: trace.hex(),
      counts: this.recorder.counts,
      finalCounts: this.recorder.finalCounts,
      operations: this.recorder.operations,
      ttl: this.ttlClient.stats,
      nodes: this.nodes.map((n) => ({ name: `n${n.index}`, stats: n.stats, incarnations: n.incarnations, clockJumps: n.clock.jumps, ringLaps: n.ringLaps })),
      network: this.network.stats,
      sessions,
      checker,
      virtualUs: this.sim.nowUs,
      events: this.sim.eventsRun,
      eventsDeferred: this.sim.eventsDeferred,
      history: this.recorder.events,
      sweep: this.sweepVerdict,
      watch: this.watch === null ? null
        : { ...this.watch.checker.stats, ...this.config.watcher!, connects: this.watch.client.connects },
      queue: this.data === null ? null : queueCounts(this.data),
    };
  }
}

/** Per queue function, completions by type; values popped; lists the final drain emptied. */
export interface QueueCounts {
  push: Record<'ok' | 'fail' | 'info', number>;
  pop: Record<'ok' | 'fail' | 'info', number>;
  popped: number;
  drained: string;
}

function queueCounts(data: DataContext): QueueCounts {
  const counts: QueueCounts = { push: { ok: 0, fail: 0, info: 0 }, pop: { ok: 0, fail: 0, info: 0 }, popped: 0, drained: '' };
  for (const op of data.queue.ops) {
    counts[op.f][op.type]++;
    if (op.f === 'pop' && op.type === 'ok' && op.value !== null) counts.popped++;
  }
  counts.drained = `${data.queue.drained.size}/${data.spec.listKeys.length}`;
  return counts;
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/** The top of the stack, for a report (same build, same frames: still deterministic). */
function stackLines(error: unknown): string[] {
  if (!(error instanceof Error) || error.stack === undefined) return [];
  return error.stack.split('\n').slice(1, 7).map((line) => line.trim());
}

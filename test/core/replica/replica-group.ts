// A replicated shard group under faults, for tests: N ShardReplicas (Raft +
// shard) with in-memory storage that keeps only what was synced, a network
// the run controls (any order, drops, duplicates, partitions), crashes and
// restarts, clocks skewed per replica, and clients whose operations are
// recorded as a history for the linearizability checker.
//
// Clients follow the Jepsen model: one operation open per process; a reply
// is ok or fail; no reply within the timeout is info (outcome unknown), and
// that process retires (a fresh one takes its place). "notLeader" means the
// request was certainly not applied: fail, and try another replica.
// Some clients only read (`readers`): a reader that stays with a deposed
// leader whose own log is all applied is what shows a stale read there (a
// writer's entries, never committed, hold back its reads by their floor).

import { checkHistory, pairEvents, type CheckResult, type EventValue, type HistoryEvent, type OpFunction } from '../../../core/checker/index.js';
import { DEFAULT_LIMITS } from '../../../core/limits.js';
import type { Reply } from '../../../core/protocol/ops.js';
import { Random } from '../../../core/random.js';
import { DEFAULT_RAFT_TUNING, type PlantedBugs } from '../../../core/raft/raft.js';
import { MemoryRaftStorage } from '../../../core/raft/raft-storage.js';
import type { Message, ReplicaId } from '../../../core/raft/raft-types.js';
import { ShardReplica, type ReplicaOutcome } from '../../../core/replica/shard-replica.js';
import type { Proposal, ReadRequest } from '../../../core/shard/command.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export interface GroupRunOptions {
  seed: number;
  replicas?: number;
  steps?: number;
  clients?: number;
  /** How many of the clients only read (default 1, when there are at least two clients). */
  readers?: number;
  keys?: number;
  /** Take a snapshot every N applied entries (small, so snapshots and InstallSnapshot happen). */
  snapshotEveryEntries?: number;
  /** Bytes of records a snapshot job walks per process() call (tiny: snapshots span many calls). */
  snapshotStepBytes?: number;
  crashes?: boolean;
  bugs?: PlantedBugs;
}

export interface GroupRunResult {
  check: CheckResult;
  history: HistoryEvent[];
  counts: Record<'ok' | 'fail' | 'info', number>;
  /** Problems outside the checker's scope: liveness after healing, divergent replicas. */
  problems: string[];
}

/** Virtual ms per tick; the election timeout is 10-19 ticks. */
const TICK_MS = 10;
/** Ticks a client waits for a reply before it records info and retires. */
const CLIENT_TIMEOUT_TICKS = 60;
/** Ticks the healed group gets to answer the final reads. */
const RECOVERY_TICKS_MAX = 400;

interface OpenOp {
  process: number;
  f: OpFunction;
  key: string;
  invokeValue: EventValue;
  deadlineTick: number;
  /** Set when the op's outcome was recorded (reply or timeout); late callbacks are ignored. */
  done: boolean;
  /** False for a cas's version probe, which is not part of the history. */
  recorded: boolean;
}

export class ReplicaGroupRun {
  readonly random: Random;
  readonly ids: ReplicaId[];
  private readonly storages = new Map<ReplicaId, MemoryRaftStorage>();
  private readonly replicas = new Map<ReplicaId, ShardReplica | null>();
  private readonly skewMs = new Map<ReplicaId, number>();
  inFlight: Message[] = [];
  private readonly cut = new Set<string>();
  tick = 0;
  readonly history: HistoryEvent[] = [];
  readonly counts = { ok: 0, fail: 0, info: 0 };
  private nextProcess = 0;
  private nextValue = 0;
  private readonly clients: { process: number; open: OpenOp | null; target: ReplicaId; readsOnly: boolean }[] = [];
  readonly keys: string[];

  constructor(readonly options: GroupRunOptions) {
    this.random = Random.fromSeed(options.seed);
    const n = options.replicas ?? 3;
    this.ids = Array.from({ length: n }, (_, i) => i + 1);
    this.keys = Array.from({ length: options.keys ?? 3 }, (_, i) => `k${i}`);
    for (const id of this.ids) {
      this.storages.set(id, new MemoryRaftStorage());
      this.skewMs.set(id, this.random.int(-500, 500));
      this.start(id);
    }
    const clients = options.clients ?? 4;
    const readers = options.readers ?? (clients >= 2 ? 1 : 0);
    for (let c = 0; c < clients; c++) {
      this.clients.push({ process: this.nextProcess++, open: null, target: this.random.pick(this.ids), readsOnly: c >= clients - readers });
    }
  }

  private start(id: ReplicaId): void {
    this.replicas.set(id, new ShardReplica({
      group: 0,
      raft: { id, ...DEFAULT_RAFT_TUNING, random: this.random.fork(), ...(this.options.bugs ? { bugs: this.options.bugs } : {}) },
      limits: DEFAULT_LIMITS,
      membership: { voters: this.ids, learners: [] },
      snapshotEveryEntries: this.options.snapshotEveryEntries ?? 40,
      snapshotKeepEntries: 5,
      ...(this.options.snapshotStepBytes !== undefined ? { snapshotStepBytes: this.options.snapshotStepBytes } : {}),
    }, this.storages.get(id)!));
  }

  replica(id: ReplicaId): ShardReplica | null {
    return this.replicas.get(id) ?? null;
  }

  nowMs(id: ReplicaId): number {
    return 1_000_000 + this.tick * TICK_MS + this.skewMs.get(id)!;
  }

  /** Work an outcome callback started (a cas's set after its probe read), run once the replica's process() returned. */
  private deferred: (() => void)[] = [];
  private processing = false;

  /**
   * Run `work` (which drives a replica) now, or, when called from an outcome
   * callback inside a replica's process(), once that returns.
   */
  afterProcess(work: () => void): void {
    if (this.processing) this.deferred.push(work);
    else work();
  }

  private process(id: ReplicaId): void {
    const r = this.replicas.get(id);
    if (!r) return;
    // An outcome arrives inside process(), between a Ready and its advance: a replica may not be driven then,
    // so what a callback starts waits until process() returns (as a worker answers, then drains again).
    if (this.processing) {
      this.deferred.push(() => this.process(id));
      return;
    }
    this.processing = true;
    try {
      r.process(this.nowMs(id));
    } finally {
      this.processing = false;
    }
    for (const m of r.outbox) this.inFlight.push(m);
    r.outbox = [];
    while (this.deferred.length > 0) this.deferred.shift()!();
  }

  // ---- faults ----------------------------------------------------------------

  partition(groups: ReplicaId[][]): void {
    this.cut.clear();
    for (const a of this.ids) for (const b of this.ids) {
      if (a !== b && !groups.some((g) => g.includes(a) && g.includes(b))) this.cut.add(`${a}-${b}`);
    }
  }

  heal(): void {
    this.cut.clear();
  }

  crash(id: ReplicaId): void {
    this.storages.get(id)!.crash();
    this.replicas.set(id, null);
  }

  restart(id: ReplicaId): void {
    this.start(id);
    this.process(id);
  }

  deliver(i: number): void {
    const [m] = this.inFlight.splice(i, 1);
    if (!m || this.cut.has(`${m.from}-${m.to}`)) return;
    const r = this.replicas.get(m.to);
    if (!r) return;
    r.step(m);
    this.process(m.to);
  }

  tickAll(): void {
    this.tick++;
    for (const id of this.ids) {
      const r = this.replicas.get(id);
      if (!r) continue;
      r.tick();
      this.process(id);
    }
    this.expireClients();
  }

  // ---- clients ---------------------------------------------------------------

  private record(process: number, type: HistoryEvent['type'], f: OpFunction, key: string, value: EventValue): void {
    this.history.push({ process, type, f, key, value, time: this.tick });
  }

  private complete(client: { open: OpenOp | null; process: number }, op: OpenOp, type: 'ok' | 'fail' | 'info', value: EventValue): void {
    if (op.done) return;
    op.done = true;
    this.record(op.process, type, op.f, op.key, value);
    this.counts[type]++;
    client.open = null;
    // A process whose operation is indeterminate may still take effect later: it retires.
    if (type === 'info') client.process = this.nextProcess++;
  }

  private expireClients(): void {
    for (const c of this.clients) {
      const op = c.open;
      if (op && !op.done && this.tick >= op.deadlineTick) {
        if (op.recorded) this.complete(c, op, 'info', op.f === 'read' || op.f === 'incr' ? null : op.invokeValue);
        else { op.done = true; c.open = null; }
        c.target = this.random.pick(this.ids);
      }
    }
  }

  /** Idle clients start an operation at the replica they believe leads. */
  clientStep(): void {
    const c = this.random.pick(this.clients);
    if (c.open) return;
    const r = this.replicas.get(c.target);
    if (!r) { c.target = this.random.pick(this.ids); return; }
    const key = this.random.pick(this.keys);
    const roll = this.random.int(0, 9);
    if (roll < 4 || c.readsOnly) return this.runRead(c, r, key);
    if (roll < 7) return this.runWrite(c, r, key, 'write');
    if (roll < 8) return this.runWrite(c, r, key, 'delete');
    return this.runCas(c, r, key);
  }

  private retarget(c: { target: ReplicaId }, outcome: ReplicaOutcome): void {
    if (outcome.kind === 'notLeader') c.target = outcome.leader !== 0 ? outcome.leader : this.random.pick(this.ids);
  }

  private open(c: { process: number; open: OpenOp | null }, f: OpFunction, key: string, invokeValue: EventValue): OpenOp {
    const op: OpenOp = { process: c.process, f, key, invokeValue, deadlineTick: this.tick + CLIENT_TIMEOUT_TICKS, done: false, recorded: true };
    c.open = op;
    this.record(c.process, 'invoke', f, key, invokeValue);
    return op;
  }

  private runRead(c: (typeof this.clients)[number], r: ShardReplica, key: string): void {
    const op = this.open(c, 'read', key, null);
    const request: ReadRequest = { op: 'get', key: encoder.encode(key) };
    r.read(request, (outcome) => {
      this.retarget(c, outcome);
      if (outcome.kind !== 'reply') return this.complete(c, op, outcome.kind === 'notLeader' ? 'fail' : 'info', null);
      this.complete(c, op, 'ok', valueOf(outcome.reply));
    });
    this.process(r.id);
  }

  private runWrite(c: (typeof this.clients)[number], r: ShardReplica, key: string, f: 'write' | 'delete'): void {
    const value = f === 'write' ? `v${this.nextValue++}` : null;
    const op = this.open(c, f, key, value);
    const proposal: Proposal = value === null ? { op: 'del', key: encoder.encode(key) } : { op: 'set', key: encoder.encode(key), value: encoder.encode(value) };
    this.submit(c, r, op, proposal, () => value);
  }

  /** cas = a read for the current version, then a set expecting it, recorded as cas [seen, new] (versions never repeat). */
  private runCas(c: (typeof this.clients)[number], r: ShardReplica, key: string): void {
    const probe: OpenOp = { process: c.process, f: 'read', key, invokeValue: null, deadlineTick: this.tick + CLIENT_TIMEOUT_TICKS, done: false, recorded: false };
    c.open = probe; // busy, but the probe read is not part of the history
    r.read({ op: 'get', key: encoder.encode(key) }, (outcome) => {
      if (probe.done) return;
      probe.done = true;
      c.open = null;
      this.retarget(c, outcome);
      if (outcome.kind !== 'reply' || !outcome.reply.ok) return;
      const seen = valueOf(outcome.reply);
      const version = outcome.reply.found ? outcome.reply.version! : 0;
      const target = this.replicas.get(c.target);
      if (!target) return;
      const next = `v${this.nextValue++}`;
      const op = this.open(c, 'cas', key, [seen, next]);
      const set = (): void => this.submit(c, target, op, { op: 'set', key: encoder.encode(key), value: encoder.encode(next), expectedVersion: version }, () => [seen, next]);
      // Answered inside a process() call (see process): propose once it returned.
      this.afterProcess(set);
    });
    this.process(r.id);
  }

  private submit(c: (typeof this.clients)[number], r: ShardReplica, op: OpenOp, proposal: Proposal, okValue: () => EventValue): void {
    r.propose(proposal, this.nowMs(r.id), (outcome) => {
      this.retarget(c, outcome);
      if (outcome.kind === 'notLeader') return this.complete(c, op, 'fail', op.invokeValue);
      if (outcome.kind === 'unknown') return this.complete(c, op, 'info', op.invokeValue);
      const reply = outcome.reply;
      if (!reply.ok) return this.complete(c, op, reply.code === 'VERSION_MISMATCH' ? 'fail' : 'info', op.invokeValue);
      this.complete(c, op, 'ok', okValue());
    });
    this.process(r.id);
  }

  /** Reads every key once the faults have stopped; each must be answered (liveness). */
  finalReads(): string[] {
    const problems: string[] = [];
    for (const key of this.keys) {
      let answered = false;
      for (let t = 0; t < RECOVERY_TICKS_MAX && !answered; t++) {
        const lead = this.ids.find((id) => this.replicas.get(id)?.isLeader());
        if (lead !== undefined) {
          const c = { process: this.nextProcess++, open: null as OpenOp | null, target: lead };
          const op = this.open(c, 'read', key, null);
          this.replicas.get(lead)!.read({ op: 'get', key: encoder.encode(key) }, (outcome) => {
            if (outcome.kind === 'reply') { answered = true; this.complete(c, op, 'ok', valueOf(outcome.reply)); } else this.complete(c, op, 'fail', null);
          });
          this.process(lead);
          for (let i = 0; i < 5 && !op.done; i++) { this.tickAll(); this.deliverAll(); }
          if (!op.done) this.complete(c, op, 'info', null);
        } else {
          this.tickAll();
          this.deliverAll();
        }
      }
      if (!answered) problems.push(`liveness: no final read of ${key} answered within ${RECOVERY_TICKS_MAX} ticks after healing`);
    }
    return problems;
  }

  deliverAll(max = 100_000): void {
    let n = 0;
    while (this.inFlight.length > 0 && n++ < max) this.deliver(0);
  }

  /** Replicas that have applied the same index hold the same state. */
  divergence(): string[] {
    const byIndex = new Map<number, { id: ReplicaId; digest: string }>();
    const problems: string[] = [];
    for (const id of this.ids) {
      const r = this.replicas.get(id);
      if (!r) continue;
      const index = r.shard.appliedIndex;
      const digest = r.shard.digest();
      const other = byIndex.get(index);
      if (other && other.digest !== digest) problems.push(`replicas ${other.id} and ${id} differ at applied index ${index}`);
      byIndex.set(index, { id, digest });
    }
    return problems;
  }
}

/** A 3-replica group, settled with one leader every replica follows; no clients (the test is the client). */
export function settledGroup(): { run: ReplicaGroupRun; lead: ReplicaId; followers: ReplicaId[] } {
  const run = new ReplicaGroupRun({ seed: 1, clients: 0 });
  for (let t = 0; t < 100; t++) {
    run.tickAll();
    run.deliverAll();
    const lead = run.ids.find((id) => run.replica(id)?.isLeader());
    if (lead !== undefined && run.ids.every((id) => run.replica(id)!.leader() === lead)) {
      return { run, lead, followers: run.ids.filter((id) => id !== lead) };
    }
  }
  throw new Error('no leader within 100 ticks');
}

export function valueOf(reply: Reply): string | null {
  if (!reply.ok || !reply.found || !reply.value) return null;
  return decoder.decode(reply.value);
}

/**
 * One step of a run, drawn from `rand`: deliver, drop or duplicate a
 * message, tick, a client step, crash or restart a replica, partition or
 * heal. Faults come and go: a replica is down or the network split a small
 * part of the time.
 */
export function randomStep(run: ReplicaGroupRun, rand: Random, clientStep: () => void, crashes = true): void {
  switch (rand.weighted([40, 3, 2, 15, 25, crashes ? 0.5 : 0, 3, 0.7, 3])) {
    case 0: if (run.inFlight.length > 0) run.deliver(rand.int(0, run.inFlight.length - 1)); break;
    case 1: if (run.inFlight.length > 0) run.inFlight.splice(rand.int(0, run.inFlight.length - 1), 1); break;
    case 2: if (run.inFlight.length > 0) run.inFlight.push(run.inFlight[rand.int(0, run.inFlight.length - 1)]!); break;
    case 3: run.tickAll(); break;
    case 4: clientStep(); break;
    case 5: { const id = rand.pick(run.ids); if (run.replica(id)) run.crash(id); break; }
    case 6: { const down = run.ids.filter((id) => !run.replica(id)); if (down.length > 0) run.restart(rand.pick(down)); break; }
    case 7: {
      const shuffled = [...run.ids].sort(() => rand.float() - 0.5);
      const at = rand.int(1, run.ids.length - 1);
      run.partition([shuffled.slice(0, at), shuffled.slice(at)]);
      break;
    }
    case 8: run.heal(); break;
  }
}

export function runReplicaGroupSeed(options: GroupRunOptions): GroupRunResult {
  const run = new ReplicaGroupRun(options);
  const rand = Random.fromSeed(options.seed * 104_729 + 3);
  const steps = options.steps ?? 2000;
  for (let step = 0; step < steps; step++) randomStep(run, rand, () => run.clientStep(), options.crashes !== false);
  run.heal();
  for (const id of run.ids) if (!run.replica(id)) run.restart(id);
  for (let t = 0; t < 30; t++) { run.tickAll(); run.deliverAll(); }
  const problems = run.finalReads();
  for (let t = 0; t < 30; t++) { run.tickAll(); run.deliverAll(); }
  problems.push(...run.divergence());
  const paired = pairEvents(run.history);
  if (!paired.ok) throw new Error(`malformed history: ${JSON.stringify(paired)}`);
  const check = checkHistory(paired.ops, { stepsMax: 2_000_000 });
  return { check, history: run.history, counts: run.counts, problems };
}

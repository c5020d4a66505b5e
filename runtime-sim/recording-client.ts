// Simulated clients whose operations go into the history: the workload
// processes (random operations on a few keys, so they collide; several may
// share one client host's connections) and the final reader (reads every key
// back after quiesce). Each is one history process with at most one
// operation open.
//
// Mapping to Piccolo requests:
// - read = get; write = set; delete = del; incr = incr (on counter keys only);
// - cas = a get, then set with expectedVersion = the version that get saw
//   (0 if absent), recorded as cas [value-read, new]. Sound because versions
//   grow with every change of a key: if the version still matches, so does
//   the value. VERSION_MISMATCH is recorded as `fail` (certainly no effect).
// - no reply (timeout, reset) is `info`: it may or may not have taken effect.
// - in a cluster, NOT_LEADER is `fail` (the replica did not apply it) and the
//   client follows the leader hint; INDETERMINATE is `info`.
// - tx (off unless the workload weighs it): a transaction over a hash-tagged
//   key pair only transactions touch, setting both keys or getting both,
//   recorded as one write / read per key in one window, the second key's
//   under the process's shadow; a read transaction's pair is checked for
//   atomicity (core/checker/tx-atomicity.ts says why this is sound).
// - data commands (off unless the workload has a data share): hash fields as
//   registers and lists as queues, planned in runtime-sim/data-workload.ts.
// - in a cluster, some client hosts that stay with their leader only read
//   (runtime-sim/config.ts, READ_ONLY_HOST_CHANCE): reads and nothing else.

import type { CompletionType, EventValue, OpFunction, RegisterValue } from '../core/checker/index.js';
import { assert } from '../core/assert.js';
import type { Reply, Request } from '../core/protocol/ops.js';
import type { Random } from '../core/random.js';
import type { ClientSession, Outcome } from './client-session.js';
import type { WorkloadSpec } from './config.js';
import { sampleDelayUs, type DelaySpec } from './delay.js';
import { Kind } from './event-kinds.js';
import { isCanonicalDecimalInt64 } from '../core/checker/decimal-int64.js';
import { tornPairRead, txValue } from '../core/checker/tx-atomicity.js';
import type { Findings, HistoryRecorder } from './history-recorder.js';
import type { Simulation } from './simulation.js';
import type { LeaderRouter } from './cluster.js';
import type { KeyRoutes } from './topology.js';
import { encodeValue, splitValue, type KnownValues } from './values.js';
import { finalReadOf, interpretHashReply, runDataOp, type DataContext } from './data-workload.js';
import type { PipelineOrder, SendTicket } from './pipeline-order.js';

export interface ClientContext {
  sim: Simulation;
  recorder: HistoryRecorder;
  findings: Findings;
  known: KnownValues;
  keys: KeyRoutes;
  /** In a cluster: where this client believes each key's group leader is; null when every node is alone. */
  router: LeaderRouter | null;
  counterKeys: ReadonlySet<string>;
  /** Operations decided from here on must complete (ok or fail) within livenessBoundUs. */
  settleAtUs: number;
  livenessBoundUs: number;
  /** An operation completed (the watchdog's sign of progress). */
  onProgress(): void;
  /**
   * Workload processes now in their think time (one object shared by every host's context). A think can be
   * long (cluster runs pace few operations per process through the fault window: seed 4 with 32 client hosts
   * has a mean of 267 ms, capped at ten times that), so a quiet spell while a process thinks is not a stall.
   */
  thinking: { processes: number };
  /** Data commands' shared state (hash registers, the queue history), or null when the workload has none. */
  data: DataContext | null;
  /** Reads and writes by the stream they were sent on, for the pipeline-order check (runtime-sim/pipeline-order.ts). */
  pipelines: PipelineOrder;
}

export interface PlannedOp {
  f: OpFunction;
  key: string;
  invokeValue: EventValue;
  request: Request;
  /** The key the request routes by, when it is not `key` (a hash field's register routes by its hash key). */
  routeKey?: string;
}

export interface OpResult {
  type: CompletionType;
  /** What the history's completion carries. */
  value: EventValue;
  /** read: the version seen (0 if absent), for a following cas. */
  version?: number;
}

/** Runs one operation through `session`, recording its invoke and completion. */
export function performOp(ctx: ClientContext, session: ClientSession, process: number, op: PlannedOp, done: (result: OpResult) => void): void {
  const { sim, recorder } = ctx;
  const decidedUs = sim.nowUs;
  const route = ctx.keys.get(op.routeKey ?? op.key);
  const node = ctx.router ? ctx.router.nodeFor(route.bytes) : route.node;
  let ticket: SendTicket | null = null;
  session.execute(node, op.request,
    (stream) => {
      ticket = ctx.pipelines.sent(stream);
      recorder.invoke(process, op.f, op.key, op.invokeValue, sim.nowUs);
    },
    (outcome) => {
      if (outcome.kind !== 'reply') ctx.router?.unanswered(route.bytes, node, sim.nowUs);
      const result = interpret(ctx, process, op, outcome);
      recorder.complete(process, result.type, op.f, op.key, result.value, sim.nowUs);
      // A counter's values repeat (INCR), so a read cannot name the write it saw: registers only.
      if (!ctx.counterKeys.has(op.key)) notePipelineOrder(ctx.pipelines, process, op, result, ticket!);
      noteLiveness(ctx, decidedUs, () => `process ${process} ${op.f} ${op.key}`, result.type, outcome);
      ctx.onProgress();
      done(result);
    });
}

/** A register's write that may have taken effect, or its read that returned a value (a hash field's as well). */
function notePipelineOrder(pipelines: PipelineOrder, process: number, op: PlannedOp, result: OpResult, ticket: SendTicket): void {
  if (op.f === 'write' && result.type !== 'fail' && typeof op.invokeValue === 'string') pipelines.wrote(op.key, op.invokeValue, result.type === 'ok', ticket, process);
  else if (op.f === 'read' && result.type === 'ok' && typeof result.value === 'string') pipelines.read(op.key, result.value, ticket, process);
}

/** An operation decided after the faults settled must be answered, within the bound. */
/** `what` names the operation in a finding (built only for one: this runs on every completion). */
export function noteLiveness(ctx: ClientContext, decidedUs: number, what: () => string, type: CompletionType, outcome: Outcome): void {
  if (decidedUs < ctx.settleAtUs) return;
  const tookUs = ctx.sim.nowUs - decidedUs;
  if (type === 'info') {
    ctx.findings.liveness.push(`${what()}: no reply (${outcome.kind}) although it started at ${decidedUs}us, after faults settled at ${ctx.settleAtUs}us`);
  } else if (tookUs > ctx.livenessBoundUs) {
    ctx.findings.liveness.push(`${what()}: took ${tookUs}us after faults settled (bound ${ctx.livenessBoundUs}us)`);
  }
}

/** A transaction over a key pair: both keys set, or both read (see the header). */
export interface PlannedTx {
  f: 'write' | 'read';
  keys: readonly [string, string];
  /** write: the value each key is set to; read: null, null. */
  invokeValues: readonly [RegisterValue, RegisterValue];
  request: Request;
}

/** Runs one transaction through `session`, recording one operation per key: `processes` are the process and its shadow. */
export function performTx(ctx: ClientContext, session: ClientSession, processes: readonly [number, number], tx: PlannedTx, done: () => void): void {
  const { sim, recorder } = ctx;
  const decidedUs = sim.nowUs;
  const route = ctx.keys.get(tx.keys[0]);
  const node = ctx.router ? ctx.router.nodeFor(route.bytes) : route.node;
  session.execute(node, tx.request,
    () => { for (const i of [0, 1] as const) recorder.invoke(processes[i], tx.f, tx.keys[i], tx.invokeValues[i], sim.nowUs); },
    (outcome) => {
      if (outcome.kind !== 'reply') ctx.router?.unanswered(route.bytes, node, sim.nowUs);
      const results = interpretTx(ctx, processes[0], tx, outcome);
      for (const i of [0, 1] as const) recorder.complete(processes[i], results[i].type, tx.f, tx.keys[i], results[i].value, sim.nowUs);
      noteLiveness(ctx, decidedUs, () => `process ${processes[0]} tx ${tx.f} ${tx.keys.join('+')}`, results[0].type, outcome);
      ctx.onProgress();
      done();
    });
}

function interpretTx(ctx: ClientContext, process: number, tx: PlannedTx, outcome: Outcome): readonly [OpResult, OpResult] {
  const each = (make: (i: 0 | 1) => OpResult): readonly [OpResult, OpResult] => [make(0), make(1)];
  // A write transaction is one log entry: with no answer, both keys may or may not have it.
  const unknown = (i: 0 | 1): OpResult => ({ type: 'info', value: tx.invokeValues[i] });
  if (outcome.kind !== 'reply') return each(unknown);
  const reply = outcome.reply;
  const where = `process ${process} tx ${tx.f} ${tx.keys.join('+')}`;
  if (!reply.ok) {
    const refused = clusterRefusal(ctx, tx.keys[0], reply);
    if (refused === 'fail') return each((i) => ({ type: 'fail', value: tx.invokeValues[i] }));
    if (refused === null) ctx.findings.unexpected.push(`${where}: ${reply.code} ${reply.message}`);
    return each(unknown);
  }
  const replies = reply.replies;
  if (reply.found !== true || replies === undefined || replies.length !== 2) {
    // Nothing is watched, so a transaction always commits with one reply per op.
    ctx.findings.corruption.push(`${where}: ok reply without the two replies of a committed transaction`);
    return each(unknown);
  }
  const results = each((i) => {
    const r = replies[i]!;
    if (!r.ok) {
      ctx.findings.unexpected.push(`${where}: ${tx.keys[i]}: ${r.code} ${r.message}`);
      return unknown(i);
    }
    if (tx.f === 'read') return interpretRead(ctx, where, tx.keys[i], r);
    if (typeof r.version !== 'number' || r.version <= 0) ctx.findings.corruption.push(`${where}: ${tx.keys[i]}: ok reply without a version`);
    return { type: 'ok', value: tx.invokeValues[i] };
  });
  if (tx.f === 'read' && results[0].type === 'ok' && results[1].type === 'ok') {
    const torn = tornPairRead(tx.keys, [results[0].value as RegisterValue, results[1].value as RegisterValue]);
    if (torn !== null) ctx.findings.atomicity.push(`${where}: ${torn}`);
  }
  return results;
}

function interpret(ctx: ClientContext, process: number, op: PlannedOp, outcome: Outcome): OpResult {
  const unknown: OpResult = { type: 'info', value: op.f === 'read' || op.f === 'incr' ? null : op.invokeValue };
  if (outcome.kind !== 'reply') return unknown;
  const reply = outcome.reply;
  const where = `process ${process} ${op.f} ${op.key}`;
  if (!reply.ok) {
    if (op.f === 'cas' && reply.code === 'VERSION_MISMATCH') return { type: 'fail', value: op.invokeValue };
    const refused = clusterRefusal(ctx, op.routeKey ?? op.key, reply);
    if (refused === 'fail') return { type: 'fail', value: op.f === 'read' || op.f === 'incr' ? null : op.invokeValue };
    if (refused === null) ctx.findings.unexpected.push(`${where}: ${reply.code} ${reply.message}`);
    return unknown;
  }
  if (op.request.op === 'call') return interpretHashReply(ctx, where, op, reply) ?? unknown;
  switch (op.f) {
    case 'read': return interpretRead(ctx, where, op.key, reply);
    case 'write': case 'cas':
      if (typeof reply.version !== 'number' || reply.version <= 0) ctx.findings.corruption.push(`${where}: ok reply without a version`);
      return { type: 'ok', value: op.invokeValue };
    case 'delete':
      if (typeof reply.found !== 'boolean') ctx.findings.corruption.push(`${where}: ok reply without "found"`);
      return { type: 'ok', value: null };
    case 'incr': {
      if (typeof reply.integer !== 'bigint') {
        ctx.findings.corruption.push(`${where}: ok reply without the new value`);
        return unknown;
      }
      const text = reply.integer.toString();
      if (!isCanonicalDecimalInt64(text)) ctx.findings.corruption.push(`${where}: new value ${text} is outside the int64 range`);
      return { type: 'ok', value: text };
    }
  }
}

/**
 * In a cluster, what an error reply says about the request: NOT_LEADER is `fail` (not applied; the client
 * follows the hint), INDETERMINATE is `info`; null: neither (an error the workload cannot cause).
 */
export function clusterRefusal(ctx: ClientContext, routeKey: string, reply: Extract<Reply, { ok: false }>): 'fail' | 'info' | null {
  if (ctx.router === null) return null;
  if (reply.code === 'NOT_LEADER') {
    ctx.router.redirected(ctx.keys.get(routeKey).bytes, reply.leaderHint, ctx.sim.nowUs);
    return 'fail';
  }
  return reply.code === 'INDETERMINATE' ? 'info' : null;
}

function interpretRead(ctx: ClientContext, where: string, key: string, reply: Extract<Reply, { ok: true }>): OpResult {
  if (reply.found !== true) {
    if (reply.found !== false) ctx.findings.corruption.push(`${where}: ok reply without "found"`);
    return { type: 'ok', value: null, version: 0 };
  }
  if (!(reply.value instanceof Uint8Array) || typeof reply.version !== 'number') {
    ctx.findings.corruption.push(`${where}: found without a value and version`);
    return { type: 'ok', value: null, version: 0 };
  }
  return checkedRead(ctx, where, key, reply.value, reply.version);
}

/** A value read from `key` (a register's history key), checked byte for byte against what clients wrote to it. */
export function checkedRead(ctx: ClientContext, where: string, key: string, bytes: Uint8Array, version: number): OpResult {
  const { id, padBytes, padOk } = splitValue(bytes);
  const valid = padOk && (ctx.counterKeys.has(key) ? padBytes === 0 && isCanonicalDecimalInt64(id) : ctx.known.matches(key, id, padBytes));
  if (!valid) {
    ctx.findings.corruption.push(`${where}: read ${JSON.stringify(id.slice(0, 80))} with ${padBytes} bytes after it, which no client wrote to this key`);
    return { type: 'ok', value: `${id}<corrupt:${padBytes}>`, version };
  }
  return { type: 'ok', value: id, version };
}

/** A workload client: `quota` random operations, `reserve` of them kept for after faults settle. */
export class WorkloadClient {
  private issued = 0;
  private seq = 0;
  private readonly nextAction = (): void => {
    this.ctx.thinking.processes--;
    this.next();
  };
  /** Pause between operations: exponential around the workload's mean, capped at ten times it. */
  private readonly think: DelaySpec;

  constructor(
    private readonly ctx: ClientContext,
    readonly process: number,
    private readonly session: ClientSession,
    private readonly rng: Random,
    private readonly spec: WorkloadSpec,
    private readonly quota: number,
    private readonly reserve: number,
    private readonly onDone: () => void,
    /** The history process that records a transaction's second key (-1: the workload has no transactions). */
    private readonly txShadowProcess = -1,
    /** Only reads (a cluster's read-only client hosts, config.ts READ_ONLY_HOST_CHANCE). */
    private readonly readsOnly = false,
  ) {
    this.think = { baseUs: 0, tailMeanUs: spec.thinkMeanUs, tailCapUs: 10 * spec.thinkMeanUs };
  }

  start(): void {
    this.thinkThenNext();
  }

  private thinkThenNext(): void {
    const thinkUs = sampleDelayUs(this.rng, this.think);
    this.ctx.thinking.processes++;
    this.ctx.sim.after(thinkUs, this.session.thread, Kind.CLIENT_NEXT_OP, this.process, this.nextAction);
  }

  private next(): void {
    const { sim, settleAtUs } = this.ctx;
    if (this.issued >= this.quota) {
      this.onDone();
      return;
    }
    if (sim.nowUs < settleAtUs && this.issued >= this.quota - this.reserve) {
      // Keep the reserve for after quiesce, so liveness is always exercised.
      sim.at(settleAtUs, this.session.thread, Kind.CLIENT_RESUME, this.process, () => this.next());
      return;
    }
    if (this.readsOnly) {
      this.run(this.plan('read'), () => this.thinkThenNext());
      return;
    }
    // Drawn only with data commands on, so every run without them draws as before.
    if (this.ctx.data !== null && this.rng.chance(this.ctx.data.spec.share)) {
      this.issued++;
      runDataOp(this.ctx, this.session, this.process, this.rng, this.spec.valuePadMax, () => this.seq++, () => this.thinkThenNext());
      return;
    }
    const w = this.spec.weights;
    // tx comes last: with its weight 0 the draw is the same as without it, and so is every run without transactions.
    const f = (['read', 'write', 'cas', 'delete', 'incr', 'tx'] as const)[this.rng.weighted([w.read, w.write, w.cas, w.delete, w.incr, w.tx])]!;
    if (f === 'tx') {
      this.runTx();
      return;
    }
    if (f === 'cas' && this.quota - this.issued >= 2) {
      this.casViaRead(this.rng.pick(this.spec.registerKeys));
      return;
    }
    this.run(this.plan(f === 'cas' ? 'read' : f), () => this.thinkThenNext());
  }

  private run(op: PlannedOp, then: (result: OpResult) => void): void {
    this.issued++;
    performOp(this.ctx, this.session, this.process, op, then);
  }

  private plan(f: Exclude<OpFunction, 'cas'>): PlannedOp {
    const { registerKeys, counterKeys } = this.spec;
    const key = f === 'incr' ? this.rng.pick(counterKeys) : this.rng.pick(this.rng.chance(registerKeys.length / (registerKeys.length + counterKeys.length)) ? registerKeys : counterKeys);
    const keyBytes = this.ctx.keys.get(key).bytes;
    switch (f) {
      case 'read': return { f, key, invokeValue: null, request: { op: 'get', key: keyBytes } };
      case 'delete': return { f, key, invokeValue: null, request: { op: 'del', key: keyBytes } };
      case 'write': {
        const value = this.newValue(key);
        return { f, key, invokeValue: value.id, request: { op: 'set', key: keyBytes, value: value.bytes } };
      }
      case 'incr': {
        const delta = this.rng.int(-this.spec.incrDeltaMax, this.spec.incrDeltaMax);
        return { f, key, invokeValue: String(delta), request: { op: 'incr', key: keyBytes, delta: BigInt(delta) } };
      }
    }
  }

  /** A transaction over one key pair: both set to values naming it, or both read (half each). */
  private runTx(): void {
    assert(this.txShadowProcess >= 0, 'a transaction drawn without a shadow process to record it');
    const keys = this.rng.pick(this.spec.txKeyPairs);
    const bytes = [this.ctx.keys.get(keys[0]).bytes, this.ctx.keys.get(keys[1]).bytes] as const;
    let tx: PlannedTx;
    if (this.rng.chance(0.5)) {
      const txId = `${this.process}:${this.seq++}`;
      const values = [txValue(keys[0], txId), txValue(keys[1], txId)] as const;
      // Unpadded: two padded values would not fit the simulator's one-frame transaction.
      for (const i of [0, 1] as const) this.ctx.known.add(keys[i], values[i], 0);
      const ops: Request[] = [0, 1].map((i) => ({ op: 'set', key: bytes[i]!, value: encodeValue(values[i]!, 0) }));
      tx = { f: 'write', keys, invokeValues: values, request: { op: 'tx', ops, watch: [] } };
    } else {
      tx = { f: 'read', keys, invokeValues: [null, null], request: { op: 'tx', ops: bytes.map((key): Request => ({ op: 'get', key })), watch: [] } };
    }
    this.issued++;
    performTx(this.ctx, this.session, [this.process, this.txShadowProcess], tx, () => this.thinkThenNext());
  }

  /** A fresh value for `key`: unique for register keys (so a read names the write it saw); an integer for counters. */
  private newValue(key: string): { id: string; bytes: Uint8Array } {
    if (this.ctx.counterKeys.has(key)) {
      const id = String(this.rng.int(-1000, 1000));
      return { id, bytes: encodeValue(id, 0) };
    }
    const id = `${key}=${this.process}:${this.seq++}`;
    // Between half and all of the maximum: sizes vary, and big runs stay big enough to fill small rings.
    const padBytes = this.rng.int(this.spec.valuePadMax >> 1, this.spec.valuePadMax);
    this.ctx.known.add(key, id, padBytes);
    return { id, bytes: encodeValue(id, padBytes) };
  }

  private casViaRead(key: string): void {
    const keyBytes = this.ctx.keys.get(key).bytes;
    this.run({ f: 'read', key, invokeValue: null, request: { op: 'get', key: keyBytes } }, (read) => {
      if (read.type !== 'ok') {
        this.thinkThenNext();
        return;
      }
      const next = this.newValue(key);
      const expected = read.value as string | null;
      this.run({
        f: 'cas', key, invokeValue: [expected, next.id],
        request: { op: 'set', key: keyBytes, value: next.bytes, expectedVersion: read.version ?? 0 },
      }, () => this.thinkThenNext());
    });
  }
}

/** Redirects the final reader follows for one key before it reports a leaderless group. */
const FINAL_READ_ATTEMPTS_MAX = 20;

/** Reads every key once, in order, after the workload is done. */
export class FinalReader {
  private attempts = 0;

  constructor(
    private readonly ctx: ClientContext,
    readonly process: number,
    private readonly session: ClientSession,
    private readonly keys: readonly string[],
    private readonly onDone: () => void,
  ) {}

  start(): void {
    this.readFrom(0);
  }

  private readFrom(i: number): void {
    const key = this.keys[i];
    if (key === undefined) {
      this.onDone();
      return;
    }
    performOp(this.ctx, this.session, this.process, finalReadOf(this.ctx, key), (result) => {
      // In a cluster a read may land on a replica that is not (or no longer) the leader: follow it.
      if (result.type === 'fail' && this.ctx.router !== null && ++this.attempts < FINAL_READ_ATTEMPTS_MAX) return this.readFrom(i);
      if (result.type === 'fail' && this.ctx.router !== null) {
        this.ctx.findings.liveness.push(`final read of ${key}: refused by ${FINAL_READ_ATTEMPTS_MAX} replicas in a row after the faults settled (no leader?)`);
      }
      this.attempts = 0;
      this.readFrom(i + 1);
    });
  }
}

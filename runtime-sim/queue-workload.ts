// Lists as queues in the simulated workload: processes LPUSH unique values
// (`l0=3:12`, unpadded) and RPOP, recorded in a queue history of their own,
// and after the workload the final drain RPOPs every list until it answers
// nil. core/checker/queue-order.ts judges the history (every popped value
// pushed, none popped twice, one process's pushes popped in push order,
// nothing acknowledged lost).

import type { QueueOp } from '../core/checker/index.js';
import type { Request } from '../core/protocol/ops.js';
import type { Random } from '../core/random.js';
import type { ClientSession, Outcome } from './client-session.js';
import { clusterRefusal, noteLiveness, type ClientContext } from './recording-client.js';
import { encodeValue, splitValue } from './values.js';

/** The queue history: operations in invoke order, with positions in one real-time sequence. */
export class QueueRecorder {
  readonly ops: QueueOp[] = [];
  /** List keys the final drain emptied (only those are checked for lost pushes). */
  readonly drained = new Set<string>();
  private position = 0;

  invoke(process: number, f: QueueOp['f'], key: string, value: string | null): QueueOp {
    const op: QueueOp = { process, f, key, value, type: 'info', invokeIndex: this.position++, returnIndex: null };
    this.ops.push(op);
    return op;
  }

  complete(op: QueueOp, type: QueueOp['type'], value: string | null): void {
    op.type = type;
    op.value = value;
    op.returnIndex = this.position++;
  }
}

/** One push or pop (half each) on a random list key. */
export function runQueueOp(ctx: ClientContext, session: ClientSession, process: number, rng: Random, nextSeq: () => number, then: () => void): void {
  const key = rng.pick(ctx.data!.spec.listKeys);
  if (rng.chance(0.5)) {
    const id = `${key}=${process}:${nextSeq()}`;
    ctx.known.add(key, id, 0);
    performQueueOp(ctx, session, process, 'push', key, id, () => then());
  } else {
    performQueueOp(ctx, session, process, 'pop', key, null, () => then());
  }
}

/** Runs LPUSH (`f` push, `value` the id) or RPOP through `session`; `done` gets the completed operation. */
export function performQueueOp(ctx: ClientContext, session: ClientSession, process: number, f: QueueOp['f'], key: string, value: string | null, done: (op: QueueOp) => void): void {
  const { sim } = ctx;
  const queue = ctx.data!.queue;
  const decidedUs = sim.nowUs;
  const route = ctx.keys.get(key);
  const node = ctx.router ? ctx.router.nodeFor(route.bytes) : route.node;
  const request: Request = f === 'push'
    ? { op: 'call', name: 'lpush', args: [route.bytes, encodeValue(value!, 0)] }
    : { op: 'call', name: 'rpop', args: [route.bytes] };
  let op: QueueOp | null = null;
  session.execute(node, request,
    () => { op = queue.invoke(process, f, key, value); },
    (outcome) => {
      if (outcome.kind !== 'reply') ctx.router?.unanswered(route.bytes, node, sim.nowUs);
      op ??= queue.invoke(process, f, key, value);
      const result = interpretQueueReply(ctx, `process ${process} ${f === 'push' ? 'LPUSH' : 'RPOP'} ${key}`, key, f, value, outcome);
      queue.complete(op, result.type, result.value);
      noteLiveness(ctx, decidedUs, () => `process ${process} ${f} ${key}`, result.type, outcome);
      ctx.onProgress();
      done(op);
    });
}

function interpretQueueReply(ctx: ClientContext, where: string, key: string, f: QueueOp['f'], value: string | null, outcome: Outcome): { type: QueueOp['type']; value: string | null } {
  const unknown = { type: 'info', value } as const;
  if (outcome.kind !== 'reply') return unknown;
  const reply = outcome.reply;
  if (!reply.ok) {
    const refused = clusterRefusal(ctx, key, reply);
    if (refused === 'fail') return { type: 'fail', value };
    if (refused === null) ctx.findings.unexpected.push(`${where}: ${reply.code} ${reply.message}`);
    return unknown;
  }
  const data = reply.data;
  if (f === 'push') {
    if (data?.t !== 'int' || data.v < 1n) ctx.findings.corruption.push(`${where}: LPUSH reply is not the new length`);
    return { type: 'ok', value };
  }
  if (data?.t === 'nil') return { type: 'ok', value: null };
  if (data?.t !== 'bytes') {
    ctx.findings.corruption.push(`${where}: RPOP reply neither nil nor bytes`);
    return unknown;
  }
  const { id, padBytes, padOk } = splitValue(data.v);
  if (!padOk || !ctx.known.matches(key, id, padBytes)) {
    ctx.findings.corruption.push(`${where}: popped ${JSON.stringify(id.slice(0, 80))}, which no client pushed to this list`);
    return { type: 'ok', value: `${id}<corrupt:${padBytes}>` };
  }
  return { type: 'ok', value: id };
}

/**
 * Pops in a row the final drain lets go unanswered or refused (NOT_LEADER) on one list before it reports a
 * leaderless group, as the final reader's redirects; and the pops beyond the list's pushes it allows (a list
 * never holds more than was pushed, so more means a pop that does not remove).
 */
const DRAIN_REFUSALS_MAX = 20;

/** Empties every list with RPOP after the workload (and the final read-back) are done. */
export class QueueDrainer {
  private refusals = 0;

  constructor(
    private readonly ctx: ClientContext,
    readonly process: number,
    private readonly session: ClientSession,
    private readonly onDone: () => void,
  ) {}

  start(): void {
    this.drainFrom(0);
  }

  private drainFrom(i: number): void {
    const data = this.ctx.data;
    const key = data?.spec.listKeys[i];
    if (data === null || key === undefined) {
      this.onDone();
      return;
    }
    const pushes = data.queue.ops.filter((op) => op.key === key && op.f === 'push').length;
    const popsMax = pushes + DRAIN_REFUSALS_MAX;
    let pops = 0;
    const next = (): void => {
      if (++pops > popsMax) {
        this.ctx.findings.liveness.push(`final drain of ${key}: still not empty after ${popsMax} pops (${pushes} pushes)`);
        this.drainFrom(i + 1);
        return;
      }
      performQueueOp(this.ctx, this.session, this.process, 'pop', key, null, (op) => {
        if (op.type === 'ok' && op.value === null) {
          data.queue.drained.add(key);
          this.refusals = 0;
          this.drainFrom(i + 1);
          return;
        }
        if (op.type !== 'ok' && ++this.refusals >= DRAIN_REFUSALS_MAX) {
          this.ctx.findings.liveness.push(`final drain of ${key}: ${DRAIN_REFUSALS_MAX} pops in a row unanswered or refused after the faults settled`);
          this.refusals = 0;
          this.drainFrom(i + 1);
          return;
        }
        if (op.type === 'ok') this.refusals = 0;
        next();
      });
    };
    next();
  }
}

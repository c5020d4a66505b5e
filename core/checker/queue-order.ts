// A list used as a queue (LPUSH at the head, RPOP at the tail), judged by
// the properties a FIFO queue's history must have. The values pushed are
// unique (the workload names each after its pushing process and sequence),
// so every popped value names the push it came from.
//
// What is checked, per list key, over the operations that completed `ok`:
// 1. every popped value was pushed to that key, by a push invoked before the
//    pop returned (a pop cannot see the future);
// 2. no value is popped twice;
// 3. order: if one process's push of `a` returned ok before its push of `b`
//    was invoked, `a` entered the queue first, so `a` leaves first. A pop of
//    `b` that returned before a pop of `a` was invoked breaks that; and when
//    no pop of the key went unanswered (an unanswered pop may have taken `a`
//    unseen), `b` popped while `a` is never popped at all means `a` was
//    skipped or lost;
// 4. nothing acknowledged is lost: after the final drain (pops until the
//    list answers nil), when no pop of the key went unanswered, every push
//    that returned ok must have been popped.
// A push or pop without an answer (info) may or may not have taken effect:
// its value may be popped or never seen, and it orders nothing. Failed ones
// (NOT_LEADER) certainly did nothing.
//
// This is weaker than a full linearizability search over the queue (it does
// not prove one order explains every pop), and sound: a correct queue never
// violates any of the four.

export type QueueOpType = 'ok' | 'fail' | 'info';

export interface QueueOp {
  process: number;
  f: 'push' | 'pop';
  key: string;
  /** push: the value pushed; pop: the value popped when ok (null: the list was empty). */
  value: string | null;
  type: QueueOpType;
  /** Positions in the queue history (real-time order): invoke, and return (null: never answered). */
  invokeIndex: number;
  returnIndex: number | null;
}

/** Most violations described per key: one is the verdict, a few help; thousands only slow the report. */
export const QUEUE_FINDINGS_PER_KEY_MAX = 5;

/** Violations found, one line each: of properties 1-3 (`order`), and acknowledged pushes lost (`lost`, property 4). */
export interface QueueVerdict { order: string[]; lost: string[] }

/**
 * Checks a queue history. `drained` lists the keys whose final drain reached
 * an empty list: only those are checked for lost pushes.
 */
export function checkQueueHistory(ops: readonly QueueOp[], drained: ReadonlySet<string>): QueueVerdict {
  const byKey = new Map<string, QueueOp[]>();
  for (const op of ops) {
    let list = byKey.get(op.key);
    if (list === undefined) byKey.set(op.key, list = []);
    list.push(op);
  }
  const verdict: QueueVerdict = { order: [], lost: [] };
  for (const [key, keyOps] of byKey) {
    const found = checkKey(key, keyOps, drained.has(key));
    verdict.order.push(...found.order.slice(0, QUEUE_FINDINGS_PER_KEY_MAX));
    verdict.lost.push(...found.lost.slice(0, QUEUE_FINDINGS_PER_KEY_MAX));
  }
  return verdict;
}

function checkKey(key: string, ops: readonly QueueOp[], drained: boolean): QueueVerdict {
  const findings: string[] = [];
  const lost: string[] = [];
  const pushOf = new Map<string, QueueOp>();
  for (const op of ops) if (op.f === 'push' && op.value !== null) pushOf.set(op.value, op);
  const popOf = new Map<string, QueueOp>();
  let popsUnanswered = 0;
  for (const op of ops) {
    if (op.f !== 'pop') continue;
    if (op.type === 'info') popsUnanswered++;
    if (op.type !== 'ok' || op.value === null) continue;
    const push = pushOf.get(op.value);
    if (push === undefined || push.type === 'fail') {
      findings.push(`${key}: popped ${JSON.stringify(op.value)}, which was never pushed to it${push ? ' (its push failed)' : ''}`);
    } else if (op.returnIndex !== null && push.invokeIndex > op.returnIndex) {
      findings.push(`${key}: popped ${JSON.stringify(op.value)} before its push was invoked`);
    }
    const earlier = popOf.get(op.value);
    if (earlier !== undefined) findings.push(`${key}: ${JSON.stringify(op.value)} popped twice (processes ${earlier.process} and ${op.process})`);
    else popOf.set(op.value, op);
  }
  findings.push(...orderViolations(key, ops, popOf, popsUnanswered === 0));
  if (drained && popsUnanswered === 0) {
    for (const push of ops) {
      if (push.f === 'push' && push.type === 'ok' && !popOf.has(push.value!)) {
        lost.push(`${key}: push of ${JSON.stringify(push.value)} was acknowledged but never popped, and the list was drained empty`);
      }
    }
  }
  return { order: findings, lost };
}

/** Property 3: one process's acknowledged pushes leave in the order they entered. */
function orderViolations(key: string, ops: readonly QueueOp[], popOf: ReadonlyMap<string, QueueOp>, everyPopAnswered: boolean): string[] {
  const findings: string[] = [];
  const pushesByProcess = new Map<number, QueueOp[]>();
  for (const op of ops) {
    if (op.f !== 'push' || op.type === 'fail') continue;
    let list = pushesByProcess.get(op.process);
    if (list === undefined) pushesByProcess.set(op.process, list = []);
    list.push(op);
  }
  for (const pushes of pushesByProcess.values()) {
    // Walk in invoke order, remembering the latest acknowledged push whose pop (if seen) bounds the next ones.
    let prev: QueueOp | null = null;
    for (const push of pushes) {
      if (prev !== null && prev.returnIndex !== null && prev.returnIndex < push.invokeIndex) {
        const popA = popOf.get(prev.value!);
        const popB = popOf.get(push.value!);
        if (popB !== undefined && popA !== undefined && popB.returnIndex !== null && popB.returnIndex < popA.invokeIndex) {
          findings.push(`${key}: ${JSON.stringify(push.value)} was popped before ${JSON.stringify(prev.value)}, pushed earlier by the same process (not FIFO)`);
        } else if (popB !== undefined && popA === undefined && everyPopAnswered) {
          findings.push(`${key}: ${JSON.stringify(push.value)} was popped but ${JSON.stringify(prev.value)}, pushed earlier by the same process and acknowledged, never was (skipped)`);
        }
      }
      if (push.type === 'ok') prev = push;
    }
  }
  return findings;
}

// The queue checker (core/checker/queue-order.ts): each property it checks
// flags the history that breaks it, and histories a correct FIFO queue can
// produce (unanswered operations included) pass.

import { describe, expect, it } from 'vitest';
import { checkQueueHistory, type QueueOp } from '../../core/checker/index.js';

/** A queue history built in real-time order: each call takes the next positions. */
class Builder {
  readonly ops: QueueOp[] = [];
  private position = 0;

  /** An operation invoked and answered at once (type info: never answered). */
  op(process: number, f: QueueOp['f'], value: string | null, type: QueueOp['type'] = 'ok', key = 'l0'): QueueOp {
    const invokeIndex = this.position++;
    const op: QueueOp = { process, f, key, value, type, invokeIndex, returnIndex: type === 'info' ? null : this.position++ };
    this.ops.push(op);
    return op;
  }

  /** Starts an operation; `end` answers it later. */
  begin(process: number, f: QueueOp['f'], value: string | null, key = 'l0'): { op: QueueOp; end: (value: string | null) => void } {
    const op: QueueOp = { process, f, key, value, type: 'info', invokeIndex: this.position++, returnIndex: null };
    this.ops.push(op);
    return { op, end: (popped) => { op.type = 'ok'; op.value = popped; op.returnIndex = this.position++; } };
  }
}

const DRAINED = new Set(['l0']);

describe('queue checker', () => {
  it('passes a FIFO history: pushes of two processes interleaved, popped in order, drained', () => {
    const h = new Builder();
    h.op(1, 'push', 'a1');
    h.op(2, 'push', 'b1');
    h.op(1, 'push', 'a2');
    h.op(3, 'pop', 'a1');
    h.op(3, 'pop', 'b1');
    h.op(3, 'pop', 'a2');
    h.op(3, 'pop', null);
    expect(checkQueueHistory(h.ops, DRAINED)).toEqual({ order: [], lost: [] });
  });

  it('passes concurrent pops answered out of order, and an unanswered push never popped', () => {
    const h = new Builder();
    h.op(1, 'push', 'a1');
    h.op(1, 'push', 'a2');
    h.op(2, 'push', 'b1', 'info');
    const first = h.begin(3, 'pop', null);
    const second = h.begin(4, 'pop', null);
    second.end('a2');
    first.end('a1');
    h.op(3, 'pop', null);
    expect(checkQueueHistory(h.ops, DRAINED)).toEqual({ order: [], lost: [] });
  });

  it('flags a value never pushed, and one popped before its push was invoked', () => {
    const h = new Builder();
    h.op(3, 'pop', 'ghost');
    h.op(3, 'pop', 'early');
    h.op(1, 'push', 'early');
    const { order } = checkQueueHistory(h.ops, new Set());
    expect(order).toEqual([
      'l0: popped "ghost", which was never pushed to it',
      'l0: popped "early" before its push was invoked',
    ]);
  });

  it('flags a value popped twice', () => {
    const h = new Builder();
    h.op(1, 'push', 'a1');
    h.op(3, 'pop', 'a1');
    h.op(4, 'pop', 'a1');
    expect(checkQueueHistory(h.ops, new Set()).order).toEqual(['l0: "a1" popped twice (processes 3 and 4)']);
  });

  it('flags one process\'s pushes popped out of order (LIFO)', () => {
    const h = new Builder();
    h.op(1, 'push', 'a1');
    h.op(1, 'push', 'a2');
    h.op(3, 'pop', 'a2');
    h.op(3, 'pop', 'a1');
    expect(checkQueueHistory(h.ops, new Set()).order).toEqual(['l0: "a2" was popped before "a1", pushed earlier by the same process (not FIFO)']);
  });

  it('flags a skipped value, unless some pop went unanswered (it may have taken it)', () => {
    const h = new Builder();
    h.op(1, 'push', 'a1');
    h.op(1, 'push', 'a2');
    h.op(3, 'pop', 'a2');
    expect(checkQueueHistory(h.ops, new Set()).order).toEqual([
      'l0: "a2" was popped but "a1", pushed earlier by the same process and acknowledged, never was (skipped)',
    ]);
    h.op(4, 'pop', null, 'info');
    expect(checkQueueHistory(h.ops, new Set()).order).toEqual([]);
  });

  it('flags an acknowledged push lost from a drained list, and only from a drained one', () => {
    const h = new Builder();
    h.op(1, 'push', 'a1');
    h.op(3, 'pop', null);
    expect(checkQueueHistory(h.ops, DRAINED).lost).toEqual(['l0: push of "a1" was acknowledged but never popped, and the list was drained empty']);
    expect(checkQueueHistory(h.ops, new Set()).lost).toEqual([]);
  });

  it('judges each list key on its own', () => {
    const h = new Builder();
    h.op(1, 'push', 'x', 'ok', 'l1');
    h.op(3, 'pop', 'x', 'ok', 'l0');
    expect(checkQueueHistory(h.ops, new Set()).order).toEqual(['l0: popped "x", which was never pushed to it']);
  });
});

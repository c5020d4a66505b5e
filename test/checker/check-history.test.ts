import { describe, expect, it } from 'vitest';
import { checkHistory, type CheckResult, type Operation } from '../../core/checker/index.js';
import { history } from './history-builder.js';

function expectLinearizable(result: CheckResult): void {
  expect(result.linearizable, JSON.stringify(result)).toBe(true);
}

/** Asserts a violation on `key` whose window is itself a non-linearizable history. */
function expectViolation(ops: Operation[], key: string): Operation[] {
  const result = checkHistory(ops);
  expect(result.linearizable, JSON.stringify(result)).toBe(false);
  if (result.linearizable !== false) throw new Error('unreachable');
  expect(result.key).toBe(key);
  for (const op of result.window) {
    expect(op.key).toBe(key);
    expect(ops).toContain(op);
  }
  expect(checkHistory(result.window).linearizable).toBe(false);
  return result.window;
}

describe('checkHistory: plain registers', () => {
  it('accepts an empty history and a sequential one', () => {
    expectLinearizable(checkHistory([]));
    expectLinearizable(checkHistory(history().read(0, 'a', null).write(0, 'a', '1').read(1, 'a', '1').ops()));
  });

  it('catches a stale read, with a window of just the ops involved', () => {
    const ops = history()
      .write(0, 'a', '1').read(1, 'a', '1').write(0, 'a', '2').read(1, 'a', '2').read(2, 'a', '2')
      .write(0, 'a', '3')
      .read(1, 'a', '2') // stale: 3 was acknowledged before this read began
      .write(0, 'a', '4').read(2, 'a', '4')
      .ops();
    const window = expectViolation(ops, 'a');
    expect(window.map((op) => [op.f, op.value])).toEqual([['write', '2'], ['write', '3'], ['read', '2']]);
  });

  it('catches a lost write (a later read sees the value before it)', () => {
    expectViolation(history().write(0, 'a', 'x').read(1, 'a', null).ops(), 'a');
  });

  it('catches a read of a value never written', () => {
    const window = expectViolation(history().write(0, 'a', 'x').read(1, 'a', 'y').ops(), 'a');
    expect(window.map((op) => op.f)).toEqual(['read']);
  });

  it('catches a read of a value written later (from the future)', () => {
    expectViolation(history().read(1, 'a', 'x').write(0, 'a', 'x').ops(), 'a');
  });

  it('accepts concurrent ops that are fine in one order', () => {
    // p1's read overlaps p0's write: seeing either the old or the new value is fine.
    for (const seen of [null, '1']) {
      expectLinearizable(checkHistory(history().invoke(0, 'write', 'a', '1').invoke(1, 'read', 'a').ok(1, seen).ok(0).ops()));
    }
    // Two overlapping writes may land in either order, but once both are done the value is fixed.
    const both = () => history().invoke(0, 'write', 'a', '1').invoke(1, 'write', 'a', '2').ok(0).ok(1);
    expectLinearizable(checkHistory(both().read(2, 'a', '1').read(2, 'a', '1').ops()));
    expectLinearizable(checkHistory(both().read(2, 'a', '2').ops()));
    expectViolation(both().read(2, 'a', '2').read(2, 'a', '1').ops(), 'a');
  });

  it('orders by event position, not by time: a return before an invoke at the same time precedes it', () => {
    const events = history().write(0, 'a', '1').events;
    const ops = history().write(0, 'a', '1').read(1, 'a', null).ops();
    for (const e of events) e.time = 7;
    expect(ops[1]!.invokeIndex).toBeGreaterThan(ops[0]!.returnIndex!);
    expectViolation(ops, 'a');
  });

  it('checks keys independently and reports the failing one', () => {
    const ops = history()
      .write(0, 'a', '1').write(0, 'b', '1').read(1, 'a', '1')
      .write(0, 'b', '2').read(1, 'b', '1').ops();
    expectViolation(ops, 'b');
  });

  it('handles delete', () => {
    expectLinearizable(checkHistory(history().write(0, 'a', 'x').del(0, 'a').read(1, 'a', null).ops()));
    expectViolation(history().write(0, 'a', 'x').del(0, 'a').read(1, 'a', 'x').ops(), 'a');
  });
});

describe('checkHistory: cas', () => {
  it('accepts cas chains and rejects a cas applied twice', () => {
    expectLinearizable(checkHistory(history().write(0, 'a', '0').cas(0, 'a', '0', '1').cas(1, 'a', '1', '2').read(2, 'a', '2').ops()));
    // Both cas(0 -> 1) succeed: only one can have seen 0.
    expectViolation(history().write(0, 'a', '0').cas(0, 'a', '0', '1').cas(1, 'a', '0', '1').ops(), 'a');
    // Same when concurrent.
    expectViolation(history().write(0, 'a', '0')
      .invoke(1, 'cas', 'a', ['0', '1']).invoke(2, 'cas', 'a', ['0', '1']).ok(1).ok(2).ops(), 'a');
  });

  it('drops a failed cas: it certainly did not apply', () => {
    expectLinearizable(checkHistory(history().write(0, 'a', 'x').invoke(1, 'cas', 'a', ['x', 'y']).fail(1).read(2, 'a', 'x').ops()));
    expectViolation(history().write(0, 'a', 'x').invoke(1, 'cas', 'a', ['x', 'y']).fail(1).read(2, 'a', 'y').ops(), 'a');
  });

  it('cas on an absent key expects null', () => {
    expectLinearizable(checkHistory(history().cas(0, 'a', null, 'x').read(1, 'a', 'x').ops()));
    expectViolation(history().write(0, 'a', 'w').cas(0, 'a', null, 'x').ops(), 'a');
  });
});

describe('checkHistory: info (unknown outcome)', () => {
  it('lets an info write explain a later read', () => {
    expectLinearizable(checkHistory(history().invoke(0, 'write', 'a', 'x').info(0).read(1, 'a', 'x').ops()));
  });

  it('lets an info write take effect long after its info completion, or never', () => {
    const ops = history().invoke(0, 'write', 'a', 'x').info(0)
      .read(1, 'a', null).read(1, 'a', null).read(1, 'a', 'x').read(1, 'a', 'x').ops();
    expectLinearizable(checkHistory(ops));
    expectLinearizable(checkHistory(history().invoke(0, 'write', 'a', 'x').info(0).read(1, 'a', null).ops()));
  });

  it('does not let an info write explain a read that returned before it was invoked', () => {
    expectViolation(history().read(1, 'a', 'x').invoke(0, 'write', 'a', 'x').info(0).ops(), 'a');
  });

  it('an info write takes effect once: its value cannot come back', () => {
    const ops = history().invoke(0, 'write', 'a', 'x').info(0)
      .read(1, 'a', 'x').write(1, 'a', 'y').read(1, 'a', 'x').ops();
    expectViolation(ops, 'a');
  });

  it('treats an invoke never completed as info', () => {
    expectLinearizable(checkHistory(history().invoke(0, 'write', 'a', 'x').read(1, 'a', null).read(1, 'a', 'x').ops()));
    expectViolation(history().invoke(0, 'write', 'a', 'x').read(1, 'a', 'x').read(1, 'a', null).ops(), 'a');
  });

  it('ignores info reads: they constrain nothing', () => {
    expectLinearizable(checkHistory(history().write(0, 'a', 'x').invoke(1, 'read', 'a').info(1).ops()));
  });

  it('lets an info cas apply or not', () => {
    const base = () => history().write(0, 'a', 'x').invoke(1, 'cas', 'a', ['x', 'y']).info(1);
    expectLinearizable(checkHistory(base().read(2, 'a', 'x').read(2, 'a', 'y').ops()));
    expectViolation(base().read(2, 'a', 'y').read(2, 'a', 'x').ops(), 'a');
  });
});

describe('checkHistory: incr', () => {
  it('counts from a missing key as 0', () => {
    expectLinearizable(checkHistory(history().incr(0, 'n', '1', '1').incr(1, 'n', '2', '3').read(2, 'n', '3').ops()));
    expectViolation(history().incr(0, 'n', '1', '2').ops(), 'n');
  });

  it('accepts concurrent increments in either order but not two seeing the same base', () => {
    const both = (r0: string, r1: string) => history().invoke(0, 'incr', 'n', '1').invoke(1, 'incr', 'n', '1').ok(0, r0).ok(1, r1).ops();
    expectLinearizable(checkHistory(both('2', '1')));
    expectLinearizable(checkHistory(both('1', '2')));
    expectViolation(both('1', '1'), 'n');
  });

  it('works with writes of integers and refuses non-integers', () => {
    expectLinearizable(checkHistory(history().write(0, 'n', '10').incr(0, 'n', '-3', '7').ops()));
    expectViolation(history().write(0, 'n', 'abc').incr(0, 'n', '1', '1').ops(), 'n');
    expectViolation(history().write(0, 'n', '9223372036854775807').incr(0, 'n', '1', '-9223372036854775808').ops(), 'n');
  });

  it('lets an info incr explain a later read, and ignores a failed one', () => {
    expectLinearizable(checkHistory(history().invoke(0, 'incr', 'n', '5').info(0).read(1, 'n', '5').ops()));
    expectViolation(history().invoke(0, 'incr', 'n', '5').fail(0).read(1, 'n', '5').ops(), 'n');
  });
});

describe('checkHistory: budget', () => {
  const longHistory = () => {
    const h = history();
    for (let i = 0; i < 3000; i++) h.write(0, 'a', `v${i}`).read(1, 'a', `v${i}`);
    return h.ops();
  };

  it('answers null with the reason when the steps run out', () => {
    const result = checkHistory(longHistory(), { stepsMax: 100 });
    expect(result).toMatchObject({ linearizable: null, exhausted: 'steps', key: 'a' });
    expectLinearizable(checkHistory(longHistory(), { stepsMax: 1_000_000 }));
  });

  it('answers null when the deadline passes, and is deterministic otherwise', () => {
    let calls = 0;
    const result = checkHistory(longHistory(), { deadline: () => ++calls > 0 });
    expect(result).toMatchObject({ linearizable: null, exhausted: 'deadline' });
    expect(calls).toBe(1);
    const a = checkHistory(longHistory());
    const b = checkHistory(longHistory());
    expect(a).toEqual(b);
  });
});

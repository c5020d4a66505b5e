import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkHistory, historyFromEvents, type EventValue, type HistoryEvent, type OpFunction, type Operation,
} from '../../core/checker/index.js';
import { bruteForceLinearizable } from './brute-force.js';
import { ArrayChoices, simulateHistory } from './simulated-history.js';

function opsOf(events: HistoryEvent[]): Operation[] {
  const r = historyFromEvents(events);
  if (!r.ok) throw new Error(`generated a malformed history: event ${r.index}: ${r.message}`);
  return r.ops;
}

const simulation = fc.record({
  processes: fc.integer({ min: 1, max: 5 }),
  keys: fc.integer({ min: 1, max: 3 }),
  choices: fc.array(fc.nat({ max: 0xffff }), { minLength: 100, maxLength: 1500, size: 'max' }),
});

function simulate(s: { processes: number; keys: number; choices: number[] }): Operation[] {
  return opsOf(simulateHistory(new ArrayChoices(s.choices), { processes: s.processes, keys: s.keys }));
}

/** Replaces the value `read` saw; the history is otherwise untouched. */
function withReadValue(ops: Operation[], read: Operation, value: string): Operation[] {
  return ops.map((op) => (op === read ? { ...op, value } : op));
}

function expectCaught(ops: Operation[], key: string): void {
  const result = checkHistory(ops);
  expect(result.linearizable).toBe(false);
  if (result.linearizable !== false) return;
  expect(result.key).toBe(key);
  // The window is a genuine witness: a subset of the key's ops, itself not linearizable.
  for (const op of result.window) expect(ops.includes(op) && op.key === key).toBe(true);
  expect(checkHistory(result.window).linearizable).toBe(false);
  expectWritersOfObservedValues(ops, result.window);
}

/**
 * The window keeps, for every value a read in it saw, every op that could
 * have written that value in time: a window that silently dropped the write
 * a read saw would "fail" for the wrong reason.
 */
function expectWritersOfObservedValues(ops: readonly Operation[], window: readonly Operation[]): void {
  for (const read of window.filter(isOkRead)) {
    for (const w of ops) {
      if (w.key !== read.key || w.type === 'fail' || w.invokeIndex > read.returnIndex!) continue;
      const written = w.f === 'write' || (w.f === 'incr' && w.type === 'ok') ? w.value
        : w.f === 'cas' ? (w.value as [string, string])[1] : w.f === 'delete' ? null : undefined;
      if (written === read.value) expect(window).toContain(w);
    }
  }
}

const isOkRead = (op: Operation) => op.f === 'read' && op.type === 'ok';
const NUMERIC = /^-?[0-9]+$/;

describe('checkHistory on simulated histories', () => {
  it('accepts every history generated from a valid linearization (with fail, info and unfinished ops)', () => {
    fc.assert(fc.property(simulation, (s) => {
      const ops = simulate(s);
      expect(checkHistory(ops).linearizable).toBe(true);
    }), { numRuns: 200 });
  });

  // Mutation 1: a read of a value no operation ever writes. Always observable:
  // the read must take effect somewhere, and no state holds that value.
  it('catches a read mutated to a value never written', () => {
    fc.assert(fc.property(simulation, fc.nat(), (s, pick) => {
      const ops = simulate(s);
      const reads = ops.filter(isOkRead);
      fc.pre(reads.length > 0);
      const read = reads[pick % reads.length]!;
      expectCaught(withReadValue(ops, read, 'never-written'), read.key);
    }), { numRuns: 100 });
  });

  // Mutation 2: a read of a value whose only writer was invoked after the read
  // returned. Observable because generated non-numeric values are unique per
  // writer (incr only makes numbers) and nothing can write it in time.
  it('catches a read mutated to a value from the future', () => {
    fc.assert(fc.property(simulation, fc.nat(), (s, pick) => {
      const ops = simulate(s);
      const pairs: [Operation, string][] = [];
      for (const read of ops.filter(isOkRead)) {
        for (const w of ops) {
          if (w.key !== read.key || w.invokeIndex < read.returnIndex!) continue;
          const v = w.f === 'write' ? w.value as string : w.f === 'cas' ? (w.value as [string, string])[1] : null;
          if (v !== null && !NUMERIC.test(v)) pairs.push([read, v]);
        }
      }
      fc.pre(pairs.length > 0);
      const [read, v] = pairs[pick % pairs.length]!;
      expectCaught(withReadValue(ops, read, v), read.key);
    }), { numRuns: 100 });
  });

  // Mutation 3: a stale read. The read returns v, whose only writer w completed
  // (ok) before an ok overwrite o began, and o completed before the read began.
  // Then v was gone for good before the read, so the read cannot see it.
  it('catches a read mutated to a stale value', () => {
    fc.assert(fc.property(simulation, fc.nat(), (s, pick) => {
      const ops = simulate(s);
      const candidates: [Operation, string][] = [];
      const overwrites = ops.filter((o) => o.type === 'ok' && o.f !== 'read');
      for (const w of ops) {
        if (w.f !== 'write' || w.type !== 'ok' || NUMERIC.test(w.value as string)) continue;
        const v = w.value as string;
        for (const o of overwrites) {
          if (o.key !== w.key || o.invokeIndex < w.returnIndex!) continue;
          for (const read of ops) {
            if (isOkRead(read) && read.key === w.key && read.invokeIndex > o.returnIndex!) candidates.push([read, v]);
          }
        }
      }
      fc.pre(candidates.length > 0);
      const [read, v] = candidates[pick % candidates.length]!;
      expectCaught(withReadValue(ops, read, v), read.key);
    }), { numRuns: 100 });
  });
});

// Small arbitrary histories (mostly not linearizable) over a tiny value
// domain, cross-checked against the brute-force checker.
const tinyOp = fc.record({
  f: fc.constantFrom<OpFunction>('read', 'read', 'write', 'cas', 'delete', 'incr'),
  type: fc.constantFrom('ok', 'ok', 'ok', 'ok', 'info', 'fail', 'open'),
  read: fc.constantFrom(null, 'a', 'b', '0', '1', '2'),
  write: fc.constantFrom('a', 'b', '1'),
  expected: fc.constantFrom(null, 'a', 'b', '1'),
  next: fc.constantFrom('a', 'b', '2'),
  delta: fc.constantFrom('1', '-1', '2'),
  result: fc.constantFrom('0', '1', '2', '3'),
  invokeAt: fc.nat({ max: 1000 }),
  length: fc.nat({ max: 1000 }),
});

type TinySpec = typeof tinyOp extends fc.Arbitrary<infer T> ? T : never;

function tinyHistory(specs: TinySpec[]): Operation[] {
  const timed: { at: number; tie: number; event: HistoryEvent }[] = [];
  specs.forEach((s, process) => {
    const invokeValue: EventValue = s.f === 'write' ? s.write : s.f === 'cas' ? [s.expected, s.next] : s.f === 'incr' ? s.delta : null;
    timed.push({ at: s.invokeAt, tie: 0, event: { process, type: 'invoke', f: s.f, key: 'k', value: invokeValue, time: 0 } });
    if (s.type === 'open') return;
    const value: EventValue = s.f === 'read' ? (s.type === 'ok' ? s.read : null)
      : s.f === 'incr' ? (s.type === 'ok' ? s.result : null) : invokeValue;
    timed.push({ at: s.invokeAt + s.length, tie: 1, event: { process, type: s.type, f: s.f, key: 'k', value, time: 0 } });
  });
  timed.sort((x, y) => x.at - y.at || x.tie - y.tie);
  return opsOf(timed.map((t, i) => ({ ...t.event, time: i })));
}

describe('checkHistory against brute force', () => {
  // Many info and unfinished ops: what the search's pruning rules are about.
  it('agrees on small histories full of info ops', () => {
    const infoHeavy = fc.tuple(tinyOp, fc.constantFrom('ok', 'info', 'info', 'open'))
      .map(([s, type]): TinySpec => ({ ...s, type }));
    fc.assert(fc.property(fc.array(infoHeavy, { minLength: 1, maxLength: 7 }), (specs) => {
      const ops = tinyHistory(specs);
      const result = checkHistory(ops);
      expect(result.linearizable).toBe(bruteForceLinearizable(ops));
      if (result.linearizable === false) expect(bruteForceLinearizable(result.window)).toBe(false);
    }), { numRuns: 1500 });
  });

  it('agrees on small arbitrary histories', () => {
    let seen = { true: 0, false: 0 };
    fc.assert(fc.property(fc.array(tinyOp, { minLength: 1, maxLength: 6 }), (specs) => {
      const ops = tinyHistory(specs);
      const expected = bruteForceLinearizable(ops);
      const result = checkHistory(ops);
      expect(result.linearizable).toBe(expected);
      seen = { ...seen, [String(expected)]: seen[String(expected) as 'true' | 'false'] + 1 };
      if (result.linearizable === false) {
        expect(bruteForceLinearizable(result.window)).toBe(false);
        expectWritersOfObservedValues(ops, result.window);
      }
    }), { numRuns: 1500 });
    // The generator must exercise both outcomes for the comparison to mean anything.
    expect(seen.true).toBeGreaterThan(100);
    expect(seen.false).toBeGreaterThan(100);
  });
});

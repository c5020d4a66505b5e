// The client's pipelining state without a socket: reply matching, the
// in-flight bound, timeouts (including replies that arrive after their call
// timed out) and failure of everything at once.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Reply } from '../../core/protocol/ops.js';
import { Deque } from '../../client/deque.js';
import { ConnectionClosedError, type PiccoloError } from '../../client/errors.js';
import { RequestPipeline, type PendingCall } from '../../client/pipeline.js';

type Outcome = { kind: 'reply'; reply: Reply } | { kind: 'error'; error: PiccoloError };

function makeCall(id: number, outcomes: Map<number, Outcome>): PendingCall {
  return {
    id,
    op: 'get',
    resolve: (reply) => {
      expect(outcomes.has(id), `call ${id} settled twice`).toBe(false);
      outcomes.set(id, { kind: 'reply', reply });
    },
    reject: (error) => {
      expect(outcomes.has(id), `call ${id} settled twice`).toBe(false);
      outcomes.set(id, { kind: 'error', error });
    },
  };
}

const ok = (n: number): Reply => ({ ok: true, integer: BigInt(n) });

/** Submits a frame of `bytes` bytes; returns the frame when it is sent now, else 'wait' or 'full'. */
function submit<F>(p: RequestPipeline<F>, call: PendingCall, frame: F, nowMs: number, bytes = 10): F | 'wait' | 'full' {
  const outcome = p.submit(call, frame, bytes, nowMs);
  return outcome.kind === 'send' ? outcome.frame : outcome.kind;
}

describe('Deque', () => {
  it('behaves like an array used as a queue', () => {
    fc.assert(fc.property(fc.array(fc.oneof(fc.integer(), fc.constant(null)), { maxLength: 300 }), (ops) => {
      const deque = new Deque<number>();
      const model: number[] = [];
      for (const op of ops) {
        if (op === null) expect(deque.shift()).toBe(model.shift());
        else { deque.push(op); model.push(op); }
        expect(deque.length).toBe(model.length);
        expect(deque.peek()).toBe(model[0]);
        for (let i = 0; i < model.length; i++) expect(deque.at(i)).toBe(model[i]);
      }
      expect(deque.drain()).toEqual(model);
      expect(deque.length).toBe(0);
    }));
  });

  it('asserts on an index out of range', () => {
    const deque = new Deque<number>();
    deque.push(1);
    expect(() => deque.at(1)).toThrow(/out of/);
  });
});

describe('RequestPipeline', () => {
  it('sends at once up to pipelineMax, then queues and sends one per reply', () => {
    const outcomes = new Map<number, Outcome>();
    const p = new RequestPipeline<string>(2, 1000, 1000);
    expect(submit(p, makeCall(1, outcomes), 'f1', 0)).toBe('f1');
    expect(submit(p, makeCall(2, outcomes), 'f2', 0)).toBe('f2');
    expect(submit(p, makeCall(3, outcomes), 'f3', 0)).toBe('wait');
    expect(submit(p, makeCall(4, outcomes), 'f4', 0)).toBe('wait');
    expect([p.inFlightCount, p.waitingCount, p.liveCount]).toEqual([2, 2, 4]);

    expect(p.handleReply(1, ok(1))).toEqual({ ok: true, send: 'f3' });
    expect(outcomes.get(1)).toEqual({ kind: 'reply', reply: ok(1) });
    expect(p.handleReply(2, ok(2))).toEqual({ ok: true, send: 'f4' });
    expect(p.handleReply(3, ok(3))).toEqual({ ok: true, send: null });
    expect(p.handleReply(4, { ok: false, code: 'WRONG_TYPE', message: 'no' })).toEqual({ ok: true, send: null });
    expect(outcomes.get(4)).toEqual({ kind: 'reply', reply: { ok: false, code: 'WRONG_TYPE', message: 'no' } });
    expect(p.liveCount).toBe(0);
    expect(p.pollDeadlineMs()).toBeNull();
  });

  it('a new call waits behind queued ones even when a slot is free', () => {
    const outcomes = new Map<number, Outcome>();
    const p = new RequestPipeline<string>(1, 1000, 1000);
    submit(p, makeCall(1, outcomes), 'f1', 0);
    submit(p, makeCall(2, outcomes), 'f2', 0);
    // Reply 1 frees the slot for call 2, which is handed back to be sent.
    expect(p.handleReply(1, ok(1))).toEqual({ ok: true, send: 'f2' });
    expect(submit(p, makeCall(3, outcomes), 'f3', 0)).toBe('wait');
  });

  it('reports a reply whose id is not the oldest in flight, and one with nothing in flight', () => {
    const outcomes = new Map<number, Outcome>();
    const p = new RequestPipeline<string>(4, 1000, 1000);
    const stray = p.handleReply(1, ok(1));
    expect(stray.ok).toBe(false);
    submit(p, makeCall(1, outcomes), 'f1', 0);
    submit(p, makeCall(2, outcomes), 'f2', 0);
    const outcome = p.handleReply(2, ok(2));
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) {
      expect(outcome.error.code).toBe('PROTOCOL_ERROR');
      expect(outcome.error.message).toMatch(/reply id 2 .*id 1/);
    }
    expect(p.handleReply(null, ok(0)).ok).toBe(false);
    expect(outcomes.size).toBe(0); // nothing was settled by the bad replies
  });

  it('times out in-flight calls as ghosts whose late replies are consumed, and waiting calls outright', () => {
    const outcomes = new Map<number, Outcome>();
    const p = new RequestPipeline<string>(2, 100, 1000);
    submit(p, makeCall(1, outcomes), 'f1', 0);
    submit(p, makeCall(2, outcomes), 'f2', 10);
    submit(p, makeCall(3, outcomes), 'f3', 20); // waits
    submit(p, makeCall(4, outcomes), 'f4', 50); // waits
    expect(p.pollDeadlineMs()).toBe(100);

    p.handleTimeout(99);
    expect(outcomes.size).toBe(0);
    p.handleTimeout(120); // calls 1, 2 (in flight) and 3 (waiting) expire
    expect([...outcomes.keys()]).toEqual([1, 2, 3]);
    for (const id of [1, 2, 3]) {
      const o = outcomes.get(id)!;
      expect(o.kind === 'error' && o.error.code).toBe('TIMEOUT');
    }
    expect([p.inFlightCount, p.waitingCount, p.liveCount]).toEqual([2, 1, 1]);
    expect(p.pollDeadlineMs()).toBe(150);

    // The late reply to 1 is swallowed and frees the slot for 4.
    expect(p.handleReply(1, ok(1))).toEqual({ ok: true, send: 'f4' });
    expect(p.handleReply(2, ok(2))).toEqual({ ok: true, send: null });
    expect(p.handleReply(4, ok(4))).toEqual({ ok: true, send: null });
    expect(outcomes.get(4)).toEqual({ kind: 'reply', reply: ok(4) });
    expect([p.inFlightCount, p.liveCount]).toEqual([0, 0]);
  });

  it('refuses calls past waitingBytesMax, but always lets one wait', () => {
    const outcomes = new Map<number, Outcome>();
    const p = new RequestPipeline<string>(1, 1000, 100);
    expect(submit(p, makeCall(1, outcomes), 'f1', 0, 500)).toBe('f1'); // in flight: not counted
    expect(submit(p, makeCall(2, outcomes), 'f2', 0, 500)).toBe('wait'); // alone in the queue: allowed
    expect(submit(p, makeCall(3, outcomes), 'f3', 0, 1)).toBe('full');
    expect([p.inFlightCount, p.waitingCount, p.liveCount]).toEqual([1, 1, 2]);
    p.handleReply(1, ok(1)); // call 2 goes out; the queue is empty again
    expect(submit(p, makeCall(4, outcomes), 'f4', 0, 60)).toBe('wait');
    expect(submit(p, makeCall(5, outcomes), 'f5', 0, 40)).toBe('wait'); // exactly at the limit
    expect(submit(p, makeCall(6, outcomes), 'f6', 0, 1)).toBe('full');
    p.handleTimeout(5000); // expiring waiting calls gives their bytes back
    expect(p.waitingCount).toBe(0);
    expect(submit(p, makeCall(7, outcomes), 'f7', 5000, 60)).toBe('wait');
    expect(submit(p, makeCall(8, outcomes), 'f8', 5000, 40)).toBe('wait');
    expect(outcomes.has(3) || outcomes.has(6)).toBe(false); // refused calls were never recorded
  });

  it('never times out with an infinite timeout', () => {
    const outcomes = new Map<number, Outcome>();
    const p = new RequestPipeline<string>(1, Infinity, 1000);
    submit(p, makeCall(1, outcomes), 'f1', 0);
    p.handleTimeout(Number.MAX_SAFE_INTEGER);
    expect(outcomes.size).toBe(0);
    expect(p.pollDeadlineMs()).toBe(Infinity);
  });

  it('fails every live call once, oldest first, and skips ghosts', () => {
    const outcomes = new Map<number, Outcome>();
    const p = new RequestPipeline<string>(2, 100, 1000);
    submit(p, makeCall(1, outcomes), 'f1', 0);
    submit(p, makeCall(2, outcomes), 'f2', 50);
    submit(p, makeCall(3, outcomes), 'f3', 60);
    p.handleTimeout(100); // 1 becomes a ghost
    const closed = new ConnectionClosedError('gone');
    p.failAll(closed);
    expect([...outcomes.keys()]).toEqual([1, 2, 3]);
    expect(outcomes.get(2)).toEqual({ kind: 'error', error: closed });
    expect(outcomes.get(3)).toEqual({ kind: 'error', error: closed });
    expect([p.inFlightCount, p.waitingCount, p.liveCount]).toEqual([0, 0, 0]);
  });

  it('matches a model under random submits, replies and timeouts', () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('submit' as const), advanceMs: fc.integer({ min: 0, max: 30 }) }),
      fc.record({ kind: fc.constant('reply' as const) }),
      fc.record({ kind: fc.constant('tick' as const), advanceMs: fc.integer({ min: 0, max: 60 }) }),
    );
    fc.assert(fc.property(fc.integer({ min: 1, max: 5 }), fc.array(step, { maxLength: 200 }), (pipelineMax, steps) => {
      const timeoutMs = 50;
      const outcomes = new Map<number, Outcome>();
      const p = new RequestPipeline<number>(pipelineMax, timeoutMs, 1000);
      // The model: ids on the wire (what the server will answer, in order) and all submitted calls.
      const wire: number[] = [];
      const submittedAt = new Map<number, number>();
      let now = 0;
      let nextId = 1;
      for (const s of steps) {
        if (s.kind === 'submit') {
          now += s.advanceMs;
          const id = nextId++;
          submittedAt.set(id, now);
          const sent = submit(p, makeCall(id, outcomes), id, now);
          if (typeof sent === 'number') wire.push(sent);
          expect(sent).not.toBe('full'); // 10 bytes a call never fill 1000 here
        } else if (s.kind === 'tick') {
          now += s.advanceMs;
          p.handleTimeout(now);
        } else if (wire.length > 0) {
          const id = wire.shift()!;
          const outcome = p.handleReply(id, ok(id));
          expect(outcome.ok).toBe(true);
          if (outcome.ok && outcome.send !== null) wire.push(outcome.send);
        }
        // Invariants: never more than pipelineMax on the wire; the wire is in id order.
        expect(wire.length).toBeLessThanOrEqual(pipelineMax);
        expect(p.inFlightCount).toBe(wire.length);
        for (let i = 1; i < wire.length; i++) expect(wire[i]!).toBeGreaterThan(wire[i - 1]!);
        // Every call is settled at most once, and a reply only if it came before the deadline check.
        for (const [id, o] of outcomes) {
          if (o.kind === 'error') expect(now - submittedAt.get(id)!).toBeGreaterThanOrEqual(timeoutMs);
        }
        expect(p.liveCount + outcomes.size).toBe(nextId - 1);
      }
    }));
  });

  it('asserts its limits', () => {
    expect(() => new RequestPipeline(0, 10, 10)).toThrow(/pipelineMax/);
    expect(() => new RequestPipeline(1, 0, 10)).toThrow(/requestTimeoutMs/);
    expect(() => new RequestPipeline(1, 10, 0)).toThrow(/waitingBytesMax/);
  });
});

// runtime-node/io/ordered-replies.ts: replies finish in any order but leave
// in ticket order, each exactly once, as soon as every earlier one has left.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OrderedReplies } from '../../runtime-node/io/ordered-replies.js';

type Step = { kind: 'take' } | { kind: 'fill'; pick: number };

describe('OrderedReplies', () => {
  it('sends in ticket order exactly once, whatever order replies complete in', () => {
    fc.assert(fc.property(
      fc.array(fc.oneof(
        { weight: 1, arbitrary: fc.constant<Step>({ kind: 'take' }) },
        { weight: 1, arbitrary: fc.nat().map((pick): Step => ({ kind: 'fill', pick })) },
      ), { maxLength: 400, size: 'max' }),
      (steps) => {
        const q = new OrderedReplies<string>();
        const tickets: number[] = [];
        const open: number[] = []; // taken, not filled
        const filled = new Set<number>();
        const sent: string[] = [];
        const send = (reply: string): void => { sent.push(reply); };
        let prefix = 0; // tickets known to be sent
        const check = (): void => {
          // Everything before the first unfilled ticket has been sent, in order, nothing after it.
          while (prefix < tickets.length && filled.has(tickets[prefix]!)) {
            if (sent[prefix] !== `reply ${tickets[prefix]}`) expect(sent[prefix]).toBe(`reply ${tickets[prefix]}`);
            prefix++;
          }
          if (sent.length !== prefix) expect(sent).toHaveLength(prefix);
          if (q.pending !== tickets.length - prefix) expect(q.pending).toBe(tickets.length - prefix);
        };
        for (const step of steps) {
          if (step.kind === 'take' || open.length === 0) {
            const t = q.take();
            if (tickets.length > 0) expect(t).toBe(tickets[tickets.length - 1]! + 1);
            tickets.push(t);
            open.push(t);
          } else {
            const [t] = open.splice(step.pick % open.length, 1);
            filled.add(t!);
            q.fill(t!, `reply ${t}`, send);
          }
          check();
        }
        // Finish in reverse order: everything goes out once the first one is in.
        for (const t of open.reverse()) {
          filled.add(t);
          q.fill(t, `reply ${t}`, send);
          check();
        }
        expect(sent).toHaveLength(tickets.length);
        expect(q.pending).toBe(0);
      },
    ), { numRuns: 300 });
  });

  it('keeps working across compaction on a long-lived connection', () => {
    const q = new OrderedReplies<number>();
    const sent: number[] = [];
    let next = 0;
    // Keep a window of 50 outstanding tickets, finishing them out of order, for 20,000 requests.
    const window: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      window.push(q.take());
      if (window.length === 50) {
        for (const idx of [3, 0, 49, 10, 1, 2]) {
          const t = window[idx]!;
          window[idx] = -1;
          q.fill(t, t, (r) => sent.push(r));
        }
        for (const t of window) if (t >= 0) q.fill(t, t, (r) => sent.push(r));
        window.length = 0;
      }
    }
    for (const r of sent) expect(r).toBe(next++);
    expect(next).toBe(20_000);
    expect(q.pending).toBe(0);
  });

  it('refuses a ticket filled twice or never taken', () => {
    const q = new OrderedReplies<string>();
    const a = q.take();
    const b = q.take();
    q.fill(b, 'b', () => {});
    expect(() => q.fill(b, 'b', () => {})).toThrow(/filled twice or unknown/);
    q.fill(a, 'a', () => {});
    expect(() => q.fill(a, 'a', () => {})).toThrow(/filled twice or unknown/); // already sent
    expect(() => q.fill(b + 1, 'c', () => {})).toThrow(/filled twice or unknown/); // not taken yet
  });

  it('tolerates a send callback that fills further tickets (re-entrancy)', () => {
    const q = new OrderedReplies<number>();
    const t0 = q.take();
    const t1 = q.take();
    const t2 = q.take();
    const sent: number[] = [];
    const send = (r: number): void => {
      sent.push(r);
      if (r === t0) q.fill(t1, t1, send);
    };
    q.fill(t2, t2, send);
    q.fill(t0, t0, send);
    expect(sent).toEqual([t0, t1, t2]);
    expect(q.pending).toBe(0);
  });
});

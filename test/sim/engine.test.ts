// The simulator's engine: trace hash, event queue, virtual time and threads.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventQueue, SimEvent } from '../../runtime-sim/event-queue.js';
import { Simulation } from '../../runtime-sim/simulation.js';
import { Fnv64 } from '../../core/fnv64.js';
import { NodeClock, SIM_EPOCH_MS } from '../../runtime-sim/node-clock.js';
import { maxDelayUs, sampleDelayUs } from '../../runtime-sim/delay.js';
import { Random } from '../../core/random.js';

const noop = (): void => {};

describe('Fnv64 (trace hash)', () => {
  it('is FNV-1a 64 over bytes (published test vectors)', () => {
    const fnv = (text: string): string => {
      const h = new Fnv64();
      h.addBytes(new TextEncoder().encode(text));
      return h.hex();
    };
    expect(fnv('')).toBe('cbf29ce484222325');
    expect(fnv('a')).toBe('af63dc4c8601ec8c');
    expect(fnv('foobar')).toBe('85944171f73967e8');
  });

  it('tells apart inputs that differ in any word, and string boundaries', () => {
    const hashOf = (words: number[]): string => {
      const h = new Fnv64();
      for (const w of words) h.addU32(w);
      return h.hex();
    };
    fc.assert(fc.property(fc.array(fc.nat({ max: 0xffffffff }), { minLength: 1, maxLength: 20 }), fc.nat(), fc.nat({ max: 31 }), (words, at, bit) => {
      const i = at % words.length;
      const flipped = [...words];
      flipped[i] = (flipped[i]! ^ (1 << bit)) >>> 0;
      expect(hashOf(flipped)).not.toBe(hashOf(words));
    }));
    const a = new Fnv64();
    a.addString('ab');
    a.addString('c');
    const b = new Fnv64();
    b.addString('a');
    b.addString('bc');
    expect(a.hex()).not.toBe(b.hex());
  });
});

describe('EventQueue', () => {
  it('pops in (time, insertion) order', () => {
    fc.assert(fc.property(fc.array(fc.nat({ max: 50 }), { maxLength: 300 }), (times) => {
      const q = new EventQueue();
      times.forEach((t, seq) => q.push(new SimEvent(t, seq, 0, 0, seq, noop, undefined)));
      const out: SimEvent[] = [];
      for (let e = q.pop(); e !== undefined; e = q.pop()) out.push(e);
      const expected = times.map((t, seq) => ({ t, seq })).sort((x, y) => x.t - y.t || x.seq - y.seq);
      expect(out.map((e) => [e.timeUs, e.seq])).toEqual(expected.map((x) => [x.t, x.seq]));
    }));
  });
});

describe('Simulation', () => {
  it('runs events in time order and moves the clock to each', () => {
    const sim = new Simulation();
    const seen: [string, number][] = [];
    sim.at(30, 0, 1, 0, () => seen.push(['c', sim.nowUs]));
    sim.at(10, 0, 1, 0, () => {
      seen.push(['a', sim.nowUs]);
      sim.after(5, 0, 1, 0, () => seen.push(['b', sim.nowUs]));
    });
    expect(sim.run(1000)).toBe('idle');
    expect(seen).toEqual([['a', 10], ['b', 15], ['c', 30]]);
    expect(sim.eventsRun).toBe(3);
  });

  it('calls an action scheduled with an argument on that argument, each event on its own (reused events included)', () => {
    const sim = new Simulation();
    const seen: [number, number][] = [];
    const record = (arg: number): void => {
      seen.push([arg, sim.nowUs]);
      if (arg < 3) sim.afterWith(10, 0, 1, 0, record, arg + 10);
    };
    sim.atWith(20, 0, 1, 0, record, 2);
    sim.atWith(10, 0, 1, 0, record, 1);
    sim.at(40, 0, 1, 0, () => seen.push([-1, sim.nowUs]));
    expect(sim.run(1000)).toBe('idle');
    expect(seen).toEqual([[1, 10], [2, 20], [11, 20], [12, 30], [-1, 40]]);
  });

  it('never schedules into the past', () => {
    const sim = new Simulation();
    sim.at(10, 0, 1, 0, () => sim.at(5, 0, 1, 0, noop));
    expect(() => sim.run(100)).toThrow(/past/);
  });

  it('defers the events of a frozen or busy thread, keeping their order; other threads run on', () => {
    const sim = new Simulation();
    const t = sim.addThread('t');
    const u = sim.addThread('u');
    const seen: string[] = [];
    sim.at(1, 0, 1, 0, () => sim.freeze(t, 100));
    for (const [i, at] of [[1, 10], [2, 20], [3, 30]] as const) sim.at(at, t, 1, i, () => seen.push(`t${i}@${sim.nowUs}`));
    sim.at(50, u, 1, 0, () => seen.push(`u@${sim.nowUs}`));
    sim.at(150, t, 1, 0, () => {
      sim.consume(t, 40);
      seen.push(`busy@${sim.nowUs}`);
    });
    sim.at(160, t, 1, 0, () => seen.push(`after-busy@${sim.nowUs}`));
    sim.run(1000);
    expect(seen).toEqual(['u@50', 't1@100', 't2@100', 't3@100', 'busy@150', 'after-busy@190']);
    expect(sim.eventsDeferred).toBe(4);
  });

  it('reuses run events without changing what runs when: a random schedule matches a plain sort by (time, order)', () => {
    // Events scheduled from inside running ones land in objects already run and recycled.
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(50), fc.nat(3), fc.nat(40)), { minLength: 1, maxLength: 60 }), (plan) => {
      const sim = new Simulation();
      const ran: string[] = [];
      const expected: { timeUs: number; order: number; name: string }[] = [];
      let order = 0;
      const schedule = (timeUs: number, name: string, children: number, childDelayUs: number): void => {
        expected.push({ timeUs, order: order++, name });
        sim.at(timeUs, 0, 1, 0, () => {
          ran.push(`${name}@${sim.nowUs}`);
          for (let c = 0; c < children; c++) schedule(sim.nowUs + childDelayUs + c, `${name}.${c}`, children - 1, childDelayUs);
        });
      };
      plan.forEach(([timeUs, children, childDelayUs], i) => schedule(timeUs, `e${i}`, children, childDelayUs));
      sim.run(Number.MAX_SAFE_INTEGER);
      // Children are scheduled as their parent runs, so the expectation is built in the same order: sort it at the end.
      const want = [...expected].sort((a, b) => a.timeUs - b.timeUs || a.order - b.order).map((e) => `${e.name}@${e.timeUs}`);
      expect(ran).toEqual(want);
      expect(sim.pendingEvents).toBe(0);
    }));
  });

  it('stops at a time limit or on request', () => {
    const sim = new Simulation();
    sim.at(10, 0, 1, 0, () => sim.stop());
    sim.at(20, 0, 1, 0, noop);
    expect(sim.run(1000)).toBe('stopped');
    expect(sim.run(15)).toBe('time-limit');
    expect(sim.nowUs).toBe(15);
  });
});

describe('NodeClock', () => {
  it('is virtual time plus skew plus the jumps so far, and never goes back', () => {
    const clock = new NodeClock(-250);
    clock.jump(5_000, 40);
    clock.jump(9_000, 1);
    expect(clock.nowMs(0)).toBe(SIM_EPOCH_MS - 250);
    expect(clock.nowMs(4_999)).toBe(SIM_EPOCH_MS + 4 - 250);
    expect(clock.nowMs(5_000)).toBe(SIM_EPOCH_MS + 5 - 250 + 40);
    expect(clock.nowMs(10_000)).toBe(SIM_EPOCH_MS + 10 - 250 + 41);
    let last = -Infinity;
    for (let us = 0; us < 12_000; us += 7) {
      expect(clock.nowMs(us)).toBeGreaterThanOrEqual(last);
      last = clock.nowMs(us);
    }
    expect(() => clock.jump(10_000, -1)).toThrow();
  });
});

describe('delays', () => {
  it('stay within base..base+cap', () => {
    fc.assert(fc.property(fc.nat(), fc.nat({ max: 1000 }), fc.nat({ max: 5000 }), fc.nat({ max: 20_000 }), (seed, baseUs, tailMeanUs, tailCapUs) => {
      const rng = Random.fromSeed(seed);
      const spec = { baseUs, tailMeanUs, tailCapUs };
      for (let i = 0; i < 20; i++) {
        const d = sampleDelayUs(rng, spec);
        expect(Number.isInteger(d) && d >= baseUs && d <= maxDelayUs(spec)).toBe(true);
      }
    }), { numRuns: 100 });
  });
});

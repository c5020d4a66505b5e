import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeBits, VisitedStates } from '../../core/checker/visited-states.js';

/** Hash of the first `words` words (the required part). */
function hashOf(bits: Uint32Array, words = bits.length): number {
  let h = 0;
  for (let i = 0; i < words; i++) h = Math.imul(h ^ bits[i]!, 0x01000193);
  return h;
}

describe('VisitedStates', () => {
  it('remembers configurations and tells apart sets and states', () => {
    const v = new VisitedStates(3, 0);
    const a = new Uint32Array([0xffffffff, 5, 0]);
    const b = new Uint32Array([0xffffffff, 6, 0]);
    expect(v.add(a, hashOf(a), 1, 0)).toBe('added');
    expect(v.add(a, hashOf(a), 1, 0)).toBe('seen');
    expect(v.add(a, hashOf(a), 2, 0)).toBe('added');
    expect(v.add(b, hashOf(b), 1, 0)).toBe('added');
    // A colliding hash must not make different sets equal.
    expect(v.add(new Uint32Array([1, 2, 3]), 42, 0, 0)).toBe('added');
    expect(v.add(new Uint32Array([3, 2, 1]), 42, 0, 0)).toBe('added');
    expect(v.add(new Uint32Array([1, 2, 3]), 42, 0, 0)).toBe('seen');
    expect(v.size).toBe(5);
  });

  it('treats more optional ops placed, or a stricter flag, as covered, and not the reverse', () => {
    const v = new VisitedStates(1, 1);
    const config = (required: number, optional: number) => new Uint32Array([required, optional]);
    expect(v.add(config(7, 0b01), 7, 3, 0)).toBe('added');
    expect(v.add(config(7, 0b11), 7, 3, 0)).toBe('seen'); // superset of optional ops: covered
    expect(v.add(config(7, 0b01), 7, 3, 1)).toBe('seen'); // same, but must observe next: covered
    expect(v.add(config(7, 0b10), 7, 3, 0)).toBe('added'); // not a superset
    expect(v.add(config(7, 0b00), 7, 3, 0)).toBe('added'); // fewer placed: more choices
    expect(v.add(config(6, 0b11), 6, 3, 0)).toBe('added'); // other required set
    expect(v.add(config(7, 0b11), 7, 4, 0)).toBe('added'); // other state
    const w = new VisitedStates(1, 1);
    expect(w.add(config(7, 0b01), 7, 3, 1)).toBe('added');
    expect(w.add(config(7, 0b01), 7, 3, 0)).toBe('added'); // less strict than what was seen
  });

  it('stays correct across bucket and pool growth', () => {
    const v = new VisitedStates(4, 0);
    const bits = new Uint32Array(4);
    for (let i = 0; i < 5000; i++) {
      bits[i % 4] = i;
      expect(v.add(bits, hashOf(bits), i % 7, 0)).toBe('added');
    }
    bits.fill(0);
    for (let i = 0; i < 5000; i++) {
      bits[i % 4] = i;
      expect(v.add(bits, hashOf(bits), i % 7, 0)).toBe('seen');
    }
  });

  it('reports full at its memory cap instead of growing', () => {
    const v = new VisitedStates(2, 0, 100);
    const results: string[] = [];
    for (let i = 0; i < 50; i++) {
      const bits = new Uint32Array([i + 1, 7]);
      results.push(v.add(bits, hashOf(bits), 0, 0));
    }
    expect(results).toContain('full');
    expect(v.wordsUsed).toBeLessThanOrEqual(100);
  });

  it('encodes equal sets equally and different sets differently', () => {
    const words = fc.array(fc.constantFrom(0, 0xffffffff, 1, 0x80000000, 12345), { minLength: 1, maxLength: 12 });
    fc.assert(fc.property(words, words, (x, y) => {
      const enc = (w: number[]) => {
        const out = new Uint32Array(2 * w.length + 1);
        return Array.from(out.subarray(0, encodeBits(new Uint32Array(w), out)));
      };
      const same = x.length === y.length && x.every((w, i) => w === y[i]);
      expect(JSON.stringify(enc(x)) === JSON.stringify(enc(y))).toBe(same);
    }), { numRuns: 500 });
  });
});

// The list's encodings: one element's bytes (list-element.ts), the
// QuickList's nodes and exact image (quick-list.ts), the compact form and
// its thresholds (list-compact.ts), the snapshot codec and OBJECT ENCODING.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeLimits } from '../../../core/limits.js';
import { LIST_CODEC } from '../../../core/types/list/list-codec.js';
import {
  checkCompact, compactBytesOf, LIST_COMPACT_BYTES_MAX, LIST_COMPACT_SHRINK_BYTES_MAX, LIST_COMPACT_TAG, listOfCompact,
} from '../../../core/types/list/list-compact.js';
import { countElements, elementBytes, encodeElement, readElement } from '../../../core/types/list/list-element.js';
import { LIST_NODE_BYTES_MAX, QuickList } from '../../../core/types/list/quick-list.js';
import { b, latin1 } from '../bytes-helpers.js';
import { ShardCalls } from './shard-calls.js';

const contents = (list: QuickList): string[] => (list.length === 0 ? [] : list.range(0, list.length - 1).map(latin1));

describe('list elements', () => {
  it('round-trip any bytes, integers in their own shorter form', () => {
    fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.integer().map((n) => b(String(n))),
      fc.bigInt({ min: -(10n ** 16n), max: 10n ** 16n }).map((n) => b(String(n)))), (v) => {
      const encoded = encodeElement(v);
      expect(encoded.length).toBe(elementBytes(v));
      expect(countElements(encoded, 0, encoded.length)).toBe(1);
      expect(readElement(encoded, 0)).toEqual(v);
    }));
  });

  it('costs what listpack costs or less', () => {
    expect(elementBytes(b('123456'))).toBe(3); // listpack: 24-bit int, 5 bytes
    expect(elementBytes(b('7'))).toBe(1); // listpack: 2
    expect(elementBytes(b('hello'))).toBe(6); // listpack: 7
    expect(elementBytes(b('x'.repeat(63)))).toBe(64); // listpack: 65
    expect(elementBytes(b('123456789012345'))).toBeLessThanOrEqual(8); // listpack: 10
    // Not canonical integers: kept as text, so they read back as sent.
    for (const text of ['007', '-0', '+1', '1e3', ' 1', '1234567890123456']) expect(readElement(encodeElement(b(text)), 0)).toEqual(b(text));
  });

  it('refuses malformed runs', () => {
    expect(countElements(b('\x80'), 0, 1)).toMatch(/header/);
    expect(countElements(b('\x08ab'), 0, 3)).toMatch(/past the end/);
    expect(countElements(b('\x0412'), 0, 3)).toMatch(/integer stored as text/);
  });
});

type Op =
  | { op: 'pushHead' | 'pushTail'; v: string }
  | { op: 'popHead' | 'popTail' }
  | { op: 'set' | 'insert'; at: number; v: string }
  | { op: 'removeMatching'; v: string; max: number; fromTail: boolean }
  | { op: 'removeHead' | 'removeTail'; n: number };

const value = fc.oneof(fc.constantFrom('a', 'b', '12', ''), fc.string({ maxLength: 40 }), fc.integer({ min: 100, max: 3000 }).map((n) => 'z'.repeat(n)));
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ op: fc.constantFrom('pushHead' as const, 'pushTail' as const), v: value }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constantFrom('popHead' as const, 'popTail' as const) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constantFrom('set' as const, 'insert' as const), at: fc.nat(), v: value }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('removeMatching' as const), v: fc.constantFrom('a', 'b', '12'), max: fc.nat(3), fromTail: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constantFrom('removeHead' as const, 'removeTail' as const), n: fc.nat(40) }) },
);

function applyOp(list: QuickList, model: string[], o: Op): void {
  switch (o.op) {
    case 'pushHead': list.pushHead(b(o.v)); model.unshift(o.v); return;
    case 'pushTail': list.pushTail(b(o.v)); model.push(o.v); return;
    case 'popHead': expect(list.popHead()).toEqual(model.length ? b(model.shift()!) : undefined); return;
    case 'popTail': expect(list.popTail()).toEqual(model.length ? b(model.pop()!) : undefined); return;
    case 'set': if (model.length) { const i = o.at % model.length; list.set(i, b(o.v)); model[i] = o.v; } return;
    case 'insert': { const i = o.at % (model.length + 1); list.insert(i, b(o.v)); model.splice(i, 0, o.v); return; }
    case 'removeMatching': {
      const order = [...model.keys()];
      if (o.fromTail) order.reverse();
      const gone = new Set(order.filter((i) => model[i] === o.v).slice(0, o.max === 0 ? undefined : o.max));
      expect(list.removeMatching(encodeElement(b(o.v)), o.max, o.fromTail)).toBe(gone.size);
      model.splice(0, model.length, ...model.filter((_, i) => !gone.has(i)));
      return;
    }
    case 'removeHead': { const n = Math.min(o.n, model.length); list.removeHead(n); model.splice(0, n); return; }
    case 'removeTail': { const n = Math.min(o.n, model.length); list.removeTail(n); model.splice(model.length - n, n); return; }
  }
}

describe('QuickList', () => {
  it('holds what an array would, and its image rebuilds the same layout', () => {
    fc.assert(fc.property(fc.array(op, { maxLength: 150 }), fc.nat(150), (ops, cut) => {
      const list = new QuickList();
      const model: string[] = [];
      ops.forEach((o, i) => {
        if (i === cut) {
          const image = list.encode();
          const restored = QuickList.decode(image) as QuickList;
          expect(restored.encode()).toEqual(image);
          expect(restored.memoryBytes).toBe(list.memoryBytes);
        }
        applyOp(list, model, o);
      });
      expect(contents(list)).toEqual(model);
      expect(list.length).toBe(model.length);
      for (let i = 0; i < model.length; i += 7) expect(latin1(list.at(i))).toBe(model[i]);
      const backward: string[] = [];
      list.forEachBackward((buf, off) => { backward.push(latin1(readElement(buf, off))); return true; });
      expect(backward).toEqual([...model].reverse());
    }));
  });

  it('a restored image goes on exactly as the original: same image after the same changes', () => {
    fc.assert(fc.property(fc.array(op, { maxLength: 80 }), fc.array(op, { maxLength: 80 }), (before, after) => {
      const list = new QuickList();
      const model: string[] = [];
      for (const o of before) applyOp(list, model, o);
      const twin = QuickList.decode(list.encode()) as QuickList;
      const twinModel = [...model];
      for (const o of after) {
        applyOp(list, model, o);
        applyOp(twin, twinModel, o);
      }
      expect(twin.encode()).toEqual(list.encode());
      expect(twin.memoryBytes).toBe(list.memoryBytes);
    }));
  });

  it('keeps nodes within LIST_NODE_BYTES_MAX and costs ~1 byte a short element beyond its payload', () => {
    const list = new QuickList();
    for (let i = 0; i < 100_000; i++) list.pushTail(b(`value:${i}`));
    expect(list.nodeCount).toBeGreaterThan(1);
    expect(list.encodedBytes / list.nodeCount).toBeLessThanOrEqual(LIST_NODE_BYTES_MAX);
    const payload = 100_000 * 'value:12345'.length;
    expect(list.memoryBytes / 100_000).toBeLessThan((payload + 100_000) / 100_000 + 1);
    expect(latin1(list.at(54_321))).toBe('value:54321');
  });

  it('refuses malformed images', () => {
    const image = QuickList.of([b('a'), b('b')]).encode();
    expect(QuickList.decode(image.subarray(0, image.length - 1))).toMatch(/truncated/);
    expect(QuickList.decode(b('x'))).toMatch(/not a large list/);
    const bad = image.slice();
    bad[2] = 0xff; // capacity varint runs on
    expect(typeof QuickList.decode(bad)).toBe('string');
  });
});

describe('compact form and codec', () => {
  it('round-trips and refuses what is not one', () => {
    const list = QuickList.of([b('a'), b('42'), b('')]);
    const bytes = compactBytesOf(list);
    expect(bytes[0]).toBe(LIST_COMPACT_TAG);
    expect(checkCompact(bytes)).toBeNull();
    expect(contents(listOfCompact(bytes))).toEqual(['a', '42', '']);
    expect(LIST_CODEC.restore(bytes)).toBe(bytes);
    expect(LIST_CODEC.restore(b('l'))).toMatch(/empty/);
    expect(LIST_CODEC.restore(b('?'))).toMatch(/not a large list/);
    expect(checkCompact(new Uint8Array(LIST_COMPACT_BYTES_MAX + 1).fill(LIST_COMPACT_TAG, 0, 1))).toMatch(/over/);
    const large = LIST_CODEC.restore(list.encode());
    expect(large).toBeInstanceOf(QuickList);
  });

  it('thresholds: the shrink point is below the grow point (no flapping)', () => {
    expect(LIST_COMPACT_SHRINK_BYTES_MAX).toBeLessThan(LIST_COMPACT_BYTES_MAX);
    expect(LIST_COMPACT_BYTES_MAX).toBeLessThanOrEqual(makeLimits().valueBytesMax);
  });
});

/** OBJECT ENCODING of a key, through the real shard. */
function encodingOf(s: ShardCalls, key: string): string {
  const d = s.data('object', 'ENCODING', key);
  return typeof d !== 'string' && d.t === 'bytes' ? new TextDecoder().decode(d.v) : JSON.stringify(d);
}

describe('conversion between forms', () => {
  it('compact (listpack) until 8 KiB, then quicklist; back to listpack at half; removed when empty', () => {
    const s = new ShardCalls();
    const element = 'e'.repeat(999);
    for (let i = 0; i < 8; i++) s.call('rpush', 'k', element); // 8 * 1001 bytes + tag
    expect(encodingOf(s, 'k')).toBe('listpack');
    s.call('rpush', 'k', element);
    expect(encodingOf(s, 'k')).toBe('quicklist');
    s.call('rpop', 'k', '4');
    expect(encodingOf(s, 'k')).toBe('quicklist'); // 5 * 1001 > 4 KiB
    s.call('rpop', 'k');
    expect(encodingOf(s, 'k')).toBe('listpack');
    expect(s.int('llen', 'k')).toBe(4);
    s.call('ltrim', 'k', '1', '0');
    expect(s.data('type', 'k')).toEqual({ t: 'status', v: 'none' });
  });

  it('a range reply over one frame is refused whole, nothing popped', () => {
    const s = new ShardCalls(1_000_000, makeLimits({ valueBytesMax: 1024, keyBytesMax: 64, frameBytesMax: 4096 }));
    for (let i = 0; i < 10; i++) s.call('rpush', 'k', 'v'.repeat(1000));
    expect(s.call('lrange', 'k', '0', '-1')).toMatchObject({ ok: false, code: 'LIMIT_EXCEEDED' });
    expect(s.call('lpop', 'k', '10')).toMatchObject({ ok: false, code: 'LIMIT_EXCEEDED' });
    expect(s.int('llen', 'k')).toBe(10);
    expect(s.call('lrange', 'k', '0', '1')).toMatchObject({ ok: true });
  });
});

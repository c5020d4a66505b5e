// The pure pub/sub registry: subscriptions on both sides, counts, pattern
// matching, forgetting empty channels; and a model-based run against plain
// sets, so any sequence of (un)subscribes keeps the two sides in agreement.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Glob } from '../../core/resp/glob.js';
import { PubsubRegistry, type PubsubKind } from '../../core/resp/pubsub-registry.js';

const b = (s: string): Uint8Array => Buffer.from(s);
const s = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1');

describe('PubsubRegistry', () => {
  it('subscribes once per name, counts channels plus patterns, shard channels apart', () => {
    const r = new PubsubRegistry<string>();
    expect(r.subscribe('a', 'channel', b('news'))).toBe(true);
    expect(r.subscribe('a', 'channel', b('news'))).toBe(false);
    expect(r.subscribe('a', 'pattern', b('n*'))).toBe(true);
    expect(r.subscribe('a', 'shard', b('orders'))).toBe(true);
    expect(r.subscriptionCount('a')).toBe(2);
    expect(r.shardSubscriptionCount('a')).toBe(1);
    expect(r.isSubscribed('a')).toBe(true);
    expect(r.isSubscribed('b')).toBe(false);
    expect(r.namesOf('a', 'channel').map(s)).toEqual(['news']);
  });

  it('delivers to direct subscribers first, then pattern by pattern; shard channels ignore patterns', () => {
    const r = new PubsubRegistry<string>();
    r.subscribe('p', 'pattern', b('n*'));
    r.subscribe('a', 'channel', b('news'));
    r.subscribe('b', 'channel', b('news'));
    r.subscribe('a', 'pattern', b('*s'));
    r.subscribe('q', 'pattern', b('x*'));
    const got = r.receivers('channel', b('news')).map((d) => [d.subscriber, d.pattern === null ? null : s(d.pattern)]);
    expect(got).toEqual([['a', null], ['b', null], ['p', 'n*'], ['a', '*s']]);
    expect(r.receivers('shard', b('news'))).toEqual([]);
    r.subscribe('c', 'shard', b('news'));
    expect(r.receivers('shard', b('news')).map((d) => d.subscriber)).toEqual(['c']);
  });

  it('forgets a channel with no subscriber left, and a removed subscriber everywhere', () => {
    const r = new PubsubRegistry<string>();
    r.subscribe('a', 'channel', b('x'));
    r.subscribe('b', 'channel', b('x'));
    r.subscribe('a', 'channel', b('y'));
    r.subscribe('a', 'pattern', b('*'));
    expect(r.activeChannels('channel', null).map(s).sort()).toEqual(['x', 'y']);
    expect(r.activeChannels('channel', new Glob(b('x')))).toHaveLength(1);
    expect(r.subscriberCount('channel', b('x'))).toBe(2);
    expect(r.patternCount).toBe(1);
    r.removeSubscriber('a');
    expect(r.activeChannels('channel', null).map(s)).toEqual(['x']);
    expect(r.subscriberCount('channel', b('x'))).toBe(1);
    expect(r.patternCount).toBe(0);
    expect(r.isSubscribed('a')).toBe(false);
    expect(r.unsubscribe('b', 'channel', b('x'))).toBe(true);
    expect(r.unsubscribe('b', 'channel', b('x'))).toBe(false);
    expect(r.activeChannels('channel', null)).toEqual([]);
  });

  it('is binary safe: channels differing only in high bytes stay apart', () => {
    const r = new PubsubRegistry<string>();
    r.subscribe('a', 'channel', Uint8Array.of(0xff, 0));
    expect(r.subscriberCount('channel', Uint8Array.of(0xff, 0))).toBe(1);
    expect(r.subscriberCount('channel', Uint8Array.of(0xfe, 0))).toBe(0);
  });

  it('keeps both sides in agreement with a model under any sequence of operations', () => {
    const kinds: PubsubKind[] = ['channel', 'pattern', 'shard'];
    const op = fc.record({
      subscriber: fc.constantFrom('a', 'b', 'c'),
      kind: fc.constantFrom(...kinds),
      name: fc.constantFrom('x', 'y', 'x*', '*'),
      action: fc.constantFrom('sub', 'unsub', 'remove'),
    });
    fc.assert(fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
      const r = new PubsubRegistry<string>();
      const model = new Map<string, Set<string>>(); // subscriber -> "kind:name"
      for (const o of ops) {
        const mine = model.get(o.subscriber) ?? new Set<string>();
        model.set(o.subscriber, mine);
        const id = `${o.kind}:${o.name}`;
        if (o.action === 'sub') {
          expect(r.subscribe(o.subscriber, o.kind, b(o.name))).toBe(!mine.has(id));
          mine.add(id);
        } else if (o.action === 'unsub') expect(r.unsubscribe(o.subscriber, o.kind, b(o.name))).toBe(mine.delete(id));
        else { r.removeSubscriber(o.subscriber); mine.clear(); }
      }
      for (const [subscriber, mine] of model) {
        const count = (kind: PubsubKind): number => [...mine].filter((id) => id.startsWith(`${kind}:`)).length;
        expect(r.subscriptionCount(subscriber)).toBe(count('channel') + count('pattern'));
        expect(r.shardSubscriptionCount(subscriber)).toBe(count('shard'));
        expect(r.isSubscribed(subscriber)).toBe(mine.size > 0);
      }
      for (const name of ['x', 'y']) {
        const direct = [...model].filter(([, mine]) => mine.has(`channel:${name}`)).length;
        expect(r.subscriberCount('channel', b(name))).toBe(direct);
        // The model's glob: `*` all, `x*` names starting with x, any other pattern only itself.
        const matches = (pattern: string): boolean => pattern === '*' || pattern === name || (pattern === 'x*' && name.startsWith('x'));
        const viaPatterns = [...model].reduce((n, [, mine]) => n
          + [...mine].filter((id) => id.startsWith('pattern:') && matches(id.slice('pattern:'.length))).length, 0);
        expect(r.receivers('channel', b(name))).toHaveLength(direct + viaPatterns);
      }
      const livePatterns = new Set([...model.values()].flatMap((mine) => [...mine].filter((id) => id.startsWith('pattern:'))));
      expect(r.patternCount).toBe(livePatterns.size);
    }), { numRuns: 300 });
  });
});

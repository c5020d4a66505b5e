// The pure pub/sub commands: (P|S)(UN)SUBSCRIBE replies with Redis 7's
// counts, bare unsubscribes, PUBSUB introspection, RESP2 subscribed mode, and
// how pushes encode under RESP2 (arrays) and RESP3 (`>`).
import { describe, expect, it } from 'vitest';
import {
  messagePush, patternMessagePush, runPubsubIntrospection, runSubscription, subscribedModeError, subscribedModeReply,
  SUBSCRIPTIONS_PER_CLIENT_MAX,
} from '../../core/resp/pubsub-commands.js';
import { PubsubRegistry } from '../../core/resp/pubsub-registry.js';
import { ReplyWriter, type RespValue } from '../../core/resp/reply-encoder.js';

const b = (s: string): Uint8Array => Buffer.from(s);
const wire = (value: RespValue, protocol: 2 | 3): string => {
  const w = new ReplyWriter(protocol);
  w.writeValue(value);
  return Buffer.from(w.take()).toString('latin1');
};
const wireAll = (values: RespValue[], protocol: 2 | 3 = 2): string => values.map((v) => wire(v, protocol)).join('');

describe('(P|S)(UN)SUBSCRIBE', () => {
  it('answers one push per channel with the running count of channels plus patterns', () => {
    const r = new PubsubRegistry<string>();
    expect(wireAll(runSubscription(r, 'c', 'subscribe', [b('a'), b('b'), b('a')]))).toBe(
      '*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n'
      + '*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n'
      + '*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:2\r\n');
    expect(wireAll(runSubscription(r, 'c', 'psubscribe', [b('h*')]), 3)).toBe('>3\r\n$10\r\npsubscribe\r\n$2\r\nh*\r\n:3\r\n');
    // Shard channels count apart.
    expect(wireAll(runSubscription(r, 'c', 'ssubscribe', [b('s')]))).toBe('*3\r\n$10\r\nssubscribe\r\n$1\r\ns\r\n:1\r\n');
  });

  it('a bare UNSUBSCRIBE drops every channel in subscription order; from nothing it answers a null channel', () => {
    const r = new PubsubRegistry<string>();
    runSubscription(r, 'c', 'subscribe', [b('x'), b('y')]);
    runSubscription(r, 'c', 'psubscribe', [b('p*')]);
    expect(wireAll(runSubscription(r, 'c', 'unsubscribe', []))).toBe(
      '*3\r\n$11\r\nunsubscribe\r\n$1\r\nx\r\n:2\r\n'
      + '*3\r\n$11\r\nunsubscribe\r\n$1\r\ny\r\n:1\r\n');
    expect(wireAll(runSubscription(r, 'c', 'unsubscribe', []))).toBe('*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:1\r\n');
    expect(wireAll(runSubscription(r, 'c', 'punsubscribe', [b('p*'), b('never')]))).toBe(
      '*3\r\n$12\r\npunsubscribe\r\n$2\r\np*\r\n:0\r\n'
      + '*3\r\n$12\r\npunsubscribe\r\n$5\r\nnever\r\n:0\r\n');
    expect(wireAll(runSubscription(r, 'c', 'sunsubscribe', []), 3)).toBe('>3\r\n$12\r\nsunsubscribe\r\n_\r\n:0\r\n');
    expect(r.isSubscribed('c')).toBe(false);
  });

  it('refuses subscriptions past the per-connection limit, changing nothing', () => {
    const r = new PubsubRegistry<string>();
    const many = Array.from({ length: SUBSCRIPTIONS_PER_CLIENT_MAX + 1 }, (_, i) => b(`c${i}`));
    const replies = runSubscription(r, 'c', 'subscribe', many);
    expect(replies).toEqual([{ type: 'error', text: expect.stringMatching(/^ERR more than 10000 subscriptions/) }]);
    expect(r.isSubscribed('c')).toBe(false);
    expect(runSubscription(r, 'c', 'psubscribe', [new Uint8Array(2000).fill(0x61)])[0]).toMatchObject({ type: 'error' });
  });
});

describe('messages', () => {
  it('message, smessage and pmessage in RESP2 and RESP3', () => {
    expect(wire(messagePush('channel', b('ch'), b('hi')), 2)).toBe('*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n');
    expect(wire(messagePush('shard', b('ch'), b('hi')), 3)).toBe('>3\r\n$8\r\nsmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n');
    expect(wire(patternMessagePush(b('c*'), b('ch'), b('hi')), 3)).toBe('>4\r\n$8\r\npmessage\r\n$2\r\nc*\r\n$2\r\nch\r\n$2\r\nhi\r\n');
  });
});

describe('RESP2 subscribed mode', () => {
  it('allows only the pub/sub commands, PING (as a pong pair), QUIT and RESET', () => {
    expect(subscribedModeReply('get', [b('GET'), b('k')], true, 2)).toEqual({ type: 'error', text: subscribedModeError('get') });
    expect(subscribedModeError('get')).toBe("ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context");
    for (const name of ['subscribe', 'unsubscribe', 'psubscribe', 'punsubscribe', 'ssubscribe', 'sunsubscribe', 'quit']) {
      expect(subscribedModeReply(name, [b(name)], true, 2)).toBeNull();
    }
    expect(wire(subscribedModeReply('ping', [b('PING')], true, 2)!, 2)).toBe('*2\r\n$4\r\npong\r\n$0\r\n\r\n');
    expect(wire(subscribedModeReply('ping', [b('PING'), b('hey')], true, 2)!, 2)).toBe('*2\r\n$4\r\npong\r\n$3\r\nhey\r\n');
  });

  it('does not exist without a subscription or under RESP3', () => {
    expect(subscribedModeReply('get', [b('GET'), b('k')], false, 2)).toBeNull();
    expect(subscribedModeReply('get', [b('GET'), b('k')], true, 3)).toBeNull();
    expect(subscribedModeReply('ping', [b('PING')], true, 3)).toBeNull();
  });
});

describe('PUBSUB', () => {
  const r = new PubsubRegistry<string>();
  runSubscription(r, 'a', 'subscribe', [b('news'), b('sport')]);
  runSubscription(r, 'b', 'subscribe', [b('news')]);
  runSubscription(r, 'b', 'psubscribe', [b('n*'), b('s*')]);
  runSubscription(r, 'a', 'psubscribe', [b('n*')]);
  runSubscription(r, 'c', 'ssubscribe', [b('orders')]);
  const run = (...args: string[]): RespValue => runPubsubIntrospection(r, args.map(b));
  const bulks = (v: RespValue): string[] => (v.type === 'array' ? v.items.map((i) => (i.type === 'bulk' ? Buffer.from(i.value).toString() : '?')) : []).sort();

  it('CHANNELS [pattern], NUMSUB, NUMPAT, SHARDCHANNELS, SHARDNUMSUB', () => {
    expect(bulks(run('CHANNELS'))).toEqual(['news', 'sport']);
    expect(bulks(run('channels', 's*'))).toEqual(['sport']);
    expect(run('NUMSUB', 'news', 'sport', 'none')).toEqual({ type: 'array', items: [
      { type: 'bulk', value: b('news') }, { type: 'integer', value: 2 },
      { type: 'bulk', value: b('sport') }, { type: 'integer', value: 1 },
      { type: 'bulk', value: b('none') }, { type: 'integer', value: 0 },
    ] });
    expect(run('NUMSUB')).toEqual({ type: 'array', items: [] });
    expect(run('NUMPAT')).toEqual({ type: 'integer', value: 2 });
    expect(bulks(run('SHARDCHANNELS'))).toEqual(['orders']);
    expect(run('SHARDNUMSUB', 'orders')).toMatchObject({ items: [{ type: 'bulk' }, { type: 'integer', value: 1 }] });
  });

  it("answers Redis's errors for wrong arity and unknown subcommands", () => {
    expect(run('NUMPAT', 'x')).toEqual({ type: 'error', text: "ERR wrong number of arguments for 'pubsub|numpat' command" });
    expect(run('CHANNELS', 'a', 'b')).toEqual({ type: 'error', text: "ERR wrong number of arguments for 'pubsub|channels' command" });
    expect(run('NOPE')).toEqual({ type: 'error', text: "ERR unknown subcommand 'NOPE'. Try PUBSUB HELP." });
    expect(run('HELP')).toMatchObject({ type: 'array' });
  });
});

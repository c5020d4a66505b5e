// Pub/sub and keyspace notifications against a real node (compiled CLI, real
// workers, loopback) with real clients: ioredis over RESP3 and RESP2,
// node-redis over RESP3 (pushes, and normal commands while subscribed),
// redis-cli SUBSCRIBE, and raw sockets where the exact bytes matter (RESP2
// subscribed mode). A second node starts with keyspace notifications on and
// a small output limit, to see a slow subscriber cut off while its
// publisher goes on. Needs `npm run build`.
import { spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { command, errorOf, RawClient, redisCliPath, startRespNode, type RespNode } from '../resp-e2e/resp-node.js';
import { decodeAll, simplify, type Decoded } from '../resp/resp-decoder.js';

/** Longest a test waits for a message that should arrive at once (loopback). */
const DELIVERY_MS_MAX = 5_000;
/** The second node's --client-output-bytes-max: small, so a stuck subscriber passes it quickly. */
const SMALL_OUTPUT_BYTES = 1024 * 1024;

let node: RespNode;
let notifying: RespNode;
const clients: { disconnect(): void }[] = [];

function ioredis(port: number, protocol?: 2 | 3): Redis {
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, ...(protocol ? { protocol } : {}) });
  clients.push(client);
  return client;
}

/** Resolves with the first `count` events `on` reports, or rejects after DELIVERY_MS_MAX. */
function collect<T>(count: number, on: (push: (item: T) => void) => void): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const got: T[] = [];
    const timer = setTimeout(() => reject(new Error(`only ${got.length} of ${count} arrived: ${JSON.stringify(got)}`)), DELIVERY_MS_MAX);
    on((item) => {
      got.push(item);
      if (got.length === count) {
        clearTimeout(timer);
        resolve(got);
      }
    });
  });
}

beforeAll(async () => {
  [node, notifying] = await Promise.all([
    startRespNode(),
    startRespNode(['--notify-keyspace-events', 'KEA', '--client-output-bytes-max', String(SMALL_OUTPUT_BYTES)]),
  ]);
}, 60_000);
afterAll(async () => {
  for (const client of clients) client.disconnect();
  await Promise.all([node?.stop(), notifying?.stop()]);
});

describe('PUBLISH / SUBSCRIBE / PSUBSCRIBE with ioredis', () => {
  it('delivers message and pmessage over RESP3, counts receivers, and stops after UNSUBSCRIBE', async () => {
    const sub = ioredis(node.respPort);
    const pub = ioredis(node.respPort);
    await Promise.all([sub.connect(), pub.connect()]);
    expect(await sub.subscribe('news', 'sport')).toBe(2);
    expect(await sub.psubscribe('n*')).toBe(3);
    const messages = collect<string[]>(3, (push) => {
      sub.on('message', (channel: string, message: string) => push(['message', channel, message]));
      sub.on('pmessage', (pattern: string, channel: string, message: string) => push(['pmessage', pattern, channel, message]));
    });
    // news reaches the channel subscriber and the pattern: two receivers.
    expect(await pub.publish('news', 'hello')).toBe(2);
    expect(await pub.publish('sport', 'goal')).toBe(1);
    expect(await pub.publish('weather', 'rain')).toBe(0);
    expect((await messages).sort()).toEqual([
      ['message', 'news', 'hello'], ['message', 'sport', 'goal'], ['pmessage', 'n*', 'news', 'hello'],
    ].sort());
    expect(await pub.pubsub('CHANNELS')).toEqual(expect.arrayContaining(['news', 'sport']));
    expect(await pub.pubsub('NUMSUB', 'news', 'nobody')).toEqual(['news', 1, 'nobody', 0]);
    expect(await pub.pubsub('NUMPAT')).toBe(1);
    expect(await sub.unsubscribe('news')).toBe(2);
    // Named: ioredis 6 over RESP3 never settles a bare PUNSUBSCRIBE (against Redis 7.0 too).
    expect(await sub.punsubscribe('n*')).toBe(1);
    expect(await pub.publish('news', 'again')).toBe(0);
    expect(await pub.pubsub('NUMPAT')).toBe(0);
  });

  it('over RESP2 too, binary-safe channels and messages', async () => {
    const sub = ioredis(node.respPort, 2);
    const pub = ioredis(node.respPort, 2);
    await Promise.all([sub.connect(), pub.connect()]);
    const channel = Buffer.from([0x63, 0xff, 0x00, 0x0d, 0x0a]);
    const payload = Buffer.from([0x00, 0xfe, 0x0d, 0x0a, 0x24]);
    await sub.subscribe(channel);
    const got = collect<Buffer[]>(1, (push) => sub.on('messageBuffer', (c: Buffer, m: Buffer) => push([c, m])));
    expect(await pub.publish(channel, payload)).toBe(1);
    expect(await got).toEqual([[channel, payload]]);
  });
});

describe('RESP2 subscribed mode (raw bytes, as Redis 7 sends them)', () => {
  it("refuses other commands with Redis's error, answers PING with a pong pair, and leaves the mode after the last unsubscribe", async () => {
    const raw = await RawClient.connect(node.respPort);
    try {
      const expected = [
        '*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n',
        "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n",
        '*2\r\n$4\r\npong\r\n$0\r\n\r\n',
        '*2\r\n$4\r\npong\r\n$2\r\nhi\r\n',
        "-ERR unknown command 'NOSUCH', with args beginning with: \r\n",
        '*3\r\n$11\r\nunsubscribe\r\n$2\r\nch\r\n:0\r\n',
        '*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n',
        '$-1\r\n',
        '+PONG\r\n',
      ].join('');
      raw.write(Buffer.concat([
        command('SUBSCRIBE', 'ch'), command('GET', 'k'), command('PING'), command('PING', 'hi'), command('NOSUCH'),
        command('UNSUBSCRIBE'), command('UNSUBSCRIBE'), command('GET', 'raw:missing'), command('PING'),
      ]));
      expect(await raw.waitForText(expected)).toBe(expected);
    } finally {
      raw.close();
    }
  });

  it('a push waits behind the replies already queued on its connection', async () => {
    const raw = await RawClient.connect(node.respPort);
    const pub = ioredis(node.respPort);
    await pub.connect();
    try {
      raw.write(Buffer.concat([command('HELLO', '3'), command('SUBSCRIBE', 'order')]));
      await raw.waitFor((b) => b.toString('latin1').includes('>3\r\n$9\r\nsubscribe'));
      const before = raw.receivedBytes;
      expect(await pub.publish('order', 'm')).toBe(1);
      const text = (await raw.waitForBytes(before + 1)).subarray(before).toString('latin1');
      expect(text).toBe('>3\r\n$7\r\nmessage\r\n$5\r\norder\r\n$1\r\nm\r\n');
    } finally {
      raw.close();
    }
  });
});

describe('RESP3: messages among pipelined replies', () => {
  it('every message and every reply arrives, messages in publish order, replies in command order', async () => {
    const raw = await RawClient.connect(node.respPort);
    const pub = ioredis(node.respPort);
    await pub.connect();
    try {
      raw.write(Buffer.concat([command('HELLO', '3'), command('SUBSCRIBE', 'mixed')]));
      await raw.waitFor((b) => b.toString('latin1').includes('>3\r\n$9\r\nsubscribe'));
      const start = raw.receivedBytes;
      const GETS = 300;
      const MESSAGES = 100;
      // Shard replies still pending when a message arrives make it wait in the connection's reply queue.
      raw.write(Buffer.concat(Array.from({ length: GETS }, (_, i) => command('ECHO', String(i)))));
      const published = pub.pipeline();
      for (let i = 0; i < MESSAGES; i++) published.publish('mixed', `m${i}`);
      raw.write(Buffer.concat(Array.from({ length: GETS }, (_, i) => command('GET', `mixed:${i}`))));
      await published.exec();
      const frames = (): Decoded[] => decodeAll(new Uint8Array(raw.received.subarray(start)));
      await raw.waitFor(() => {
        try {
          return frames().length >= 2 * GETS + MESSAGES;
        } catch {
          return false; // a frame cut in two: wait for the rest
        }
      });
      const all = frames();
      const pushes = all.filter((f) => f.t === 'push').map((f) => simplify(f) as string[]);
      const replies = all.filter((f) => f.t !== 'push').map(simplify);
      expect(pushes).toEqual(Array.from({ length: MESSAGES }, (_, i) => ['message', 'mixed', `m${i}`]));
      expect(replies).toEqual([...Array.from({ length: GETS }, (_, i) => String(i)), ...Array.from({ length: GETS }, () => null)]);
    } finally {
      raw.close();
    }
  });
});

describe('node-redis over RESP3', () => {
  it('receives pushes and runs normal commands on the same connection while subscribed', async () => {
    const client = createClient({ socket: { host: '127.0.0.1', port: node.respPort, reconnectStrategy: false }, RESP: 3 });
    const pub = createClient({ socket: { host: '127.0.0.1', port: node.respPort, reconnectStrategy: false } });
    clients.push({ disconnect: () => { void client.destroy(); } }, { disconnect: () => { void pub.destroy(); } });
    await Promise.all([client.connect(), pub.connect()]);
    const got = collect<string[]>(2, (push) => {
      void client.subscribe('nr:ch', (message, channel) => push([channel, message]));
      void client.pSubscribe('nr:*', (message, channel) => push([`p:${channel}`, message]));
    });
    // Wait for both subscriptions to be confirmed.
    for (let i = 0; i < 50 && Number(await pub.sendCommand(['PUBSUB', 'NUMPAT'])) === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await client.set('nr:key', 'v')).toBe('OK');
    expect(await client.get('nr:key')).toBe('v');
    expect(await pub.publish('nr:ch', 'hi')).toBe(2);
    expect((await got).sort()).toEqual([['nr:ch', 'hi'], ['p:nr:ch', 'hi']]);
    await client.unsubscribe('nr:ch');
    await client.pUnsubscribe('nr:*');
    expect(await pub.publish('nr:ch', 'gone')).toBe(0);
  });
});

describe.skipIf(redisCliPath() === null)('redis-cli', () => {
  it('SUBSCRIBE prints each message until it is stopped', async () => {
    const cli = spawn(redisCliPath()!, ['-h', '127.0.0.1', '-p', String(node.respPort), 'SUBSCRIBE', 'cli:ch'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    cli.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
    const exited = new Promise<void>((resolve) => cli.once('exit', () => resolve()));
    const stop = setTimeout(() => cli.kill('SIGKILL'), DELIVERY_MS_MAX * 2);
    try {
      const pub = ioredis(node.respPort);
      await pub.connect();
      for (let i = 0; i < 100 && !out.includes('cli:ch'); i++) await new Promise((r) => setTimeout(r, 20));
      expect(await pub.publish('cli:ch', 'from ioredis')).toBe(1);
      for (let i = 0; i < 100 && !out.includes('from ioredis'); i++) await new Promise((r) => setTimeout(r, 20));
      expect(out.trim().split('\n')).toEqual(['subscribe', 'cli:ch', '1', 'message', 'cli:ch', 'from ioredis']);
    } finally {
      cli.kill('SIGTERM');
      await exited;
      clearTimeout(stop);
    }
  });
});

describe('keyspace notifications', () => {
  it('CONFIG SET notify-keyspace-events KEA publishes set, expire and del; "" turns them off', async () => {
    const sub = ioredis(node.respPort);
    const ctl = ioredis(node.respPort);
    await Promise.all([sub.connect(), ctl.connect()]);
    expect(await ctl.config('GET', 'notify-keyspace-events')).toEqual(['notify-keyspace-events', '']);
    expect(await errorOf(ctl.config('SET', 'notify-keyspace-events', 'KEQ'))).toBe(
      "ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
    expect(await ctl.config('SET', 'notify-keyspace-events', 'KEA')).toBe('OK');
    expect(await ctl.config('GET', 'notify-keyspace-events')).toEqual(['notify-keyspace-events', 'AKE']);
    await sub.psubscribe('__keyspace@0__:ks:*', '__keyevent@0__:*');
    const events = collect<string>(8, (push) => sub.on('pmessage', (_p: string, channel: string, message: string) => push(`${channel} ${message}`)));
    await ctl.set('ks:a', '1');
    await ctl.expire('ks:a', 100);
    await ctl.del('ks:a', 'ks:missing');
    await ctl.get('ks:a');
    await ctl.incr('ks:n');
    expect(await events).toEqual([
      '__keyspace@0__:ks:a set', '__keyevent@0__:set ks:a',
      '__keyspace@0__:ks:a expire', '__keyevent@0__:expire ks:a',
      '__keyspace@0__:ks:a del', '__keyevent@0__:del ks:a',
      '__keyspace@0__:ks:n incrby', '__keyevent@0__:incrby ks:n',
    ]);
    expect(await ctl.config('SET', 'notify-keyspace-events', '')).toBe('OK');
    const none = collect<string>(1, (push) => sub.on('pmessage', (_p: string, channel: string) => push(channel)));
    await ctl.set('ks:quiet', '1');
    await ctl.publish('__keyevent@0__:marker', 'x');
    expect(await none).toEqual(['__keyevent@0__:marker']);
  });

  it('--notify-keyspace-events at start: RENAME fires rename_from and rename_to', async () => {
    const sub = ioredis(notifying.respPort);
    const ctl = ioredis(notifying.respPort);
    await Promise.all([sub.connect(), ctl.connect()]);
    expect(await ctl.config('GET', 'notify-keyspace-events')).toEqual(['notify-keyspace-events', 'AKE']);
    await ctl.set('rn:a', 'v');
    await sub.subscribe('__keyevent@0__:rename_from', '__keyevent@0__:rename_to');
    const events = collect<string>(2, (push) => sub.on('message', (channel: string, key: string) => push(`${channel} ${key}`)));
    expect(await ctl.rename('rn:a', 'rn:b')).toBe('OK');
    expect(await events).toEqual(['__keyevent@0__:rename_from rn:a', '__keyevent@0__:rename_to rn:b']);
  });
});

describe('keyspace notifications in transactions', () => {
  it('a MULTI / EXEC fires its commands\' events when it commits, none when a watched key changed', async () => {
    const sub = ioredis(notifying.respPort);
    const ctl = ioredis(notifying.respPort);
    const other = ioredis(notifying.respPort);
    await Promise.all([sub.connect(), ctl.connect(), other.connect()]);
    await sub.psubscribe('__keyspace@0__:{tx}*');
    const events = collect<string>(4, (push) => sub.on('pmessage', (_p: string, channel: string, event: string) => push(`${channel} ${event}`)));
    expect(await ctl.multi().set('{tx}a', '1').incr('{tx}n').del('{tx}a', '{tx}none').exec()).toEqual([[null, 'OK'], [null, 1], [null, 1]]);
    // Aborted by a watched key: nothing applied, nothing fired; then one more event to close the list.
    await ctl.watch('{tx}w');
    await other.set('{tx}w', 'changed'); // fires: __keyspace@0__:{tx}w set
    expect(await ctl.multi().set('{tx}b', '1').exec()).toBeNull();
    expect(await events).toEqual([
      '__keyspace@0__:{tx}a set', '__keyspace@0__:{tx}n incrby', '__keyspace@0__:{tx}a del', '__keyspace@0__:{tx}w set',
    ]);
  });
});

describe('a slow subscriber', () => {
  it('is disconnected past the output limit, with a log line, while its publisher goes on', async () => {
    const slow = await RawClient.connect(notifying.respPort);
    const fast = ioredis(notifying.respPort);
    const pub = ioredis(notifying.respPort);
    await Promise.all([fast.connect(), pub.connect()]);
    slow.write(command('SUBSCRIBE', 'firehose'));
    await slow.waitForText('*3\r\n$9\r\nsubscribe\r\n$8\r\nfirehose\r\n:1\r\n');
    slow.socket.pause(); // reads nothing more: the kernel buffers fill, then the node's output grows
    await fast.subscribe('firehose');
    let fastBytes = 0;
    fast.on('messageBuffer', (_c: Buffer, m: Buffer) => { fastBytes += m.length; });
    const message = Buffer.alloc(64 * 1024, 0x61);
    const rounds = 400; // 25 MiB: far past the kernel's socket buffers plus SMALL_OUTPUT_BYTES
    const receivers: number[] = [];
    const startedMs = Date.now();
    for (let i = 0; i < rounds; i++) receivers.push(await pub.publish('firehose', message));
    const tookMs = Date.now() - startedMs;
    // Both received the first; only the fast one the last.
    expect(receivers[0]).toBe(2);
    expect(receivers.at(-1)).toBe(1);
    expect(await pub.pubsub('NUMSUB', 'firehose')).toEqual(['firehose', 1]);
    for (let i = 0; i < 250 && fastBytes < rounds * message.length; i++) await new Promise((r) => setTimeout(r, 20));
    expect(fastBytes).toBe(rounds * message.length);
    expect(notifying.output()).toMatch(/warning: pub\/sub subscriber id=\d+ addr=127\.0\.0\.1:\d+ disconnected: \d+ bytes of output unread, over the limit of 1048576 \(slow subscriber\)/);
    slow.socket.resume();
    await slow.closed;
    // Generous: the publisher never waited for the slow reader (400 round trips on loopback).
    expect(tookMs).toBeLessThan(20_000);
  }, 40_000);
});

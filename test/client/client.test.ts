// The typed client against a real node (compiled CLI, two worker threads):
// every method, typed errors, both wire formats, deep pipelining, full scans.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connect, ConnectionClosedError, PiccoloError, VersionMismatchError, type FormatName, type PiccoloClient,
} from '../../client/index.js';
import { DEFAULT_LIMITS } from '../../core/limits.js';
import { slotOf } from '../../core/routing/slot-hash.js';
import { SlotMap } from '../../core/routing/slot-map.js';
import { startNode, type RunningNode } from '../e2e/spawn-node.js';

let node: RunningNode;
beforeAll(async () => { node = await startNode(['--workers', '2', '--no-pin']); });
afterAll(async () => { await node?.stop(); });

const text = (bytes: Uint8Array | undefined): string => new TextDecoder().decode(bytes);

/** Rejection of `promise` as a PiccoloError (fails the test when it resolves). */
async function failure(promise: Promise<unknown>): Promise<PiccoloError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(PiccoloError);
    return error as PiccoloError;
  }
  throw new Error('expected the call to fail');
}

describe.each<FormatName>(['binary', 'json'])('client over %s', (format) => {
  let kv: PiccoloClient;
  /** Keys private to this format's run, so the two runs do not collide. */
  const k = (name: string): string => `${format}:${name}`;
  beforeAll(async () => { kv = await connect(node.wsUrl, { format }); });
  afterAll(async () => { await kv?.close(); });

  it('sets, gets and checks existence, text and binary', async () => {
    const { version } = await kv.set(k('greeting'), 'héllo ✓');
    expect(version).toBeGreaterThan(0);
    expect(await kv.get(k('greeting'))).toEqual({ value: new TextEncoder().encode('héllo ✓'), version });
    expect(await kv.getString(k('greeting'))).toBe('héllo ✓');
    expect(await kv.exists(k('greeting'))).toBe(true);
    expect(await kv.get(k('absent'))).toBeNull();
    expect(await kv.getString(k('absent'))).toBeNull();
    expect(await kv.exists(k('absent'))).toBe(false);

    // Bytes that are not UTF-8 (the JSON format carries them as base64), in keys and values.
    const key = new Uint8Array([0x62, 0xff, 0x00, 0xfe]);
    const value = new Uint8Array([0, 255, 128, 10, 13, 0xc3]);
    await kv.set(key, value);
    expect((await kv.get(key))!.value).toEqual(value);
    await kv.set(k('empty'), new Uint8Array(0));
    expect((await kv.get(k('empty')))!.value).toEqual(new Uint8Array(0));
  });

  it('honours ifAbsent, ifPresent and expectedVersion with typed errors', async () => {
    const { version } = await kv.set(k('cond'), 'one', { ifAbsent: true });
    const exists = await failure(kv.set(k('cond'), 'two', { ifAbsent: true }));
    expect([exists.code, exists.number, exists.currentVersion]).toEqual(['KEY_EXISTS', 9, version]);
    const missing = await failure(kv.set(k('cond-absent'), 'x', { ifPresent: true }));
    expect([missing.code, missing.number]).toEqual(['NOT_FOUND', 10]);
    const { version: v2 } = await kv.set(k('cond'), 'two', { ifPresent: true, expectedVersion: version });
    expect(v2).toBeGreaterThan(version);
    expect(await kv.getString(k('cond'))).toBe('two');
  });

  it('compare-and-sets: VERSION_MISMATCH carries the current version', async () => {
    const { version: created } = await kv.cas(k('cas'), 0, 'first'); // 0 = must be absent
    const { version: next } = await kv.cas(k('cas'), created, 'second');
    expect(next).toBeGreaterThan(created);
    const error = await failure(kv.cas(k('cas'), created, 'stale'));
    expect(error).toBeInstanceOf(VersionMismatchError);
    expect(error.code).toBe('VERSION_MISMATCH');
    expect(error.number).toBe(8);
    expect(error.currentVersion).toBe(next);
    expect(await kv.getString(k('cas'))).toBe('second');
    const absent = await failure(kv.cas(k('cas-absent'), 5, 'x'));
    expect([absent.code, absent.currentVersion]).toEqual(['VERSION_MISMATCH', 0]);
  });

  it('deletes, optionally at a version', async () => {
    const { version } = await kv.set(k('del'), 'x');
    const mismatch = await failure(kv.del(k('del'), { expectedVersion: version + 1000 }));
    expect([mismatch.code, mismatch.currentVersion]).toEqual(['VERSION_MISMATCH', version]);
    expect(await kv.del(k('del'), { expectedVersion: version })).toBe(true);
    expect(await kv.del(k('del'))).toBe(false);
    expect(await kv.get(k('del'))).toBeNull();
  });

  it('increments with number and bigint deltas; WRONG_TYPE and OVERFLOW are typed', async () => {
    expect(await kv.incr(k('n'))).toBe(1n);
    expect(await kv.incr(k('n'), 41)).toBe(42n);
    expect(await kv.incr(k('n'), -50)).toBe(-8n);
    expect(await kv.incr(k('big'), 2n ** 62n)).toBe(2n ** 62n); // beyond 2^53: exact in both formats
    expect(await kv.incr(k('big'), 2n ** 62n - 1n)).toBe(2n ** 63n - 1n);
    const overflow = await failure(kv.incr(k('big'), 1));
    expect([overflow.code, overflow.number]).toEqual(['OVERFLOW', 7]);
    await kv.set(k('word'), 'abc');
    const wrongType = await failure(kv.incr(k('word')));
    expect([wrongType.code, wrongType.number]).toEqual(['WRONG_TYPE', 6]);
    expect(wrongType.message.length).toBeGreaterThan(0);
    // Bad deltas are refused by the client before anything is sent.
    expect((await failure(kv.incr(k('n'), 1.5))).code).toBe('BAD_REQUEST');
    expect((await failure(kv.incr(k('n'), 2n ** 63n))).code).toBe('BAD_REQUEST');
    expect(await kv.getString(k('n'))).toBe('-8');
  });

  it('appends and returns the new length', async () => {
    expect(await kv.append(k('log'), 'ab')).toBe(2);
    expect(await kv.append(k('log'), new Uint8Array([0xff, 0]))).toBe(4);
    expect((await kv.get(k('log')))!.value).toEqual(new Uint8Array([0x61, 0x62, 0xff, 0]));
  });

  it('reads and changes time to live; keys expire', async () => {
    expect(await kv.ttl(k('ttl-absent'))).toBeNull();
    expect(await kv.expire(k('ttl-absent'), 1000)).toBe(false);
    await kv.set(k('ttl'), 'x');
    expect(await kv.ttl(k('ttl'))).toBe(Infinity);
    expect(await kv.persist(k('ttl'))).toBe(false); // no TTL to remove
    expect(await kv.expire(k('ttl'), 60_000)).toBe(true);
    const left = (await kv.ttl(k('ttl')))!;
    expect(left).toBeGreaterThan(55_000);
    expect(left).toBeLessThanOrEqual(60_000);
    await kv.set(k('ttl'), 'y', { keepTtl: true });
    expect(await kv.ttl(k('ttl'))).toBeLessThanOrEqual(60_000);
    expect(await kv.persist(k('ttl'))).toBe(true);
    expect(await kv.ttl(k('ttl'))).toBe(Infinity);
    await kv.set(k('ttl'), 'z', { ttlMs: 30_000 });
    await kv.set(k('ttl'), 'w'); // a plain set clears the TTL
    expect(await kv.ttl(k('ttl'))).toBe(Infinity);

    await kv.set(k('short'), 'gone soon', { ttlMs: 400 }); // long enough that a loaded CI machine still sees it before it expires
    expect(await kv.exists(k('short'))).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(await kv.get(k('short'))).toBeNull();
    expect(await kv.ttl(k('short'))).toBeNull();
  });

  it('rejects bad keys with typed errors and keeps the connection', async () => {
    const long = 'k'.repeat(DEFAULT_LIMITS.keyBytesMax + 1);
    const tooLong = await failure(kv.set(long, 'v'));
    expect([tooLong.code, tooLong.number]).toEqual(['KEY_TOO_LONG', 4]);
    expect(tooLong.message).toContain(String(DEFAULT_LIMITS.keyBytesMax));
    expect((await failure(kv.get(long))).code).toBe('KEY_TOO_LONG');
    expect((await failure(kv.get(''))).code).toBe('BAD_REQUEST');
    // Client-side: a wrong argument type, a lone surrogate, a fractional TTL.
    expect((await failure(kv.get(42 as unknown as string))).code).toBe('BAD_REQUEST');
    expect((await failure(kv.set('\ud800', 'v'))).code).toBe('BAD_REQUEST');
    expect((await failure(kv.set(k('x'), 'v', { ttlMs: 1.5 }))).code).toBe('BAD_REQUEST');
    // 0 means "absent" inside the binary format; a ttl of 0 must be refused, not read as "no TTL".
    expect((await failure(kv.set(k('x'), 'v', { ttlMs: 0 }))).code).toBe('BAD_REQUEST');
    expect((await failure(kv.expire(k('x'), 0))).code).toBe('BAD_REQUEST');
    expect((await failure(kv.set(k('x'), 'v', { ifAbsent: true, ifPresent: true }))).code).toBe('BAD_REQUEST');
    expect(kv.isOpen).toBe(true);
    expect(await kv.set(k('after-errors'), 'fine')).toHaveProperty('version');
  });

  it('refuses a value over the limit: VALUE_TOO_LARGE from the node, FRAME_TOO_LARGE before sending', async () => {
    // ASCII, so the JSON frame is the same size as the binary one and still under frameBytesMax.
    const big = new Uint8Array(DEFAULT_LIMITS.valueBytesMax + 1).fill(0x61);
    const tooLarge = await failure(kv.set(k('big-value'), big));
    expect([tooLarge.code, tooLarge.number]).toEqual(['VALUE_TOO_LARGE', 5]);
    const small = await connect(node.wsUrl, { format, frameBytesMax: 1000 });
    try {
      expect((await failure(small.set(k('frame'), 'x'.repeat(2000)))).code).toBe('FRAME_TOO_LARGE');
      expect(await small.set(k('frame'), 'x'.repeat(100))).toHaveProperty('version');
    } finally {
      await small.close();
    }
  });

  it('mget and mset across shards, in key order', async () => {
    const keys = Array.from({ length: 50 }, (_, i) => k(`m${i}`));
    expect(await kv.mset(keys.map((key, i) => [key, `v${i}`] as const))).toBe(true);
    const entries = await kv.mget([...keys, k('m-absent')]);
    expect(entries.map((e) => (e ? text(e.value) : null))).toEqual([...keys.map((_, i) => `v${i}`), null]);
    expect(entries.slice(0, 50).every((e) => e!.version > 0)).toBe(true);
    expect(await kv.mget([])).toEqual([]);

    await kv.mset(new Map([[k('map1'), 'a'], [k('map2'), 'b']]));
    await kv.mset({ [k('obj1')]: 'c', [k('obj2')]: new Uint8Array([1]) });
    expect((await kv.mget([k('map1'), k('map2'), k('obj1'), k('obj2')])).map((e) => e!.value))
      .toEqual([new Uint8Array([97]), new Uint8Array([98]), new Uint8Array([99]), new Uint8Array([1])]);

    // ifNoneExist: one existing key blocks the whole write. All-or-nothing
    // holds within a shard, so the keys share a {hash tag}.
    const tagged = (name: string): string => k(`{nx}${name}`);
    await kv.set(tagged('old'), 'v0');
    expect(await kv.mset([[tagged('fresh1'), 'x'], [tagged('old'), 'y']], { ifNoneExist: true })).toBe(false);
    expect(await kv.get(tagged('fresh1'))).toBeNull();
    expect(await kv.getString(tagged('old'))).toBe('v0');
    expect(await kv.mset([[tagged('fresh1'), 'x'], [tagged('fresh2'), 'y']], { ifNoneExist: true })).toBe(true);
    expect(await kv.getString(tagged('fresh2'))).toBe('y');
  });

  it('scans by prefix in pages with cursors and values', async () => {
    const prefix = k('page:');
    await kv.mset(Array.from({ length: 7 }, (_, i) => [`${prefix}${i}`, `val${i}`] as const));
    await kv.set(k('pagf'), 'not in the prefix');
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Awaited<ReturnType<PiccoloClient['scan']>> = await kv.scan({ prefix, cursor, limit: 3, withValues: true });
      expect(page.items.length).toBeLessThanOrEqual(3);
      for (const item of page.items) {
        expect(text(item.value)).toBe(`val${text(item.key).slice(prefix.length)}`);
        expect(item.version).toBeGreaterThan(0);
        seen.push(text(item.key));
      }
      cursor = page.cursor;
      pages++;
    } while (cursor !== null && pages < 200); // pages over buckets: some may be empty (other tests' keys share the shards)
    expect(cursor).toBeNull();
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(seen.sort()).toEqual(Array.from({ length: 7 }, (_, i) => `${prefix}${i}`));

    const keysOnly = await kv.scan({ prefix, limit: 100 });
    expect(keysOnly.items).toHaveLength(7);
    expect(keysOnly.items.every((item) => item.value === undefined)).toBe(true);
    expect(keysOnly.cursor).toBeNull();
    expect((await failure(kv.scan({ prefix, cursor: 'not base64!' }))).code).toBe('BAD_REQUEST');
  });

  it('scanAll visits 2,500 keys spread over both shards exactly once', async () => {
    const prefix = k('all:');
    const keys = Array.from({ length: 2500 }, (_, i) => `${prefix}${String(i).padStart(4, '0')}`);
    // The node runs two workers with one shard each: the keys land on both.
    const slots = new SlotMap(2, 2);
    const shards = new Set(keys.map((key) => slots.shardOf(slotOf(new TextEncoder().encode(key)))));
    expect(shards.size).toBe(2);
    await Promise.all(keys.map((key) => kv.set(key, key)));
    for (const options of [{}, { limit: 97, withValues: true }]) {
      const seen: string[] = [];
      for await (const item of kv.scanAll(prefix, options)) {
        seen.push(text(item.key));
        if ('withValues' in options) expect(text(item.value)).toBe(text(item.key));
      }
      expect(seen).toHaveLength(keys.length);
      expect([...seen].sort()).toEqual(keys);
    }
  });

  it('pipelines 10,000 mixed requests: every result is what the requests in order predict', async () => {
    // A local model predicts every reply; keys are private to this test.
    const keyCount = 64;
    const key = (i: number): string => k(`pipe:${i % keyCount}`);
    type Expect = { kind: 'get'; value: string | null } | { kind: 'set'; key: string } | { kind: 'incr'; value: bigint }
      | { kind: 'del'; existed: boolean } | { kind: 'append'; length: number } | { kind: 'exists'; value: boolean }
      | { kind: 'error'; code: string };
    const model = new Map<string, string>();
    const calls: Promise<unknown>[] = [];
    const expected: Expect[] = [];
    let seed = 12345;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31; // a fixed LCG: the same mix every run
      return seed % n;
    };
    for (let i = 0; i < 10_000; i++) {
      const name = key(random(keyCount));
      const current = model.get(name);
      let call: Promise<unknown>;
      switch (random(6)) {
        case 0:
          call = kv.getString(name);
          expected.push({ kind: 'get', value: current ?? null });
          break;
        case 1: {
          const value = `v${i}`;
          call = kv.set(name, value);
          model.set(name, value);
          expected.push({ kind: 'set', key: name });
          break;
        }
        case 2:
          call = kv.incr(name, 3);
          if (current === undefined || /^-?\d+$/.test(current)) {
            const next = BigInt(current ?? '0') + 3n;
            model.set(name, String(next));
            expected.push({ kind: 'incr', value: next });
          } else {
            expected.push({ kind: 'error', code: 'WRONG_TYPE' });
          }
          break;
        case 3:
          call = kv.del(name);
          model.delete(name);
          expected.push({ kind: 'del', existed: current !== undefined });
          break;
        case 4:
          call = kv.append(name, 'z');
          model.set(name, `${current ?? ''}z`);
          expected.push({ kind: 'append', length: (current ?? '').length + 1 });
          break;
        default:
          call = kv.exists(name);
          expected.push({ kind: 'exists', value: current !== undefined });
      }
      calls.push(call.catch((error: unknown) => error));
    }
    expect(kv.pendingCount).toBe(10_000); // all issued before any reply was read
    const results = await Promise.all(calls);
    const lastVersion = new Map<string, number>();
    results.forEach((result, i) => {
      const want = expected[i]!;
      switch (want.kind) {
        case 'get': expect(result, `call ${i}`).toBe(want.value); break;
        case 'set': {
          // Versions of one key only grow, in request order.
          const { version } = result as { version: number };
          expect(version, `call ${i}`).toBeGreaterThan(lastVersion.get(want.key) ?? 0);
          lastVersion.set(want.key, version);
          break;
        }
        case 'incr': expect(result, `call ${i}`).toBe(want.value); break;
        case 'del': expect(result, `call ${i}`).toBe(want.existed); break;
        case 'append': expect(result, `call ${i}`).toBe(want.length); break;
        case 'exists': expect(result, `call ${i}`).toBe(want.value); break;
        case 'error': expect((result as PiccoloError).code, `call ${i}`).toBe(want.code); break;
      }
    });
    expect(expected.some((e) => e.kind === 'error')).toBe(true); // the mix did exercise errors
  });

  it('settles pipelined calls in request order', async () => {
    // request() resolves straight from the reply, so its settle order is the reply order.
    const counters = Array.from({ length: 8 }, (_, i) => new TextEncoder().encode(k(`order:${i}`)));
    const settled: number[] = [];
    const calls = Array.from({ length: 2000 }, (_, i) =>
      kv.request({ op: 'incr', key: counters[i % 8]!, delta: 1n }).then((reply) => {
        settled.push(i);
        return reply.integer;
      }));
    const values = await Promise.all(calls);
    expect(values).toEqual(Array.from({ length: 2000 }, (_, i) => BigInt(Math.floor(i / 8) + 1)));
    expect(settled).toEqual(Array.from({ length: 2000 }, (_, i) => i));
  });

  it('close() lets pending calls finish, then refuses new ones', async () => {
    const client = await connect(node.wsUrl, { format });
    const pending = Array.from({ length: 100 }, (_, i) => client.set(k(`closing${i}`), 'v'));
    const closed = client.close();
    expect(client.isOpen).toBe(false);
    const late = await failure(client.get(k('closing0')));
    expect(late).toBeInstanceOf(ConnectionClosedError);
    expect(late.code).toBe('CONNECTION_CLOSED');
    expect((await Promise.all(pending)).every((r) => r.version > 0)).toBe(true);
    await closed;
    expect((await failure(client.get(k('closing0')))).code).toBe('CONNECTION_CLOSED');
    expect(await kv.getString(k('closing99'))).toBe('v');
  });

  it('sends any request of the model through request()', async () => {
    await kv.set(k('raw'), 'hello world');
    const reply = await kv.request({ op: 'getRange', key: new TextEncoder().encode(k('raw')), start: 0, end: 4 });
    expect(text(reply.value)).toBe('hello');
  });
});

describe('whole-node calls', () => {
  it('counts and flushes', async () => {
    const kv = await connect(node.wsUrl.replace('/v1/ws', '')); // a URL without a path gets /v1/ws
    try {
      await kv.set('count:a', '1');
      expect(await kv.count()).toBeGreaterThan(0);
      await kv.flush();
      expect(await kv.count()).toBe(0);
      expect(await kv.get('count:a')).toBeNull();
    } finally {
      await kv.close();
    }
  });
});

describe('a node shutting down', () => {
  it('answers what it took in, then every other pending call fails with ConnectionClosedError 1001', async () => {
    const own = await startNode(['--workers', '2', '--no-pin']);
    // A shallow pipeline keeps most calls waiting in the client when the node stops.
    const kv = await connect(own.wsUrl, { pipelineMax: 4 });
    try {
      const outcomes = Array.from({ length: 10_000 }, (_, i) => kv.set(`shutdown:${i}`, 'v').then(
        () => 'ok',
        (error: PiccoloError) => (error instanceof ConnectionClosedError ? `closed ${error.closeCode}` : error.code),
      ));
      expect(await outcomes[0]).toBe('ok');
      expect(await own.stop()).toBe(0);
      const results = await Promise.all(outcomes);
      // Replies come in order, so the successes are a prefix; the rest failed cleanly.
      const firstFailure = results.findIndex((r) => r !== 'ok');
      expect(firstFailure).toBeGreaterThan(0);
      for (const r of results.slice(firstFailure)) expect(['closed 1001', 'SHUTTING_DOWN']).toContain(r);
      const after = await failure(kv.get('shutdown:0'));
      expect(after).toBeInstanceOf(ConnectionClosedError);
      expect((after as ConnectionClosedError).closeCode).toBe(1001);
      expect(kv.isOpen).toBe(false);
    } finally {
      await kv.close();
      await own.stop();
    }
  });
});

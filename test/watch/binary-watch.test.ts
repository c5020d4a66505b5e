// Watches over Cap'n Proto frames on a real node (two worker threads, a
// loopback port): the typed client in binary gets, for prefix and key
// watches, exactly what a JSON watcher of the same writes gets (the same
// changes, versions and resume tokens); a token from either format resumes a
// watch in the other; COMPACTED. Raw binary frames (the `ws` package): unwatch,
// the session's limits and refusals answered as binary errors under the
// watch's id, ordered replies beside a watch, JSON and binary watches on one
// connection each in their own format, and an unreadable watch frame closing
// the connection like any unreadable request. Needs `npm run build`.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WS_CLOSE } from '../../core/errors.js';
import type { Reply } from '../../core/protocol/ops.js';
import type { PiccoloServer } from '../../runtime-node/server.js';
import { connect, PiccoloError, type PiccoloClient, type WatchChange } from '../../client/index.js';
import { encodeRequest } from '../../schema/binary-codec.js';
import { encodeUnwatchRequest, encodeWatchRequest } from '../../schema/binary-watch.js';
import { BinaryFrames, type ReceivedFrame } from './binary-watch-frames.js';
import { FRAME_WAIT_MS, startWatchNode } from './ws-watch-node.js';

const HISTORY_CHANGES_MAX = 40;
const WATCHES_PER_CONNECTION_MAX = 3;
/** Bound on one test's waits for changes. */
const WAIT_MS = 10_000;

let node: PiccoloServer;
let binary: PiccoloClient;
let json: PiccoloClient;

beforeAll(async () => {
  node = await startWatchNode({ watchLimits: { historyChangesMax: HISTORY_CHANGES_MAX, watchesPerConnectionMax: WATCHES_PER_CONNECTION_MAX } });
  const url = `ws://127.0.0.1:${node.port}`;
  binary = await connect(url, { format: 'binary' });
  json = await connect(url, { format: 'json' });
});
afterAll(async () => {
  await binary?.close();
  await json?.close();
  await node?.close();
});

const text = (bytes: Uint8Array | null): string | null => (bytes === null ? null : new TextDecoder().decode(bytes));

/** A watch's loop collecting into `got`: `live` resolves when the node has it live, `took(n)` once it holds n changes (rejects after WAIT_MS). */
function startWatch(db: PiccoloClient, prefix: string, options: { after?: string; exactKey?: boolean } = {}) {
  const got: WatchChange[] = [];
  let failure: unknown = null;
  const signal: { wake: (() => void) | null } = { wake: null };
  let onLive!: () => void;
  const live = new Promise<void>((resolve) => { onLive = resolve; });
  const iterator = db.watch(prefix, { ...options, onLive })[Symbol.asyncIterator]();
  const loop = (async () => {
    try {
      for (;;) {
        const next = await iterator.next();
        if (next.done === true) return;
        got.push(next.value);
        signal.wake?.();
      }
    } catch (error) {
      failure = error;
      signal.wake?.();
    }
  })();
  const took = async (n: number): Promise<WatchChange[]> => {
    const deadline = Date.now() + WAIT_MS;
    while (got.length < n && failure === null) {
      if (Date.now() > deadline) throw new Error(`only ${got.length}/${n} changes of ${prefix} within ${WAIT_MS} ms`);
      await new Promise<void>((resolve) => { signal.wake = resolve; setTimeout(resolve, 50); });
    }
    if (failure !== null) throw failure as Error;
    return got.slice(0, n);
  };
  const stop = async (): Promise<void> => {
    await iterator.return?.();
    await loop;
  };
  return { got, live, took, stop, ended: loop.then(() => failure) };
}

/** What a watch saw, comparable across formats. */
const view = (changes: WatchChange[]) => changes.map((c) => ({ key: text(c.key), kind: c.kind, value: text(c.value), version: c.version, resume: c.resume }));

describe('the typed client over binary frames', () => {
  it('prefix and key watches get every change once, in order, the same as a JSON watcher: versions and tokens too', async () => {
    const watches = {
      binaryPrefix: startWatch(binary, 'bp:'),
      jsonPrefix: startWatch(json, 'bp:'),
      binaryKey: startWatch(binary, 'bp:{k}one', { exactKey: true }),
      jsonKey: startWatch(json, 'bp:{k}one', { exactKey: true }),
    };
    await Promise.all(Object.values(watches).map((w) => w.live));
    const versions: number[] = [];
    versions.push((await binary.set('bp:{k}one', 'a')).version);
    versions.push((await binary.set('bp:{k}two', new Uint8Array([0xff, 0x00]))).version);
    await binary.set('elsewhere', 'not watched');
    versions.push((await binary.set('bp:{k}one', 'b')).version);
    await binary.mset([['bp:{k}three', '3'], ['bp:{k}one', 'c']]);
    await binary.del('bp:{k}two');
    await binary.set('bp:{k}short', 'gone soon', { ttlMs: 20 });
    await binary.hset('bp:{k}hash', [['f', 'v']]); // a collection's write: set, without a value
    await binary.del('bp:{k}one');
    const prefixCount = 10; // three sets, two from the MSET, a delete, the short key's set and expiry, the hash, the last delete
    const [bp, jp, bk, jk] = await Promise.all([
      watches.binaryPrefix.took(prefixCount), watches.jsonPrefix.took(prefixCount), watches.binaryKey.took(4), watches.jsonKey.took(4),
    ]);
    expect(view(bp!)).toEqual(view(jp!));
    expect(view(bk!)).toEqual(view(jk!));
    const keyed = view(bp!).filter((c) => c.key === 'bp:{k}one');
    expect(keyed.map((c) => [c.kind, c.value])).toEqual([['set', 'a'], ['set', 'b'], ['set', 'c'], ['delete', null]]);
    expect(view(bk!).map(({ resume: _, ...c }) => c)).toEqual(keyed.map(({ resume: _, ...c }) => c));
    expect(view(bp!).slice(0, 7).map((c) => [c.key, c.kind])).toEqual([
      ['bp:{k}one', 'set'], ['bp:{k}two', 'set'], ['bp:{k}one', 'set'], ['bp:{k}three', 'set'], ['bp:{k}one', 'set'],
      ['bp:{k}two', 'delete'], ['bp:{k}short', 'set'],
    ]);
    // The expiry comes when the sweep (every 100 ms) removes the key: among the last writes, in log order, once.
    const last = view(bp!).slice(7).map((c) => `${c.key} ${c.kind}`);
    expect([...last].sort()).toEqual(['bp:{k}hash set', 'bp:{k}one delete', 'bp:{k}short expire']);
    expect(last.filter((c) => !c.endsWith('expire'))).toEqual(['bp:{k}hash set', 'bp:{k}one delete']);
    expect(bp!.find((c) => text(c.key) === 'bp:{k}hash')!.value).toBeNull();
    expect(bp![1]!.value).toEqual(new Uint8Array([0xff, 0x00]));
    expect(bp!.slice(0, 3).map((c) => c.version)).toEqual(versions);
    // One hash tag, one group, one log: versions never go back.
    expect(bp!.every((c, i) => i === 0 || c.version >= bp![i - 1]!.version)).toBe(true);
    await Promise.all(Object.values(watches).map((w) => w.stop()));
    // Nothing more came than was written (a late duplicate would show here).
    expect(watches.binaryPrefix.got.length).toBe(prefixCount);
    expect(view(watches.binaryPrefix.got)).toEqual(view(watches.jsonPrefix.got));
  });

  it('a token from a JSON watch resumes a binary watch, and the other way round, with exactly the rest', async () => {
    const first = startWatch(json, 'rs:');
    await first.live;
    for (let i = 0; i < 12; i++) await binary.set(`rs:{r}${i}`, `${i}`);
    const all = await first.took(12);
    await first.stop();

    const fromJson = startWatch(binary, 'rs:', { after: all[3]!.resume });
    expect(view(await fromJson.took(8))).toEqual(view(all.slice(4)));
    const binaryToken = fromJson.got[3]!.resume; // after rs:{r}7
    await fromJson.stop();

    const fromBinary = startWatch(json, 'rs:', { after: binaryToken });
    expect(view(await fromBinary.took(4))).toEqual(view(all.slice(8)));
    await binary.set('rs:{r}12', 'new');
    expect((await fromBinary.took(5)).map((c) => text(c.key))[4]).toBe('rs:{r}12');
    await fromBinary.stop();
    expect(fromBinary.got.length).toBe(5);
  });

  it('ends with COMPACTED when the node no longer holds the changes after the token', async () => {
    const first = startWatch(binary, 'cp:');
    await first.live;
    await binary.set('cp:0', 'x');
    const [change] = await first.took(1);
    await first.stop();
    for (let i = 0; i < HISTORY_CHANGES_MAX * 3; i++) await binary.set(`cp:${i % 3}`, `${i}`);
    const resumed = startWatch(binary, 'cp:', { after: change!.resume });
    const error = await resumed.ended;
    expect(error).toBeInstanceOf(PiccoloError);
    expect(error).toMatchObject({ code: 'COMPACTED', number: 25 });
  });
});

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const errorOf = (f: ReceivedFrame): Reply | null => (f.kind === 'reply' ? f.reply : null);

describe('raw binary watch frames', () => {
  it('watch, a change, ordered replies beside it, unwatch; nothing of the watch after its answer', async () => {
    const c = await BinaryFrames.open(node.port);
    c.ws.send(encodeWatchRequest(7n, { match: 'prefix', bytes: utf8('raw:'), after: null }));
    expect(await c.answer(7n)).toMatchObject({ kind: 'live', resume: expect.stringMatching(/^[0-9a-f]+$/) });
    // A request on the same connection is answered in order, in binary, under its own id.
    c.ws.send(encodeRequest(100n, { op: 'set', key: utf8('raw:1'), value: utf8('v') }));
    const setReply = await c.take((f) => f.kind === 'reply' && f.id === 100n, 'the set reply');
    expect(setReply).toMatchObject({ reply: { ok: true } });
    expect(await c.change(7n)).toMatchObject({ change: { key: utf8('raw:1'), kind: 'set', value: utf8('v'), version: (setReply as { reply: { version: number } }).reply.version } });
    c.ws.send(encodeUnwatchRequest(7n));
    expect(errorOf(await c.answer(7n))).toEqual({ ok: true });
    await binary.set('raw:2', 'after the unwatch');
    await new Promise((r) => setTimeout(r, 200));
    expect(c.frames.filter((f) => f.kind === 'change')).toEqual([]);
    // Unwatching what is not open: NOT_FOUND under that id.
    c.ws.send(encodeUnwatchRequest(7n));
    expect(errorOf(await c.answer(7n))).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    c.close();
  });

  it('refusals come as binary errors under the watch\'s id: a second watch with an open id, too many watches, a long prefix, a bad token', async () => {
    const c = await BinaryFrames.open(node.port);
    for (let i = 1n; i <= BigInt(WATCHES_PER_CONNECTION_MAX); i++) {
      c.ws.send(encodeWatchRequest(i, { match: 'prefix', bytes: utf8(`lim${i}:`), after: null }));
      expect(await c.answer(i)).toMatchObject({ kind: 'live' });
    }
    c.ws.send(encodeWatchRequest(1n, { match: 'prefix', bytes: utf8('again:'), after: null }));
    expect(errorOf(await c.answer(1n))).toMatchObject({ ok: false, code: 'BAD_REQUEST', message: expect.stringContaining('open on this connection') });
    c.ws.send(encodeWatchRequest(99n, { match: 'prefix', bytes: utf8('more:'), after: null }));
    expect(errorOf(await c.answer(99n))).toMatchObject({ ok: false, code: 'LIMIT_EXCEEDED' });
    c.close();

    const d = await BinaryFrames.open(node.port);
    d.ws.send(encodeWatchRequest(5n, { match: 'key', bytes: new Uint8Array(node.limits.keyBytesMax + 1), after: null }));
    expect(errorOf(await d.answer(5n))).toMatchObject({ ok: false, code: 'KEY_TOO_LONG' });
    d.ws.send(encodeWatchRequest(6n, { match: 'prefix', bytes: utf8('t:'), after: 'not a token' }));
    expect(errorOf(await d.answer(6n))).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
    // The connection still serves.
    d.ws.send(encodeRequest(8n, { op: 'get', key: utf8('t:x') }));
    expect(await d.take((f) => f.kind === 'reply' && f.id === 8n, 'the get reply')).toMatchObject({ reply: { ok: true, found: false } });
    d.close();
  });

  it('a JSON watch and a binary watch on one connection each speak their own format; a watch id names one watch whatever the format', async () => {
    const c = await BinaryFrames.open(node.port);
    c.ws.send(JSON.stringify({ id: 1, op: 'watch', prefix: 'mix:' }));
    const jsonLive = await c.take((f) => f.kind === 'text', 'the JSON answer');
    expect(JSON.parse((jsonLive as { text: string }).text)).toMatchObject({ id: 1, ok: true });
    c.ws.send(encodeWatchRequest(1n, { match: 'prefix', bytes: utf8('mix:'), after: null }));
    expect(errorOf(await c.answer(1n))).toMatchObject({ ok: false, code: 'BAD_REQUEST', message: expect.stringContaining('watch 1 is open') });
    c.ws.send(encodeWatchRequest(2n, { match: 'prefix', bytes: utf8('mix:'), after: null }));
    expect(await c.answer(2n)).toMatchObject({ kind: 'live' });
    const { version } = await binary.set('mix:a', 'both');
    const jsonChange = JSON.parse(((await c.take((f) => f.kind === 'text', 'the JSON change')) as { text: string }).text) as { change: Record<string, unknown> };
    const binaryChange = await c.change(2n);
    expect(jsonChange.change).toMatchObject({ key: 'mix:a', kind: 'set', value: 'both', version });
    expect(binaryChange).toMatchObject({ change: { key: utf8('mix:a'), version }, resume: jsonChange.change.resume });
    c.close();
  });

  it('an unreadable watch frame closes the connection (BAD_FRAME), as an unreadable request does', async () => {
    const c = await BinaryFrames.open(node.port);
    const bytes = encodeWatchRequest(5n, { match: 'prefix', bytes: utf8('abc'), after: null });
    new DataView(bytes.buffer).setUint32(8 + 8 + 16, 0x0000_fff0, true); // the body pointer leads out of the frame
    c.ws.send(bytes);
    const deadline = Date.now() + FRAME_WAIT_MS;
    while (c.closeCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(c.closeCode).toBe(WS_CLOSE.BAD_FRAME);
    // The node is fine.
    expect(await binary.get('abc')).toBeNull();
  });
});

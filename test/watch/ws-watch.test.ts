// Watches over the WebSocket door's JSON frames against a real node (two
// workers, so a prefix spans two shards): every change once and in order
// with its version, resume after a reconnect, COMPACTED when the history is
// gone, refusals of bad frames, unwatch.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PiccoloServer } from '../../runtime-node/server.js';
import { FrameClient, startWatchNode, type Json } from './ws-watch-node.js';

/** Small, so the COMPACTED test reaches past it quickly. */
const HISTORY_CHANGES_MAX = 40;

let node: PiccoloServer;
beforeAll(async () => { node = await startWatchNode({ watchLimits: { historyChangesMax: HISTORY_CHANGES_MAX } }); });
afterAll(async () => { await node?.close(); });

async function watch(client: FrameClient, id: number, fields: Json): Promise<string> {
  client.send({ id, op: 'watch', ...fields });
  const ready = await client.take((f) => f.id === id && 'ok' in f, `watch ${id}'s answer`);
  expect(ready).toMatchObject({ ok: true });
  return ready.resume as string;
}

describe('watch over WebSocket JSON', () => {
  it('streams each set, delete and expiry of a prefix once, in order, with the write versions', async () => {
    const watcher = await FrameClient.open(node.port);
    const writer = await FrameClient.open(node.port);
    const start = await watch(watcher, 1, { prefix: 'a:' });
    expect(start).toMatch(/^[0-9a-f]+$/);
    const v1 = (await writer.request({ op: 'set', key: 'a:1', value: 'one' })).version;
    const v2 = (await writer.request({ op: 'set', key: 'a:2', value: 'two' })).version;
    await writer.request({ op: 'set', key: 'b:1', value: 'not watched' });
    await writer.request({ op: 'del', key: 'a:1' });
    await writer.request({ op: 'mset', entries: [{ key: 'a:{m}3', value: 'x' }, { key: 'a:{m}4', value: 'y' }] });
    const v5 = (await writer.request({ op: 'incr', key: 'a:2n', delta: 5 })).version;
    await writer.request({ op: 'set', key: 'a:ttl', value: 'short', ttlMs: 50 });
    const changes = await watcher.changes(1, 8);
    const byKey = (key: string): Json[] => changes.filter((c) => c.key === key);
    expect(byKey('a:1').map((c) => [c.kind, c.value, c.version])).toEqual([['set', 'one', v1], ['delete', undefined, expect.any(Number)]]);
    expect(byKey('a:2')).toEqual([{ key: 'a:2', kind: 'set', value: 'two', version: v2, resume: expect.any(String) }]);
    expect(byKey('a:2n')).toEqual([expect.objectContaining({ kind: 'set', value: '5', version: v5 })]);
    expect(byKey('a:{m}3')[0]!.version).toBe(byKey('a:{m}4')[0]!.version); // one shard (a hash tag), one entry, one version
    expect(byKey('a:ttl').map((c) => c.kind)).toEqual(['set', 'expire']);
    expect(changes.some((c) => (c.key as string).startsWith('b:'))).toBe(false);
    // Per key, versions only grow; nothing came twice.
    for (const key of new Set(changes.map((c) => c.key as string))) {
      const versions = byKey(key).map((c) => c.version as number);
      expect([...versions].sort((x, y) => x - y)).toEqual(versions);
    }
    expect(new Set(changes.map((c) => c.resume)).size).toBe(8);
    await new Promise((r) => setTimeout(r, 200));
    expect(watcher.frames.filter((f) => f.id === 1)).toEqual([]);
    watcher.close();
    writer.close();
  });

  it('a key watch sees that key only; unwatch stops it', async () => {
    const watcher = await FrameClient.open(node.port);
    const writer = await FrameClient.open(node.port);
    await watch(watcher, 'k' as unknown as number, { key: 'k:1' });
    await writer.request({ op: 'set', key: 'k:10', value: 'other' });
    await writer.request({ op: 'set', key: 'k:1', value: 'mine' });
    const [change] = await watcher.changes('k' as unknown as number, 1);
    expect(change).toMatchObject({ key: 'k:1', kind: 'set', value: 'mine' });
    watcher.send({ id: 'k', op: 'unwatch' });
    expect(await watcher.take((f) => f.id === 'k' && 'ok' in f)).toEqual({ id: 'k', ok: true });
    await writer.request({ op: 'set', key: 'k:1', value: 'again' });
    await new Promise((r) => setTimeout(r, 200));
    expect(watcher.frames).toEqual([]);
    watcher.close();
    writer.close();
  });

  it('a reconnect with the last token gets exactly the changes after it, then live ones', async () => {
    const first = await FrameClient.open(node.port);
    const writer = await FrameClient.open(node.port);
    await watch(first, 7, { prefix: 'r:' });
    for (let i = 0; i < 6; i++) await writer.request({ op: 'set', key: `r:${i}`, value: `v${i}` });
    const seen = await first.changes(7, 6);
    first.close();
    // Changes made while no one watches are kept for the resume.
    for (let i = 6; i < 10; i++) await writer.request({ op: 'set', key: `r:${i}`, value: `v${i}` });
    const second = await FrameClient.open(node.port);
    await watch(second, 7, { prefix: 'r:', after: seen[2]!.resume });
    await writer.request({ op: 'del', key: 'r:0' });
    const rest = await second.changes(7, 8);
    // The set of changes is exact (across the two shards, order is per shard).
    expect(rest.map((c) => `${c.kind} ${c.key as string}`).sort()).toEqual(['delete r:0', 'set r:3', 'set r:4', 'set r:5', 'set r:6', 'set r:7', 'set r:8', 'set r:9']);
    // Resuming from a change's own token starts right after it.
    const third = await FrameClient.open(node.port);
    await watch(third, 8, { prefix: 'r:', after: rest[rest.length - 1]!.resume });
    await writer.request({ op: 'set', key: 'r:last', value: 'z' });
    expect((await third.changes(8, 1))[0]).toMatchObject({ key: 'r:last' });
    second.close();
    third.close();
    writer.close();
  });

  it('COMPACTED when the changes after the token are no longer held; bad tokens are refused', async () => {
    const watcher = await FrameClient.open(node.port);
    const writer = await FrameClient.open(node.port);
    await watch(watcher, 1, { prefix: 'c:' });
    await writer.request({ op: 'set', key: 'c:0', value: 'first' });
    const [early] = await watcher.changes(1, 1);
    for (let i = 0; i < HISTORY_CHANGES_MAX * 3; i++) await writer.request({ op: 'set', key: `c:${i % 5}`, value: `${i}` });
    await watcher.changes(1, HISTORY_CHANGES_MAX * 3);
    watcher.send({ id: 2, op: 'watch', prefix: 'c:', after: early!.resume });
    const refused = await watcher.take((f) => f.id === 2);
    expect(refused).toMatchObject({ ok: false, error: { code: 'COMPACTED', number: 25 } });
    watcher.send({ id: 3, op: 'watch', prefix: 'c:', after: 'not a token' });
    expect(await watcher.take((f) => f.id === 3)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    // A token of another run of the node (its history id changed): COMPACTED, never misread.
    const other = `01${'ffffffff'}${(early!.resume as string).slice(10)}`;
    watcher.send({ id: 4, op: 'watch', prefix: 'c:', after: other });
    expect(await watcher.take((f) => f.id === 4)).toMatchObject({ ok: false, error: { code: 'COMPACTED' } });
    // A key watch's token does not cover a prefix's other shard.
    watcher.send({ id: 5, op: 'watch', key: 'c:1' });
    const keyToken = (await watcher.take((f) => f.id === 5)).resume as string;
    watcher.send({ id: 6, op: 'watch', prefix: 'c:', after: keyToken });
    expect(await watcher.take((f) => f.id === 6)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    watcher.close();
    writer.close();
  });

  it('refuses malformed watch frames with a clear error and keeps serving', async () => {
    const client = await FrameClient.open(node.port);
    client.send({ id: 1, op: 'watch', prefix: 'x', key: 'y' });
    expect(await client.take((f) => f.id === 1)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    client.send({ id: 2, op: 'watch', prefix: 'x', bogus: true });
    expect(await client.take((f) => f.id === 2)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', message: expect.stringContaining('bogus') } });
    client.send({ id: 3, op: 'unwatch' });
    expect(await client.take((f) => f.id === 3)).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    await watch(client, 4, { prefix: 'x' });
    client.send({ id: 4, op: 'watch', prefix: 'x' });
    expect(await client.take((f) => f.id === 4)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(await client.request({ op: 'get', key: 'x' })).toMatchObject({ ok: true, found: false });
    client.close();
  });
});

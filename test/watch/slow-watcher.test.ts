// A watcher that stops reading falls behind with the bytes it left unread
// bounded, and loses its watch (COMPACTED) once the history passes it, while
// the writers keep their pace and a watcher that reads gets every change;
// one that catches up in time misses nothing. Against a real node.

import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MiB } from '../../core/limits.js';
import type { PiccoloServer } from '../../runtime-node/server.js';
import { FrameClient, startWatchNode } from './ws-watch-node.js';

const BUFFER_BYTES_MAX = 1 * MiB;
/** Per group (two here): 12.5 MiB of 64 KiB values each. */
const HISTORY_CHANGES_MAX = 200;
const VALUE = 'v'.repeat(64 * 1024);

let node: PiccoloServer;
beforeAll(async () => {
  node = await startWatchNode({ watchLimits: { bufferBytesMax: BUFFER_BYTES_MAX, historyChangesMax: HISTORY_CHANGES_MAX } });
});
afterAll(async () => { await node?.close(); });

/** Ms to write `n` values under `prefix`, pipelined 16 at a time. */
async function timedWrites(writer: FrameClient, prefix: string, n: number): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < n; i += 16) {
    const batch = Array.from({ length: Math.min(16, n - i) }, (_, j) => writer.request({ op: 'set', key: `${prefix}${i + j}`, value: VALUE }));
    for (const reply of await Promise.all(batch)) expect(reply.ok).toBe(true);
  }
  return performance.now() - started;
}

const keys = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`).sort();

/** A watcher of `prefix` whose client then stops reading its socket (the node's send buffer for it fills). */
async function stuckWatcher(port: number, prefix: string): Promise<{ client: FrameClient; socket: Socket }> {
  const client = await FrameClient.open(port);
  client.send({ id: 2, op: 'watch', prefix });
  expect(await client.take((f) => f.id === 2 && 'ok' in f)).toMatchObject({ ok: true });
  const socket = (client.ws as unknown as { _socket: Socket })._socket;
  socket.pause();
  return { client, socket };
}

describe('a slow watcher', () => {
  it('falls behind without slowing writes, then catches up from the history, missing nothing', async () => {
    const writes = 150;
    const writer = await FrameClient.open(node.port);
    const { client, socket } = await stuckWatcher(node.port, 'u:');
    await timedWrites(writer, 'u:', writes);
    socket.resume();
    expect((await client.changes(2, writes)).map((c) => c.key as string).sort()).toEqual(keys('u:', writes));
    await new Promise((r) => setTimeout(r, 200));
    expect(client.frames).toEqual([]);
    client.close();
    writer.close();
  });

  it('that stays behind past the history loses its watch (COMPACTED); writes keep their pace; a reading watcher gets everything', async () => {
    const writes = 600;
    const writer = await FrameClient.open(node.port);
    const baselineMs = await timedWrites(writer, 'base:', writes);
    const reader = await FrameClient.open(node.port);
    reader.send({ id: 1, op: 'watch', prefix: 's:' });
    expect(await reader.take((f) => f.id === 1 && 'ok' in f)).toMatchObject({ ok: true });
    const { client: stuck, socket } = await stuckWatcher(node.port, 's:');
    const watchedMs = await timedWrites(writer, 's:', writes);
    console.log(`${writes} writes of 64 KiB: ${baselineMs.toFixed(0)} ms unwatched, ${watchedMs.toFixed(0)} ms with a stuck watcher and a reader`);
    expect(watchedMs).toBeLessThan(baselineMs * 4 + 2_000);
    // Each once (the two shards' streams interleave in any order).
    expect((await reader.changes(1, writes)).map((c) => c.key as string).sort()).toEqual(keys('s:', writes));

    socket.resume();
    const ended = await stuck.take((f) => f.id === 2 && f.ok === false, 'the end of the stuck watch');
    expect(ended).toMatchObject({ error: { code: 'COMPACTED', message: expect.stringContaining('fell behind') } });
    // What it got before is bounded (the buffer limit plus what the sockets took), each change once.
    const got = stuck.frames.filter((f) => f.id === 2 && 'change' in f).map((f) => (f.change as { key: string }).key);
    expect(got.length).toBeLessThan(writes);
    expect(new Set(got).size).toBe(got.length);
    await new Promise((r) => setTimeout(r, 200));
    expect(stuck.frames.filter((f) => f.id === 2 && !('change' in f))).toEqual([]);
    for (const c of [writer, reader, stuck]) c.close();
  });
});

// A binary watcher that stops reading: its Cap'n Proto frames count against
// bufferBytesMax as JSON ones do. A short stall: reading again, it gets
// every change once. A long one: it falls behind past the node's history
// and its watch ends COMPACTED (a binary error under its id), which only a
// watch that fell behind can meet. Against a real node; the JSON twin is
// slow-watcher.test.ts.

import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MiB } from '../../core/limits.js';
import type { PiccoloServer } from '../../runtime-node/server.js';
import { connect, type PiccoloClient } from '../../client/index.js';
import { encodeWatchRequest } from '../../schema/binary-watch.js';
import { BinaryFrames } from './binary-watch-frames.js';
import { startWatchNode } from './ws-watch-node.js';

const BUFFER_BYTES_MAX = 1 * MiB;
/** Per group (two here): 3 MiB of 64 KiB values each. */
const HISTORY_CHANGES_MAX = 50;
/** A short stall: fewer than the history holds of either group. */
const WRITES = 40;
/** A long stall: 19 MiB, past bufferBytesMax, the loopback socket's buffers and the history. */
const WRITES_PAST_HISTORY = 300;
const VALUE = new Uint8Array(64 * 1024).fill(0x76);
/** Writes in flight at once. */
const PIPELINE = 16;

let node: PiccoloServer;
let writer: PiccoloClient;
beforeAll(async () => {
  node = await startWatchNode({ watchLimits: { bufferBytesMax: BUFFER_BYTES_MAX, historyChangesMax: HISTORY_CHANGES_MAX } });
  writer = await connect(`ws://127.0.0.1:${node.port}`, { format: 'binary' });
});
afterAll(async () => {
  await writer?.close();
  await node?.close();
});

/** `n` writes of VALUE under `prefix`, PIPELINE at a time. */
async function writeValues(prefix: string, n: number): Promise<void> {
  for (let i = 0; i < n; i += PIPELINE) {
    await Promise.all(Array.from({ length: Math.min(PIPELINE, n - i) }, (_, j) => writer.set(`${prefix}${i + j}`, VALUE)));
  }
}

/** A binary watcher of `prefix` whose socket then stops reading. */
async function stuckWatcher(prefix: string): Promise<{ watcher: BinaryFrames; socket: Socket }> {
  const watcher = await BinaryFrames.open(node.port);
  watcher.ws.send(encodeWatchRequest(3n, { match: 'prefix', bytes: new TextEncoder().encode(prefix), after: null }));
  expect(await watcher.answer(3n)).toMatchObject({ kind: 'live' });
  const socket = (watcher.ws as unknown as { _socket: Socket })._socket;
  socket.pause();
  return { watcher, socket };
}

describe('a slow binary watcher', () => {
  it('after a short stall gets every change once', async () => {
    const { watcher, socket } = await stuckWatcher('s:');
    await writeValues('s:', WRITES);
    socket.resume();
    const keys: string[] = [];
    for (let i = 0; i < WRITES; i++) {
      const change = await watcher.change(3n);
      if (change.kind !== 'change') throw new Error('not a change');
      // Buffer.equals: vitest's toEqual walks a 64 KiB array element by element (a third of a second each).
      expect(Buffer.from(change.change.value!).equals(VALUE)).toBe(true);
      keys.push(new TextDecoder().decode(change.change.key));
    }
    expect(keys.sort()).toEqual(Array.from({ length: WRITES }, (_, i) => `s:${i}`).sort());
    await new Promise((r) => setTimeout(r, 200));
    expect(watcher.frames).toEqual([]);
    watcher.close();
  });

  it('that stays stuck past the history loses its watch: COMPACTED, in binary, under its id', async () => {
    const { watcher, socket } = await stuckWatcher('p:');
    await writeValues('p:', WRITES_PAST_HISTORY);
    socket.resume();
    const end = await watcher.answer(3n);
    expect(end).toMatchObject({ kind: 'reply', reply: { ok: false, code: 'COMPACTED', message: expect.stringContaining('fell behind') } });
    // What came before the end: changes only, fewer than were written (the rest was dropped with the watch).
    expect(watcher.frames.every((f) => f.kind === 'change')).toBe(true);
    expect(watcher.frames.length).toBeLessThan(WRITES_PAST_HISTORY);
    const keys = watcher.frames.map((f) => (f.kind === 'change' ? new TextDecoder().decode(f.change.key) : ''));
    expect(new Set(keys).size).toBe(keys.length);
    watcher.close();
  });
});

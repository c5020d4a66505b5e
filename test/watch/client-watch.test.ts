// The typed client's db.watch against a real node: typed changes in order,
// exactly once across a dropped socket (it reconnects and resumes with its
// last token), COMPACTED as a PiccoloError, and break closing the socket.

import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PiccoloServer } from '../../runtime-node/server.js';
import { connect, PiccoloError, type PiccoloClient, type WatchChange, type WebSocketConstructor } from '../../client/index.js';
import { startWatchNode } from './ws-watch-node.js';

const HISTORY_CHANGES_MAX = 30;
/** Bound on one test's waits for changes. */
const WAIT_MS = 10_000;

let node: PiccoloServer;
let db: PiccoloClient;
/** Every socket the clients opened, to drop one as a network would. */
const sockets: WebSocket[] = [];
class CapturingWebSocket extends WebSocket {
  constructor(url: string, protocols?: string | string[], options?: WebSocket.ClientOptions) {
    super(url, protocols, options);
    sockets.push(this);
  }
}

beforeAll(async () => {
  node = await startWatchNode({ watchLimits: { historyChangesMax: HISTORY_CHANGES_MAX } });
  db = await connect(`ws://127.0.0.1:${node.port}`, { WebSocket: CapturingWebSocket as unknown as WebSocketConstructor });
});
afterAll(async () => {
  await db?.close();
  await node?.close();
});

/** A promise that `onLive` (a watch option) resolves the first time the watch is live. */
function liveSignal(): { onLive: () => void; live: Promise<void> } {
  let onLive!: () => void;
  const live = new Promise<void>((resolve) => { onLive = resolve; });
  return { onLive, live };
}

/** Take `n` changes from a watch into `out`, then leave the loop (which closes its socket); rejects after WAIT_MS. */
async function collect(watch: AsyncIterable<WatchChange>, n: number, out: WatchChange[], onEach?: (c: WatchChange) => void): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`only ${out.length}/${n} changes within ${WAIT_MS} ms`)), WAIT_MS); });
  const loop = (async () => {
    for await (const change of watch) {
      out.push(change);
      onEach?.(change);
      if (out.length >= n) break;
    }
  })();
  try {
    await Promise.race([loop, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const text = (bytes: Uint8Array | null): string | null => (bytes === null ? null : new TextDecoder().decode(bytes));

describe('db.watch', () => {
  it('yields typed changes of the prefix, each with its version and a resume token', async () => {
    const got: WatchChange[] = [];
    const { onLive, live } = liveSignal();
    const done = collect(db.watch('t:', { onLive }), 3, got);
    // Live once the node answered: a write before that may come before "now".
    await live;
    const { version } = await db.set('t:{1}a', 'one');
    await db.set('x:1', 'not watched');
    await db.del('t:{1}a');
    await db.set('t:{1}b', new Uint8Array([0xff, 0x00]));
    await done;
    expect(got.map((c) => [text(c.key), c.kind])).toEqual([['t:{1}a', 'set'], ['t:{1}a', 'delete'], ['t:{1}b', 'set']]);
    expect(got[0]).toMatchObject({ value: new TextEncoder().encode('one'), version });
    expect(got[1]!.value).toBeNull();
    expect(got[2]!.value).toEqual(new Uint8Array([0xff, 0x00]));
    expect(got[2]!.version).toBeGreaterThan(got[1]!.version);
    expect(typeof got[2]!.resume).toBe('string');
  });

  it('resumes exactly once across a dropped socket, and from a saved token', async () => {
    const got: WatchChange[] = [];
    const opened = sockets.length;
    let dropped = false;
    const { onLive, live } = liveSignal();
    const done = collect(db.watch('d:', { onLive }), 40, got, (c) => {
      // After the tenth change, the watch's socket dies as if the network cut it.
      if (got.length === 10 && !dropped) {
        dropped = true;
        sockets[opened]!.terminate();
      }
      expect(c.kind).toBe('set');
    });
    await live;
    for (let i = 0; i < 40; i++) await db.set(`d:${i}`, `${i}`);
    await done;
    expect(sockets.length).toBeGreaterThan(opened + 1); // it reconnected
    expect(got.map((c) => text(c.key)).sort()).toEqual(Array.from({ length: 40 }, (_, i) => `d:${i}`).sort());
    // A later watch from a saved token gets only what came after it.
    const rest: WatchChange[] = [];
    const after = got[29]!.resume;
    await collect(db.watch('d:', { after }), 10, rest);
    expect(rest.map((c) => c.version).every((v) => v > 0)).toBe(true);
    expect(new Set([...got.slice(0, 30), ...rest].map((c) => text(c.key))).size).toBe(40);
  });

  it('ends with COMPACTED when the node no longer holds the changes after the token', async () => {
    const got: WatchChange[] = [];
    const { onLive, live } = liveSignal();
    const first = collect(db.watch('c:', { onLive }), 1, got);
    await live;
    await db.set('c:0', 'x');
    await first;
    for (let i = 0; i < HISTORY_CHANGES_MAX * 3; i++) await db.set(`c:${i % 3}`, `${i}`);
    const error = await collect(db.watch('c:', { after: got[0]!.resume }), 1, []).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(PiccoloError);
    expect(error).toMatchObject({ code: 'COMPACTED', number: 25 });
  });

  it('break closes the watch\'s socket', async () => {
    const opened = sockets.length;
    const got: WatchChange[] = [];
    const { onLive, live } = liveSignal();
    const done = collect(db.watch('b:', { onLive }), 1, got);
    await live;
    await db.set('b:1', 'x');
    await done;
    const socket = sockets[opened]!;
    await new Promise((r) => setTimeout(r, 100));
    expect([WebSocket.CLOSING, WebSocket.CLOSED]).toContain(socket.readyState);
  });
});

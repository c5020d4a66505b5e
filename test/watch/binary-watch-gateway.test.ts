// Binary watches through a real gateway in front of a real 3-node cluster
// (spawned processes, loopback): the typed client in binary gets every
// change of its prefix once, in log order, with the write's versions, the
// same as a JSON watcher through the same gateway, each in its own frames
// (the gateway relays to a node in binary and frames for the client in the
// client's format); a JSON watcher's token resumes a binary watch through the
// gateway with exactly the rest. Needs `npm run build`.

import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type TestCluster } from '../cluster/cluster-nodes.js';
import { connect, PiccoloError, type PiccoloClient, type WatchChange, type WebSocketConstructor } from '../../client/index.js';
import { nodesArg, startGatewayProcess, stopEverything, type RunningGateway } from '../gateway/gateway-process.js';

const GROUPS = 3;
const WRITES = 10;
/** Bound on waiting for a watch's changes. */
const WAIT_MS = 15_000;
/** Writes retried while the groups elect their first leaders: 50 × 100 ms. */
const WRITE_ATTEMPTS_MAX = 50;

/** Whether each frame the node side of a socket sent was binary, per socket the clients opened. */
const framesBinary = new Map<WebSocket, boolean[]>();
class RecordingWebSocket extends WebSocket {
  constructor(url: string, protocols?: string | string[], options?: WebSocket.ClientOptions) {
    super(url, protocols, options);
    const seen: boolean[] = [];
    framesBinary.set(this, seen);
    this.on('message', (_data: unknown, isBinary: boolean) => seen.push(isBinary));
  }
}

let cluster: TestCluster;
let gateway: RunningGateway;
let writer: PiccoloClient;
beforeAll(async () => {
  cluster = await startCluster(3, ['--groups', String(GROUPS), '--workers', '1']);
  gateway = await startGatewayProcess(['--nodes', nodesArg(cluster)]);
  writer = await connect(`ws://127.0.0.1:${gateway.port}`, { format: 'binary' });
  await withRetry(() => writer.set('gb:ready', 'x')); // every group has a leader before the watches start
}, 90_000);
afterAll(async () => {
  await writer?.close();
  await stopEverything(gateway ? [gateway] : [], cluster);
});

async function withRetry<T>(op: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await op();
    } catch (error) {
      if (!(error instanceof PiccoloError) || attempt >= WRITE_ATTEMPTS_MAX) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Take `n` changes of `prefix` through the gateway; `ready` resolves when the watch is live. */
function watchThrough(db: PiccoloClient, prefix: string, n: number, after?: string): { ready: Promise<void>; done: Promise<WatchChange[]> } {
  let onLive!: () => void;
  const ready = new Promise<void>((resolve) => { onLive = resolve; });
  const done = (async () => {
    const got: WatchChange[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`only ${got.length}/${n} changes of ${prefix} within ${WAIT_MS} ms`)), WAIT_MS); });
    const loop = (async () => {
      for await (const change of db.watch(prefix, { after, onLive })) {
        got.push(change);
        if (got.length >= n) break;
      }
    })();
    try {
      await Promise.race([loop, timeout]);
    } finally {
      clearTimeout(timer);
    }
    return got;
  })();
  return { ready, done };
}

const view = (changes: WatchChange[]) => changes.map((c) => [new TextDecoder().decode(c.key), c.kind, c.value && new TextDecoder().decode(c.value), c.version]);

describe('binary watches through the gateway', () => {
  it('a binary watcher gets every change once, in log order, with the write versions, as a JSON watcher does, each in its own frames', async () => {
    const url = `ws://127.0.0.1:${gateway.port}`;
    const Ctor = RecordingWebSocket as unknown as WebSocketConstructor;
    const binaryDb = await connect(url, { format: 'binary', WebSocket: Ctor });
    const jsonDb = await connect(url, { format: 'json', WebSocket: Ctor });
    const socketsBefore = new Set(framesBinary.keys());
    // One hash tag: one group, one log, one order.
    const binaryWatch = watchThrough(binaryDb, 'gb:{t}', WRITES + 1);
    const jsonWatch = watchThrough(jsonDb, 'gb:{t}', WRITES + 1);
    await Promise.all([binaryWatch.ready, jsonWatch.ready]);
    const versions: number[] = [];
    for (let i = 0; i < WRITES; i++) versions.push((await withRetry(() => writer.set(`gb:{t}${i}`, `v${i}`))).version);
    const deleted = await withRetry(() => writer.del('gb:{t}0'));
    expect(deleted).toBe(true);
    const [fromBinary, fromJson] = await Promise.all([binaryWatch.done, jsonWatch.done]);
    expect(view(fromBinary).slice(0, WRITES)).toEqual(versions.map((v, i) => [`gb:{t}${i}`, 'set', `v${i}`, v]));
    expect(view(fromBinary)[WRITES]!.slice(0, 3)).toEqual(['gb:{t}0', 'delete', null]);
    expect(view(fromBinary)).toEqual(view(fromJson));

    // The watches' own sockets (opened after the clients' request sockets): the binary one got only binary frames, the JSON one only text.
    const watchSockets = [...framesBinary.entries()].filter(([socket]) => !socketsBefore.has(socket)).map(([, seen]) => seen);
    expect(watchSockets).toHaveLength(2);
    const kinds = watchSockets.map((seen) => [...new Set(seen)]).sort();
    expect(kinds).toEqual([[false], [true]]);

    // A JSON watch's token resumes a binary watch through the gateway (it goes to the node that made it): exactly the rest.
    const resumed = watchThrough(binaryDb, 'gb:{t}', WRITES - 3, fromJson[3]!.resume);
    expect(view(await resumed.done)).toEqual(view(fromJson).slice(4));
    await binaryDb.close();
    await jsonDb.close();
  });
});

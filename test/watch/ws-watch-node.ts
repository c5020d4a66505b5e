// A lone node in this process (the compiled server, real worker threads, a
// loopback port) and a WebSocket client that collects a connection's JSON
// frames, for the watch tests.

import WebSocket from 'ws';
import type { PiccoloServer, ServerOptions } from '../../runtime-node/server.js';

export type Json = Record<string, unknown>;

/** Bound on waiting for one frame: the node answers in milliseconds; this is for a loaded machine. */
export const FRAME_WAIT_MS = 10_000;

export async function startWatchNode(options: ServerOptions = {}): Promise<PiccoloServer> {
  const serverModule = new URL('../../dist/runtime-node/server.js', import.meta.url).href;
  const { startServer } = (await import(serverModule)) as typeof import('../../runtime-node/server.js');
  return startServer({ port: 0, respPort: null, workers: 2, pin: false, log: () => {}, ...options });
}

export class FrameClient {
  readonly frames: Json[] = [];
  private wake: (() => void) | null = null;
  private nextId = 1_000_000;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      this.frames.push(JSON.parse(data.toString('utf8')) as Json);
      this.wake?.();
    });
  }

  static async open(port: number): Promise<FrameClient> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/ws`);
    await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); });
    return new FrameClient(ws);
  }

  send(frame: Json): void {
    this.ws.send(JSON.stringify(frame));
  }

  /** Remove and return the first frame that `pick` accepts, waiting for it. */
  async take(pick: (f: Json) => boolean, what = 'a frame'): Promise<Json> {
    const deadline = Date.now() + FRAME_WAIT_MS;
    for (;;) {
      const i = this.frames.findIndex(pick);
      if (i >= 0) return this.frames.splice(i, 1)[0]!;
      if (Date.now() > deadline) throw new Error(`no ${what} within ${FRAME_WAIT_MS} ms; have ${JSON.stringify(this.frames).slice(0, 500)}`);
      await new Promise<void>((resolve) => { this.wake = resolve; setTimeout(resolve, 100); });
    }
  }

  /** A request answered in order (ids from 1,000,000 up, apart from watch ids). */
  async request(frame: Json): Promise<Json> {
    const id = this.nextId++;
    this.send({ ...frame, id });
    return this.take((f) => f.id === id && 'ok' in f, `reply ${id}`);
  }

  /** The next `n` change frames of watch `id`, in arrival order. */
  async changes(id: number, n: number): Promise<Json[]> {
    const out: Json[] = [];
    for (let i = 0; i < n; i++) out.push(await this.take((f) => f.id === id && 'change' in f, `change ${i + 1}/${n} of watch ${id}`));
    return out.map((f) => f.change as Json);
  }

  close(): void {
    this.ws.close();
  }
}

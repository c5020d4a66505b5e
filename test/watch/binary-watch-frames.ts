// A raw WebSocket client speaking Cap'n Proto frames to a node's /v1/ws and
// collecting what it sends back (watch frames decoded, text frames kept as
// text), for the binary watch tests.

import WebSocket from 'ws';
import { decodeWatchResponse, type WatchResponse } from '../../schema/binary-watch.js';
import { FRAME_WAIT_MS } from './ws-watch-node.js';

export type ReceivedFrame = WatchResponse | { kind: 'text'; text: string };

/** A raw WebSocket speaking binary frames, collecting what the node sends. */
export class BinaryFrames {
  readonly frames: ReceivedFrame[] = [];
  closeCode: number | null = null;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      this.frames.push(isBinary ? decodeWatchResponse(new Uint8Array(data)) : { kind: 'text', text: data.toString('utf8') });
    });
    ws.on('close', (code: number) => { this.closeCode = code; });
  }

  static async open(port: number): Promise<BinaryFrames> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/ws`);
    await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); });
    return new BinaryFrames(ws);
  }

  async take<T extends ReceivedFrame>(pick: (f: ReceivedFrame) => f is T, what: string): Promise<T>;
  async take(pick: (f: ReceivedFrame) => boolean, what: string): Promise<ReceivedFrame>;
  async take(pick: (f: ReceivedFrame) => boolean, what: string): Promise<ReceivedFrame> {
    const deadline = Date.now() + FRAME_WAIT_MS;
    for (;;) {
      const i = this.frames.findIndex(pick);
      if (i >= 0) return this.frames.splice(i, 1)[0]!;
      if (Date.now() > deadline) throw new Error(`no ${what} within ${FRAME_WAIT_MS} ms; have ${this.frames.map((f) => f.kind).join(',')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** The answer to watch / unwatch `id`: live, or a reply (ok, error). */
  answer(id: bigint): Promise<ReceivedFrame> {
    return this.take((f) => f.kind !== 'text' && f.kind !== 'change' && f.id === id, `answer to ${id}`);
  }

  change(id: bigint): Promise<ReceivedFrame> {
    return this.take((f) => f.kind === 'change' && f.id === id, `change of ${id}`);
  }

  close(): void {
    this.ws.close();
  }
}

// A bare WebSocket client over a TCP socket for the load generator: opening
// handshake, then whole frames in and out (see ws-frames.ts). The caller
// batches its outgoing frames into one buffer and writes them with one
// `write`, which is what keeps the generator cheap.

import { createHash, randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import {
  encodeClientFrame, FrameProtocolError, OPCODE_BINARY, OPCODE_CLOSE, OPCODE_PING, OPCODE_PONG, OPCODE_TEXT,
  ServerFrameReader,
} from './ws-frames.js';

const HANDSHAKE_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** Longest wait for the TCP connection plus the 101 answer. */
export const HANDSHAKE_TIMEOUT_MS = 10_000;
/** A 101 answer is a few hundred bytes; more without the blank line means it is not one. */
const HANDSHAKE_RESPONSE_BYTES_MAX = 16 * 1024;

export interface BenchSocketHandlers {
  /** A text or binary message (payload is a view valid until the caller drops it). */
  onMessage: (payload: Uint8Array, isBinary: boolean) => void;
  /** Called after all messages of one TCP chunk were delivered: the moment to flush sends. */
  onChunkEnd: () => void;
  /** The connection ended: a close frame, a socket error or a protocol error. */
  onClose: (reason: string) => void;
}

export class BenchSocket {
  private closed = false;
  private handlers: BenchSocketHandlers | null = null;
  /** Messages that arrived before setHandlers. */
  private readonly early: { payload: Uint8Array; isBinary: boolean }[] = [];
  private readonly reader = new ServerFrameReader((opcode, payload) => this.handleFrame(opcode, payload));

  private constructor(private readonly socket: Socket) {}

  /** Open a WebSocket to `url` (ws://host:port/path). */
  static open(url: string): Promise<BenchSocket> {
    const parsed = new URL(url);
    if (parsed.protocol !== 'ws:') throw new Error(`only ws:// URLs are supported, got ${url}`);
    const port = Number(parsed.port || 80);
    const key = randomBytes(16).toString('base64');
    const expectedAccept = createHash('sha1').update(key + HANDSHAKE_GUID).digest('base64');
    return new Promise((resolve, reject) => {
      const socket = connect({ host: parsed.hostname, port, noDelay: true });
      let received = Buffer.alloc(0);
      const timer = setTimeout(() => fail(new Error(`WebSocket handshake with ${url} timed out`)), HANDSHAKE_TIMEOUT_MS);
      const fail = (error: Error): void => {
        clearTimeout(timer);
        socket.destroy();
        reject(error);
      };
      const onData = (chunk: Buffer): void => {
        received = Buffer.concat([received, chunk]);
        const end = received.indexOf('\r\n\r\n');
        if (end < 0) {
          if (received.length > HANDSHAKE_RESPONSE_BYTES_MAX) fail(new Error('WebSocket handshake answer too long'));
          return;
        }
        const head = received.subarray(0, end).toString('latin1');
        const statusLine = head.split('\r\n', 1)[0]!;
        if (!/^HTTP\/1\.1 101 /.test(statusLine)) {
          fail(new Error(`WebSocket upgrade refused: ${statusLine} ${received.subarray(end + 4).toString('utf8').slice(0, 200)}`));
          return;
        }
        const accept = /\r\nsec-websocket-accept:\s*(\S+)/i.exec(head)?.[1];
        if (accept !== expectedAccept) {
          fail(new Error('WebSocket handshake: wrong Sec-WebSocket-Accept'));
          return;
        }
        clearTimeout(timer);
        socket.off('data', onData);
        socket.off('error', fail);
        const ws = new BenchSocket(socket);
        ws.attach();
        const rest = received.subarray(end + 4);
        resolve(ws);
        if (rest.length > 0) ws.reader.push(rest);
      };
      socket.on('data', onData);
      socket.on('error', fail);
      socket.on('connect', () => {
        socket.write(
          `GET ${parsed.pathname}${parsed.search} HTTP/1.1\r\nHost: ${parsed.host}\r\nUpgrade: websocket\r\n`
          + `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        );
      });
    });
  }

  /** Start delivering messages. Messages that arrive before this are kept until then. */
  setHandlers(handlers: BenchSocketHandlers): void {
    this.handlers = handlers;
    if (this.early.length === 0) return;
    for (const m of this.early.splice(0)) handlers.onMessage(m.payload, m.isBinary);
    handlers.onChunkEnd();
  }

  /** Write already-framed client frames (one or many, back to back). */
  writeFrames(frames: Uint8Array): void {
    if (!this.closed) this.socket.write(frames);
  }

  /** Send a close frame and end the TCP connection. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.end(encodeClientFrame(OPCODE_CLOSE, new Uint8Array([0x03, 0xe8]))); // 1000 normal closure
      setTimeout(() => { this.socket.destroy(); }, 1000).unref();
    });
  }

  private attach(): void {
    this.socket.on('data', (chunk: Buffer) => {
      try {
        this.reader.push(chunk);
      } catch (error) {
        if (!(error instanceof FrameProtocolError)) throw error;
        this.fail(error.message);
        return;
      }
      this.handlers?.onChunkEnd();
    });
    this.socket.on('error', (error) => this.fail(`socket error: ${error.message}`));
    this.socket.on('close', () => this.fail('socket closed'));
  }

  private handleFrame(opcode: number, payload: Uint8Array): void {
    switch (opcode) {
      case OPCODE_TEXT: case OPCODE_BINARY: {
        const isBinary = opcode === OPCODE_BINARY;
        if (!this.handlers) {
          this.early.push({ payload, isBinary });
          return;
        }
        this.handlers.onMessage(payload, isBinary);
        return;
      }
      case OPCODE_PING:
        this.writeFrames(encodeClientFrame(OPCODE_PONG, payload));
        return;
      case OPCODE_PONG:
        return;
      case OPCODE_CLOSE: {
        const code = payload.length >= 2 ? (payload[0]! << 8) | payload[1]! : 1005;
        this.fail(`server closed the connection: ${code} ${Buffer.from(payload.subarray(2)).toString('utf8')}`);
        return;
      }
      default:
        this.fail(`unknown server opcode ${opcode}`);
    }
  }

  private fail(reason: string): void {
    const wasClosed = this.closed;
    this.closed = true;
    this.socket.destroy();
    if (!wasClosed) this.handlers?.onClose(reason);
  }
}

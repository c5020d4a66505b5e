// The WebSocket front door, /v1/ws. Binary frames are Cap'n Proto requests,
// text frames JSON; a reply goes back in the same format as its request, in
// request order per connection. A client may pipeline freely: past
// pipelineMax requests in flight (or too many reply bytes unread) further
// frames wait in the connection's queue, and past connectionQueueBytesMax
// they are answered OVERLOADED, so one client's memory stays bounded. (uWS
// cannot pause a WebSocket's reads, so the queue stands in for TCP pushback.)

import '../uws-env.js'; // must precede the uWebSockets.js import
import uWS from 'uWebSockets.js';
import { ErrorCode, WS_CLOSE } from '../../core/errors.js';
import type { Limits } from '../../core/limits.js';
import type { Reply, Request } from '../../core/protocol/ops.js';
import { decodeRequest, encodeResponse } from '../../schema/binary-codec.js';
import { decodeJsonRequest, encodeJsonResponse } from '../../schema/json-codec.js';
import type { ConnectionBudget } from './connection-budget.js';
import { Dispatcher, type RequestExecutor } from '../../core/node/dispatcher.js';
import { OrderedReplies } from './ordered-replies.js';
import type { Flushable, SendBatcher } from './send-batcher.js';

export const WS_PATH = '/v1/ws';
/** Seconds without traffic before uWS closes a connection (pings keep healthy clients alive). */
export const WS_IDLE_TIMEOUT_S = 120;

type Outgoing = { bytes: Uint8Array | string; binary: boolean };

interface WaitingFrame { frame: Uint8Array; isBinary: boolean }

interface ConnectionState {
  replies: OrderedReplies<Outgoing>;
  /** Replies in order, waiting for the batch flush. */
  outbox: Outgoing[];
  flusher: Flushable;
  inFlight: number;
  waiting: WaitingFrame[];
  waitingHead: number;
  waitingBytes: number;
  pumping: boolean;
  closed: boolean;
  /** Holds one unit of the node's connection budget. */
  counted: boolean;
}

export interface WsFrontOptions {
  limits: Limits;
  dispatcher: RequestExecutor;
  budget: ConnectionBudget;
  isShuttingDown: () => boolean;
  /** Called after every reply leaves, so shutdown can tell when all is done. */
  onIdleCheck: () => void;
  batcher: SendBatcher;
}

const textDecoder = new TextDecoder();

export function mountWebSocket(app: uWS.TemplatedApp, opts: WsFrontOptions): { sockets: Set<uWS.WebSocket<ConnectionState>> } {
  const sockets = new Set<uWS.WebSocket<ConnectionState>>();
  const { limits } = opts;

  const mayServe = (ws: uWS.WebSocket<ConnectionState>, state: ConnectionState): boolean =>
    state.inFlight < limits.pipelineMax && ws.getBufferedAmount() < limits.clientOutputBytesMax;

  /** Serve waiting frames while the connection is under its limits. */
  const pump = (ws: uWS.WebSocket<ConnectionState>, state: ConnectionState): void => {
    if (state.pumping) return; // a reply finished synchronously inside this loop; the loop goes on
    state.pumping = true;
    while (!state.closed && state.waitingHead < state.waiting.length && mayServe(ws, state)) {
      const next = state.waiting[state.waitingHead]!;
      state.waiting[state.waitingHead++] = undefined as unknown as WaitingFrame;
      state.waitingBytes -= next.frame.length;
      handle(ws, state, next.frame, next.isBinary);
    }
    if (state.waitingHead === state.waiting.length && state.waitingHead > 0) {
      state.waiting = [];
      state.waitingHead = 0;
    }
    state.pumping = false;
  };

  const receive = (ws: uWS.WebSocket<ConnectionState>, state: ConnectionState, frame: Uint8Array, isBinary: boolean): void => {
    if (state.waitingHead === state.waiting.length && mayServe(ws, state)) return handle(ws, state, frame, isBinary);
    if (state.waitingBytes + frame.length <= limits.connectionQueueBytesMax) {
      // uWS reuses the frame's memory after the callback: a waiting frame needs its own copy.
      state.waiting.push({ frame: frame.slice(), isBinary });
      state.waitingBytes += frame.length;
      return;
    }
    handle(ws, state, frame, isBinary, { ok: false, code: 'OVERLOADED', message: 'too many requests waiting on this connection; read replies before sending more' });
  };

  // eslint-disable-next-line prefer-const
  let handle: (ws: uWS.WebSocket<ConnectionState>, state: ConnectionState, frame: Uint8Array, isBinary: boolean, refuse?: Reply) => void;
  handle = (ws, state, frame, isBinary, refuse) => {
    let id: unknown;
    let request: Request | null = null;
    let immediate: Reply | null = null;
    if (isBinary) {
      const decoded = decodeRequest(frame, limits);
      if (!decoded.ok && decoded.fatal) {
        const code = decoded.error.code === 'FRAME_TOO_LARGE' ? WS_CLOSE.FRAME_TOO_LARGE : WS_CLOSE.BAD_FRAME;
        ws.end(code, `bad frame: ${decoded.error.message}`.slice(0, 120));
        return;
      }
      id = decoded.id ?? 0n;
      if (decoded.ok) request = decoded.request; else immediate = decoded.error;
    } else {
      const decoded = decodeJsonRequest(textDecoder.decode(frame), limits);
      id = decoded.id ?? null;
      if (decoded.ok) request = decoded.request; else immediate = decoded.error;
    }
    if (refuse && !immediate) immediate = refuse;
    const ticket = state.replies.take();
    state.inFlight++;
    const finish = (reply: Reply): void => {
      state.inFlight--;
      const out: Outgoing = isBinary
        ? { bytes: encodeResponse(id as bigint, reply), binary: true }
        : { bytes: encodeJsonResponse(id, reply), binary: false };
      if (!state.closed) {
        state.replies.fill(ticket, out, (o) => { state.outbox.push(o); });
        if (state.outbox.length > 0) opts.batcher.mark(state.flusher);
        pump(ws, state);
      }
      opts.onIdleCheck();
    };
    if (immediate) finish(immediate);
    else if (opts.isShuttingDown()) Dispatcher.refuse('SHUTTING_DOWN', finish);
    else opts.dispatcher.execute(request!, finish);
  };

  app.ws<ConnectionState>(WS_PATH, {
    maxPayloadLength: limits.frameBytesMax,
    maxBackpressure: limits.clientOutputBytesMax * 2,
    closeOnBackpressureLimit: false,
    idleTimeout: WS_IDLE_TIMEOUT_S,
    sendPingsAutomatically: true,
    compression: uWS.DISABLED,
    upgrade: (res, req, context) => {
      if (opts.isShuttingDown() || opts.budget.count >= opts.budget.connectionsMax) {
        opts.budget.refused();
        const shutting = opts.isShuttingDown();
        res.writeStatus('503 Service Unavailable').writeHeader('content-type', 'application/json').end(JSON.stringify({
          error: shutting
            ? { code: 'SHUTTING_DOWN', number: ErrorCode.SHUTTING_DOWN, message: 'the node is shutting down' }
            : { code: 'TOO_MANY_CONNECTIONS', number: ErrorCode.TOO_MANY_CONNECTIONS, message: `the node serves at most ${opts.budget.connectionsMax} connections` },
        }));
        return;
      }
      const state: ConnectionState = { replies: new OrderedReplies<Outgoing>(), outbox: [], flusher: { flush: () => {} }, inFlight: 0, waiting: [], waitingHead: 0, waitingBytes: 0, pumping: false, closed: false, counted: false };
      res.upgrade(state, req.getHeader('sec-websocket-key'), req.getHeader('sec-websocket-protocol'),
        req.getHeader('sec-websocket-extensions'), context);
    },
    open: (ws) => {
      const state = ws.getUserData();
      if (!opts.budget.tryAcquire()) {
        ws.end(WS_CLOSE.TOO_MANY_CONNECTIONS, 'too many connections');
        return;
      }
      state.counted = true;
      state.flusher = {
        flush: () => {
          if (state.closed || state.outbox.length === 0) return;
          const out = state.outbox;
          state.outbox = [];
          ws.cork(() => { for (const o of out) ws.send(o.bytes, o.binary); });
          pump(ws, state);
        },
      };
      sockets.add(ws);
    },
    message: (ws, message, isBinary) => {
      // uWS frees `message` when this callback returns. The codecs copy what a
      // request keeps, and receive() copies frames it queues, so no copy here.
      receive(ws, ws.getUserData(), new Uint8Array(message), isBinary);
    },
    drain: (ws) => {
      pump(ws, ws.getUserData());
    },
    close: (ws) => {
      const state = ws.getUserData();
      state.closed = true;
      sockets.delete(ws);
      if (state.counted) opts.budget.release();
    },
  });
  return { sockets };
}

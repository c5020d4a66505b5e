// The WebSocket front door, /v1/ws. Binary frames are Cap'n Proto requests,
// text frames JSON; a reply goes back in the same format as its request, in
// request order per connection. A client may pipeline freely: past
// pipelineMax requests in flight (or too many reply bytes unread) further
// frames wait in the connection's queue, and past connectionQueueBytesMax
// they are answered OVERLOADED, so one client's memory stays bounded. (uWS
// cannot pause a WebSocket's reads, so the queue stands in for TCP pushback.)
//
// Security: an upgrade with an Origin header not allowed is refused (403).
// With a password set, a client authenticates either with `Authorization:
// Bearer <password>` on the upgrade (a wrong one is refused with 401) or,
// since browsers cannot set that header, with an auth text frame first
// (security/ws-auth-frame.ts). Until then any other frame, a wrong password
// or authTimeoutMs of silence closes the connection with 4401 (UNAUTHORIZED).
// A text frame {"op":"status"} subscribes to the dashboard's status feed
// (dashboard/status-frame.ts). Text frames {"op":"watch"} / {"op":"unwatch"}
// and binary Requests whose member is watch / unwatch open and close watches
// (runtime-node/watch/, docs/watch.md).

import '../uws-env.js'; // must precede the uWebSockets.js import
import uWS from 'uWebSockets.js';
import { ErrorCode, WS_CLOSE, type ErrorName } from '../../core/errors.js';
import type { Limits } from '../../core/limits.js';
import type { Reply, Request } from '../../core/protocol/ops.js';
import { decodeRequest, encodeResponse } from '../../schema/binary-codec.js';
import { attachFrame, passedResponse } from '../../schema/binary-passthrough.js';
import { decodeJsonRequest, encodeJsonResponse } from '../../schema/json-codec.js';
import type { ConnectionBudget } from './connection-budget.js';
import { Dispatcher, type RequestExecutor } from '../../core/node/dispatcher.js';
import { OrderedReplies } from './ordered-replies.js';
import { forbiddenOriginMessage, type OriginPolicy } from '../security/origin-policy.js';
import { WWW_AUTHENTICATE, type PasswordGate } from '../security/password-gate.js';
import { authOkFrame, parseAuthFrame } from '../security/ws-auth-frame.js';
import type { Flushable, SendBatcher } from './send-batcher.js';
import { parseStatusFrame, statusPushFrame, type StatusSubscriptions } from '../dashboard/status-frame.js';
import { JSON_WATCH_FRAMES, parseWatchFrame, type WatchFrame } from '../watch/watch-frame.js';
import { BINARY_WATCH_FRAMES } from '../watch/watch-frame-binary.js';
import { WatchSession, type WatchFrames, type WatchSource } from '../watch/watch-session.js';
import { decodeWatchRequest, type BinaryWatchFrame } from '../../schema/binary-watch.js';

export const WS_PATH = '/v1/ws';
/** Seconds without traffic before uWS closes a connection (pings keep healthy clients alive). */
export const WS_IDLE_TIMEOUT_S = 120;
/**
 * How long a connection may stay open without authenticating when a password
 * is set: ample for a client's first frame, short enough that sockets that
 * never authenticate do not hold connection budget for long.
 */
export const WS_AUTH_TIMEOUT_MS = 10_000;

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
  /** False until the password was given (always true when none is set). */
  authenticated: boolean;
  /** Closes the connection if it does not authenticate in time. */
  authTimer: ReturnType<typeof setTimeout> | null;
  /** Ends the dashboard status subscription ({"op":"status"}), if any. */
  unsubscribe: (() => void) | null;
  /** The connection's watches, made at its first watch frame. */
  watch: WatchSession | null;
}

export interface WsFrontOptions {
  limits: Limits;
  dispatcher: RequestExecutor;
  budget: ConnectionBudget;
  isShuttingDown: () => boolean;
  /** Called after every reply leaves, so shutdown can tell when all is done. */
  onIdleCheck: () => void;
  batcher: SendBatcher;
  passwordGate: PasswordGate;
  originPolicy: OriginPolicy;
  /** See WS_AUTH_TIMEOUT_MS. */
  authTimeoutMs: number;
  /** The dashboard's status feed, for {"op":"status"} (dashboard/status-frame.ts); absent: that op is unknown. */
  statusFeed?: StatusSubscriptions;
  /** Where watches come from (runtime-node/watch/: the node's own changes, or a gateway's relay); absent: watch frames are unknown ops. */
  watches?: WatchSource;
  /** Keep each binary request's frame to pass on as it is, and send replies that came as frames as they are (a gateway: schema/binary-passthrough.ts). */
  passBinaryFrames?: boolean;
}

const textDecoder = new TextDecoder();

/** Refuse an upgrade with an HTTP status and the JSON error body of the REST door. */
function refuseUpgrade(res: uWS.HttpResponse, status: string, code: ErrorName, message: string, headers: [string, string][] = []): void {
  res.cork(() => {
    res.writeStatus(status).writeHeader('content-type', 'application/json');
    for (const [name, value] of headers) res.writeHeader(name, value);
    res.end(JSON.stringify({ error: { code, number: ErrorCode[code], message } }));
  });
}

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
      // A watch's frames are not requests (decodeRequest: UNKNOWN_OP); read them only then, off the hot path.
      const watchFrame = opts.watches && !decoded.ok && decoded.error.code === 'UNKNOWN_OP' ? decodeWatchRequest(frame, limits) : null;
      if (watchFrame && !(watchFrame.op === 'bad' && watchFrame.fatal)) return serveWatch(ws, state, watchFrame, BINARY_WATCH_FRAMES);
      if (watchFrame) return void ws.end(WS_CLOSE.BAD_FRAME, `bad frame: ${watchFrame.message}`.slice(0, 120));
      if (!decoded.ok && decoded.fatal) {
        const code = decoded.error.code === 'FRAME_TOO_LARGE' ? WS_CLOSE.FRAME_TOO_LARGE : WS_CLOSE.BAD_FRAME;
        ws.end(code, `bad frame: ${decoded.error.message}`.slice(0, 120));
        return;
      }
      id = decoded.id ?? 0n;
      if (decoded.ok) request = opts.passBinaryFrames ? attachFrame(decoded.request, frame) : decoded.request;
      else immediate = decoded.error;
    } else {
      const text = textDecoder.decode(frame);
      const decoded = decodeJsonRequest(text, limits);
      id = decoded.id ?? null;
      if (decoded.ok) request = decoded.request; else immediate = decoded.error;
      // An auth frame on an authenticated connection (a client that always sends one) is checked again, in order.
      if (!decoded.ok && decoded.error.code === 'UNKNOWN_OP') {
        const auth = parseAuthFrame(text);
        if (auth.kind !== 'other') {
          if (auth.kind === 'bad' || !opts.passwordGate.check(auth.password, 'ws')) {
            ws.end(WS_CLOSE.UNAUTHORIZED, auth.kind === 'bad' ? auth.message : 'wrong password');
            return;
          }
          immediate = { ok: true };
        }
        const status = opts.statusFeed && auth.kind === 'other' ? parseStatusFrame(text) : null;
        if (status) return subscribeStatus(ws, state, status.id);
        const watchFrame = opts.watches && auth.kind === 'other' ? parseWatchFrame(text, limits) : null;
        if (watchFrame) return serveWatch(ws, state, watchFrame, JSON_WATCH_FRAMES);
      }
    }
    if (refuse && !immediate) immediate = refuse;
    const ticket = state.replies.take();
    state.inFlight++;
    const finish = (reply: Reply): void => {
      state.inFlight--;
      const out: Outgoing = isBinary
        ? { bytes: (opts.passBinaryFrames && passedResponse(id as bigint, reply)) || encodeResponse(id as bigint, reply), binary: true }
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

  /** A watch or unwatch frame, JSON or binary: the connection's watch session answers it in that frame's format. */
  const serveWatch = (ws: uWS.WebSocket<ConnectionState>, state: ConnectionState, frame: WatchFrame | BinaryWatchFrame, frames: WatchFrames): void => {
    const session = state.watch ??= new WatchSession(opts.watches!, {
      bufferedBytes: () => ws.getBufferedAmount(),
      sendAll: (out) => ws.cork(() => { for (const f of out) ws.send(f.bytes, f.binary); }),
    }, opts.batcher);
    if (frame.op === 'watch') return session.watch(frame, frames);
    if (frame.op === 'unwatch') return session.unwatch(frame.id, frames);
    session.refuse(frames.error(frame.id, frame.code, frame.message));
  };

  /**
   * Pushes of the status feed go out of band of the ordered replies, tagged
   * with the subscription's id. A page that does not read its pushes skips
   * them (the next one carries fresher numbers) rather than buffering them.
   */
  const subscribeStatus = (ws: uWS.WebSocket<ConnectionState>, state: ConnectionState, id: number | string | null): void => {
    state.unsubscribe?.();
    state.unsubscribe = opts.statusFeed!.subscribe((status) => {
      if (state.closed || ws.getBufferedAmount() >= limits.clientOutputBytesMax) return;
      state.outbox.push({ bytes: statusPushFrame(id, status), binary: false });
      opts.batcher.mark(state.flusher);
    });
  };

  /** A frame before authentication: only an auth frame with the right password is served. */
  const authenticate = (ws: uWS.WebSocket<ConnectionState>, state: ConnectionState, frame: Uint8Array, isBinary: boolean): void => {
    const auth = isBinary ? null : parseAuthFrame(textDecoder.decode(frame));
    if (auth === null || auth.kind === 'other') {
      opts.passwordGate.onFailure('ws');
      ws.end(WS_CLOSE.UNAUTHORIZED, 'authentication required: send {"op":"auth","password":...} first');
      return;
    }
    if (auth.kind === 'bad' || !opts.passwordGate.check(auth.password, 'ws')) {
      if (auth.kind === 'bad') opts.passwordGate.onFailure('ws');
      ws.end(WS_CLOSE.UNAUTHORIZED, auth.kind === 'bad' ? auth.message : 'wrong password');
      return;
    }
    state.authenticated = true;
    if (state.authTimer !== null) clearTimeout(state.authTimer);
    state.authTimer = null;
    // Nothing else was served before this frame, so its reply is the first in order.
    ws.send(authOkFrame(auth.id), false);
  };

  app.ws<ConnectionState>(WS_PATH, {
    maxPayloadLength: limits.frameBytesMax,
    maxBackpressure: limits.clientOutputBytesMax * 2,
    closeOnBackpressureLimit: false,
    idleTimeout: WS_IDLE_TIMEOUT_S,
    sendPingsAutomatically: true,
    compression: uWS.DISABLED,
    upgrade: (res, req, context) => {
      const origin = req.getHeader('origin');
      if (opts.originPolicy.judge(origin) === 'forbidden') {
        return refuseUpgrade(res, '403 Forbidden', 'FORBIDDEN_ORIGIN', forbiddenOriginMessage(origin));
      }
      // A client that sends the header is authenticated (or refused) now; one without it must send an auth frame.
      const hasHeader = req.getHeader('authorization') !== '';
      if (hasHeader && !opts.passwordGate.authorizeHttp(req, 'ws')) {
        return refuseUpgrade(res, '401 Unauthorized', 'UNAUTHORIZED', 'wrong password in the Authorization header',
          [['www-authenticate', WWW_AUTHENTICATE]]);
      }
      const authenticated = !opts.passwordGate.required || hasHeader;
      if (opts.isShuttingDown() || opts.budget.count >= opts.budget.connectionsMax) {
        opts.budget.refused();
        if (opts.isShuttingDown()) return refuseUpgrade(res, '503 Service Unavailable', 'SHUTTING_DOWN', 'the node is shutting down');
        return refuseUpgrade(res, '503 Service Unavailable', 'TOO_MANY_CONNECTIONS', `the node serves at most ${opts.budget.connectionsMax} connections`);
      }
      const state: ConnectionState = { replies: new OrderedReplies<Outgoing>(), outbox: [], flusher: { flush: () => {} }, inFlight: 0, waiting: [], waitingHead: 0, waitingBytes: 0, pumping: false, closed: false, counted: false, authenticated, authTimer: null, unsubscribe: null, watch: null };
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
      if (!state.authenticated) {
        state.authTimer = setTimeout(() => {
          state.authTimer = null;
          if (state.closed || state.authenticated) return;
          opts.passwordGate.onFailure('ws');
          ws.end(WS_CLOSE.UNAUTHORIZED, `no authentication within ${opts.authTimeoutMs} ms`);
        }, opts.authTimeoutMs);
      }
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
      const state = ws.getUserData();
      if (!state.authenticated) return authenticate(ws, state, new Uint8Array(message), isBinary);
      receive(ws, state, new Uint8Array(message), isBinary);
    },
    drain: (ws) => {
      pump(ws, ws.getUserData());
      ws.getUserData().watch?.onDrain();
    },
    close: (ws) => {
      const state = ws.getUserData();
      state.closed = true;
      if (state.authTimer !== null) clearTimeout(state.authTimer);
      state.unsubscribe?.();
      state.watch?.close();
      sockets.delete(ws);
      if (state.counted) opts.budget.release();
    },
  });
  return { sockets };
}

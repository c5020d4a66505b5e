// The REST front door: GET/PUT/DELETE/POST /v1/kv/{key}, GET /v1/kv (scan),
// GET /healthz. Bodies of PUT are stored as raw bytes whatever their content
// type (so a JSON document PUT is stored as that document); POST carries a
// JSON operation in the WebSocket JSON format, minus the key.
// Errors are JSON `{"error":{"code","number","message"}}` with a fitting status.

import '../uws-env.js'; // must precede the uWebSockets.js import
import uWS from 'uWebSockets.js';
import { ErrorCode, HTTP_STATUS, type ErrorName } from '../../core/errors.js';
import type { Limits } from '../../core/limits.js';
import type { ErrReply, Reply, Request } from '../../core/protocol/ops.js';
import { base64ToBytes, bytesToBase64 } from '../../schema/base64.js';
import { replyToJson, requestFromJson } from '../../schema/json-codec.js';
import type { RequestExecutor } from '../../core/node/dispatcher.js';
import { parseQuery, percentDecodeToBytes } from './percent-decode.js';

export const KV_PREFIX = '/v1/kv/';
/** Default and largest SCAN page over REST. */
export const HTTP_SCAN_LIMIT_DEFAULT = 100;

export interface HttpFrontOptions {
  limits: Limits;
  dispatcher: RequestExecutor;
  isShuttingDown: () => boolean;
  health: () => Record<string, unknown>;
  /** Track requests so shutdown can wait for them. */
  onStart: () => void;
  onFinish: () => void;
}

const STATUS_TEXT: Record<number, string> = {
  200: '200 OK', 400: '400 Bad Request', 404: '404 Not Found', 405: '405 Method Not Allowed', 409: '409 Conflict',
  412: '412 Precondition Failed', 413: '413 Payload Too Large', 414: '414 URI Too Long', 500: '500 Internal Server Error',
  503: '503 Service Unavailable',
};

class HttpExchange {
  aborted = false;
  constructor(readonly res: uWS.HttpResponse) {
    res.onAborted(() => { this.aborted = true; });
  }

  send(status: number, contentType: string, body: string | Uint8Array, headers: [string, string][] = []): void {
    if (this.aborted) return;
    this.res.cork(() => {
      this.res.writeStatus(STATUS_TEXT[status] ?? String(status)).writeHeader('content-type', contentType);
      for (const [name, value] of headers) this.res.writeHeader(name, value);
      this.res.end(body);
    });
  }

  json(status: number, value: unknown, headers: [string, string][] = []): void {
    this.send(status, 'application/json', JSON.stringify(value), headers);
  }

  error(code: ErrorName, message: string, extra: Record<string, unknown> = {}): void {
    this.json(HTTP_STATUS[code], { error: { code, number: ErrorCode[code], message, ...extra } });
  }

  errorReply(reply: ErrReply): void {
    this.error(reply.code, reply.message, reply.currentVersion !== undefined ? { currentVersion: reply.currentVersion } : {});
  }
}

/** Read the whole body, refusing it past `bytesMax`. */
function readBody(ex: HttpExchange, bytesMax: number, done: (body: Uint8Array) => void): void {
  const chunks: Uint8Array[] = [];
  let total = 0;
  let refused = false;
  ex.res.onData((chunk, isLast) => {
    if (refused) return;
    total += chunk.byteLength;
    if (total > bytesMax) {
      refused = true;
      ex.error('FRAME_TOO_LARGE', `request body exceeds ${bytesMax} bytes`);
      return;
    }
    chunks.push(new Uint8Array(chunk.slice(0)));
    if (!isLast) return;
    if (chunks.length === 1) return done(chunks[0]!);
    const body = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) { body.set(c, at); at += c.length; }
    done(body);
  });
}

function flag(params: Map<string, string>, name: string): boolean {
  const v = params.get(name);
  return v !== undefined && v !== '0' && v !== 'false';
}

function integerParam(params: Map<string, string>, name: string): number | undefined | null {
  const v = params.get(name);
  if (v === undefined) return undefined;
  return /^\d{1,16}$/.test(v) ? Number(v) : null;
}

function etagVersion(header: string): number | null | undefined {
  if (!header) return undefined;
  const m = /^\s*(?:W\/)?"?(\d{1,16})"?\s*$/.exec(header);
  return m ? Number(m[1]) : null;
}

export function mountHttp(app: uWS.TemplatedApp, opts: HttpFrontOptions): void {
  const { limits, dispatcher } = opts;

  const run = (ex: HttpExchange, request: Request, respond: (reply: Reply) => void): void => {
    if (opts.isShuttingDown()) return ex.error('SHUTTING_DOWN', 'the node is shutting down');
    opts.onStart();
    dispatcher.execute(request, (reply) => {
      try {
        respond(reply);
      } finally {
        opts.onFinish();
      }
    });
  };

  app.get('/healthz', (res) => {
    new HttpExchange(res).json(opts.isShuttingDown() ? 503 : 200, opts.health());
  });

  app.get('/v1/kv', (res, req) => {
    const ex = new HttpExchange(res);
    const params = parseQuery(req.getQuery() ?? '');
    const limit = integerParam(params, 'limit');
    if (limit === null) return ex.error('BAD_REQUEST', 'limit must be a positive integer');
    const cursorText = params.get('cursor') ?? '';
    const cursor = cursorText ? base64ToBytes(cursorText) : new Uint8Array(0);
    if (!cursor) return ex.error('BAD_REQUEST', 'cursor is malformed');
    const prefix = percentDecodeToBytes(params.get('prefix') ?? '') ?? new Uint8Array(0);
    const withValues = params.has('values') ? flag(params, 'values') : true;
    run(ex, { op: 'scan', prefix, cursor, limit: limit ?? HTTP_SCAN_LIMIT_DEFAULT, withValues }, (reply) => {
      if (!reply.ok) return ex.errorReply(reply);
      const json = replyToJson(reply) as { scanItems?: unknown[]; cursor?: string };
      ex.json(200, { items: json.scanItems ?? [], cursor: json.cursor ?? '' });
    });
  });

  app.any('/v1/kv/*', (res, req) => {
    const ex = new HttpExchange(res);
    const method = req.getMethod().toUpperCase();
    const rawKey = req.getUrl().slice(KV_PREFIX.length);
    const key = percentDecodeToBytes(rawKey);
    if (!key) return ex.error('BAD_REQUEST', 'key has a malformed percent escape');
    if (key.length > limits.keyBytesMax) return ex.error('KEY_TOO_LONG', `key is ${key.length} bytes; the limit is ${limits.keyBytesMax}`);
    const params = parseQuery(req.getQuery() ?? '');
    const wantsJson = req.getHeader('accept').includes('application/json');
    const ifMatch = etagVersion(req.getHeader('if-match'));
    const ifNoneMatchAny = req.getHeader('if-none-match').trim() === '*';
    if (ifMatch === null) return ex.error('BAD_REQUEST', 'If-Match must be a version number');

    switch (method) {
      case 'GET': return run(ex, { op: 'get', key }, (reply) => {
        if (!reply.ok) return ex.errorReply(reply);
        if (!reply.found) return ex.error('NOT_FOUND', 'no such key');
        const headers: [string, string][] = [['x-piccolo-version', String(reply.version)], ['etag', `"${reply.version}"`]];
        if (wantsJson) return ex.json(200, replyToJson(reply), headers);
        ex.send(200, 'application/octet-stream', reply.value!, headers);
      });
      case 'PUT': return readBody(ex, limits.frameBytesMax, (body) => {
        let value = body;
        if (params.get('encoding') === 'base64') {
          const decoded = base64ToBytes(new TextDecoder().decode(body).trim());
          if (!decoded) return ex.error('BAD_REQUEST', 'body is not valid base64');
          value = decoded;
        }
        const ttlMs = integerParam(params, 'ttlMs');
        const version = integerParam(params, 'version');
        if (ttlMs === null) return ex.error('BAD_REQUEST', 'ttlMs must be a positive integer');
        if (version === null) return ex.error('BAD_REQUEST', 'version must be a non-negative integer');
        const request: Request = { op: 'set', key, value };
        if (ttlMs !== undefined) request.ttlMs = ttlMs;
        if (flag(params, 'ifAbsent') || ifNoneMatchAny) request.ifAbsent = true;
        if (flag(params, 'ifPresent')) request.ifPresent = true;
        if (flag(params, 'keepTtl')) request.keepTtl = true;
        const expected = version ?? ifMatch;
        if (expected !== undefined) request.expectedVersion = expected;
        run(ex, request, (reply) => {
          if (!reply.ok) return ex.errorReply(reply);
          ex.json(200, replyToJson(reply), [['etag', `"${reply.version}"`]]);
        });
      });
      case 'DELETE': {
        const version = integerParam(params, 'version');
        if (version === null) return ex.error('BAD_REQUEST', 'version must be a non-negative integer');
        const request: Request = { op: 'del', key };
        const expected = version ?? ifMatch;
        if (expected !== undefined) request.expectedVersion = expected;
        return run(ex, request, (reply) => {
          if (!reply.ok) return ex.errorReply(reply);
          if (!reply.found) return ex.error('NOT_FOUND', 'no such key');
          ex.json(200, replyToJson(reply));
        });
      }
      case 'POST': return readBody(ex, limits.frameBytesMax, (body) => {
        let op: Record<string, unknown>;
        try {
          const parsed: unknown = JSON.parse(new TextDecoder().decode(body));
          if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
          op = parsed as Record<string, unknown>;
        } catch {
          return ex.error('BAD_REQUEST', 'POST body must be a JSON object such as {"op":"incr","delta":1}');
        }
        // "cas" is a set with an expected version; everything else is the WebSocket JSON format.
        if (op.op === 'cas') op = { ...op, op: 'set' };
        delete op.key;
        const decoded = requestFromJson({ ...op, keyBase64: bytesToBase64(key) }, limits);
        if (!decoded.ok) return ex.errorReply(decoded.error);
        run(ex, decoded.request, (reply) => {
          if (!reply.ok) return ex.errorReply(reply);
          ex.json(200, replyToJson(reply));
        });
      });
      default:
        return ex.json(405, { error: { code: 'BAD_REQUEST', number: ErrorCode.BAD_REQUEST, message: `method ${method} is not allowed on /v1/kv/{key}` } },
          [['allow', 'GET, PUT, DELETE, POST']]);
    }
  });

  app.any('/*', (res, req) => {
    new HttpExchange(res).json(404, { error: { code: 'NOT_FOUND', number: ErrorCode.NOT_FOUND, message: `no route for ${req.getMethod().toUpperCase()} ${req.getUrl()}` } });
  });
}

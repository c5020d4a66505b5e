// The REST front door: GET/PUT/DELETE/POST /v1/kv/{key}, GET /v1/kv (scan),
// POST /v1/batch (an atomic batch: one transaction), POST /v1/call/{name} (a
// data command: the `call` op), GET /healthz. Bodies of PUT are stored as raw bytes whatever their content
// type (so a JSON document PUT is stored as that document); POST carries a
// JSON operation in the WebSocket JSON format, minus the key.
// Errors are JSON `{"error":{"code","number","message"}}` with a fitting status.
// Every request passes the security checks first (admit / authorize): a
// browser's Origin must be allowed (CORS), and with a password set the
// request needs `Authorization: Bearer <password>`; /healthz answers without
// one but then says only its status. Unknown query parameters are refused.

import '../uws-env.js'; // must precede the uWebSockets.js import
import uWS from 'uWebSockets.js';
import { ErrorCode, HTTP_STATUS, type ErrorName } from '../../core/errors.js';
import type { Limits } from '../../core/limits.js';
import type { ErrReply, Reply, Request } from '../../core/protocol/ops.js';
import { base64ToBytes, bytesToBase64 } from '../../schema/base64.js';
import { replyToJson, requestFromJson } from '../../schema/json-codec.js';
import type { RequestExecutor } from '../../core/node/dispatcher.js';
import { forbiddenOriginMessage, OriginPolicy } from '../security/origin-policy.js';
import { bearerToken, WWW_AUTHENTICATE, type PasswordGate } from '../security/password-gate.js';
import { parseQuery, percentDecodeToBytes } from './percent-decode.js';

export const KV_PREFIX = '/v1/kv/';
export const BATCH_PATH = '/v1/batch';
export const CALL_PREFIX = '/v1/call/';
/** Default and largest SCAN page over REST. */
export const HTTP_SCAN_LIMIT_DEFAULT = 100;

/**
 * The query parameters each route reads. Any other is refused with
 * BAD_REQUEST, so a typo (`ttl` for `ttlMs`) fails instead of being ignored.
 */
const QUERY_PARAMS = {
  scan: ['prefix', 'cursor', 'limit', 'values'],
  get: [],
  put: ['ttlMs', 'ifAbsent', 'ifPresent', 'keepTtl', 'version', 'encoding'],
  delete: ['version'],
  post: [],
  batch: [],
  call: [],
  healthz: [],
  cluster: [],
} as const satisfies Record<string, readonly string[]>;

/** An operator command's JSON body ({"group": 3, "to": 2}) is tiny; anything near this is a mistake. */
const CLUSTER_ADMIN_BODY_BYTES_MAX = 4096;

/** The methods of each route, for 405's Allow header. */
const KEY_METHODS = 'GET, PUT, DELETE, POST, OPTIONS';
const READ_METHODS = 'GET, OPTIONS';
const BATCH_METHODS = 'POST, OPTIONS';

export interface HttpFrontOptions {
  limits: Limits;
  dispatcher: RequestExecutor;
  passwordGate: PasswordGate;
  originPolicy: OriginPolicy;
  isShuttingDown: () => boolean;
  /** The full health report; without a password only its `status` is shown. */
  health: () => Record<string, unknown> & { status: string };
  /** A cluster node's view of the cluster (GET /v1/cluster: the slot map clients route by); absent on a lone node. */
  cluster?: () => Record<string, unknown>;
  /** A cluster node's operator commands (POST /v1/cluster/<action>, runtime-node/cluster/cluster-admin.ts); absent on a lone node. */
  clusterAdmin?: (action: string, body: unknown, authorization: string) => Promise<
    { ok: true; value: Record<string, unknown> } | { ok: false; code: ErrorName; message: string }>;
  /** Track requests so shutdown can wait for them. */
  onStart: () => void;
  onFinish: () => void;
}

const STATUS_TEXT: Record<number, string> = {
  200: '200 OK', 204: '204 No Content', 400: '400 Bad Request', 401: '401 Unauthorized', 403: '403 Forbidden',
  404: '404 Not Found', 405: '405 Method Not Allowed', 409: '409 Conflict',
  412: '412 Precondition Failed', 413: '413 Payload Too Large', 414: '414 URI Too Long', 500: '500 Internal Server Error',
  421: '421 Misdirected Request', 503: '503 Service Unavailable', 504: '504 Gateway Timeout',
};

class HttpExchange {
  aborted = false;
  /** @param always headers every response of this exchange carries (CORS). */
  constructor(readonly res: uWS.HttpResponse, private readonly always: [string, string][] = []) {
    res.onAborted(() => { this.aborted = true; });
  }

  send(status: number, contentType: string | null, body: string | Uint8Array, headers: [string, string][] = []): void {
    if (this.aborted) return;
    this.res.cork(() => {
      this.res.writeStatus(STATUS_TEXT[status] ?? String(status));
      if (contentType !== null) this.res.writeHeader('content-type', contentType);
      for (const [name, value] of this.always) this.res.writeHeader(name, value);
      for (const [name, value] of headers) this.res.writeHeader(name, value);
      this.res.end(body);
    });
  }

  json(status: number, value: unknown, headers: [string, string][] = []): void {
    this.send(status, 'application/json', JSON.stringify(value), headers);
  }

  error(code: ErrorName, message: string, extra: Record<string, unknown> = {}, headers: [string, string][] = []): void {
    this.json(HTTP_STATUS[code], { error: { code, number: ErrorCode[code], message, ...extra } }, headers);
  }

  unauthorized(): void {
    this.error('UNAUTHORIZED', 'this node requires a password: send the header Authorization: Bearer <password>', {},
      [['www-authenticate', WWW_AUTHENTICATE]]);
  }

  methodNotAllowed(method: string, route: string, allow: string): void {
    this.error('METHOD_NOT_ALLOWED', `method ${method} is not allowed on ${route}`, {}, [['allow', allow]]);
  }

  /** Refuse query parameters the route does not read; true when there are none. */
  onlyParams(params: Map<string, string>, known: readonly string[]): boolean {
    for (const name of params.keys()) {
      if (known.includes(name)) continue;
      const expected = known.length === 0 ? 'this request takes no query parameters' : `known: ${known.join(', ')}`;
      this.error('BAD_REQUEST', `unknown query parameter ${JSON.stringify(name.slice(0, 64))} (${expected})`);
      return false;
    }
    return true;
  }

  errorReply(reply: ErrReply): void {
    this.error(reply.code, reply.message, reply.currentVersion !== undefined ? { currentVersion: reply.currentVersion } : {});
  }
}

/**
 * Answer 401 UNAUTHORIZED as every route of this door does, for routes
 * mounted elsewhere (e.g. /metrics):
 * `if (!passwordGate.authorizeHttp(req)) return respondUnauthorized(res);`
 */
export function respondUnauthorized(res: uWS.HttpResponse): void {
  new HttpExchange(res).unauthorized();
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

/** A request body that is one JSON object, or null when it is not. */
function jsonObject(body: Uint8Array): Record<string, unknown> | null {
  try {
    const parsed: unknown = JSON.parse(new TextDecoder().decode(body));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? parsed as Record<string, unknown> : null;
  } catch {
    return null;
  }
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

  /**
   * Start an exchange, or answer it here: a forbidden Origin gets 403, a
   * preflight (OPTIONS) 204. An allowed origin's responses carry CORS headers.
   */
  const admit = (res: uWS.HttpResponse, req: uWS.HttpRequest): HttpExchange | null => {
    const origin = req.getHeader('origin');
    const verdict = opts.originPolicy.judge(origin);
    if (verdict === 'forbidden') {
      new HttpExchange(res).error('FORBIDDEN_ORIGIN', forbiddenOriginMessage(origin));
      return null;
    }
    if (req.getMethod() === 'options') {
      const headers = verdict === 'allowed' ? OriginPolicy.preflightHeaders(origin) : [];
      new HttpExchange(res).send(204, null, '', [...headers, ['allow', KEY_METHODS]]);
      return null;
    }
    return new HttpExchange(res, verdict === 'allowed' ? OriginPolicy.responseHeaders(origin) : []);
  };

  /** Whether the request has the password (or none is set); else answers 401. */
  const authorize = (ex: HttpExchange, req: uWS.HttpRequest): boolean => {
    if (opts.passwordGate.authorizeHttp(req)) return true;
    ex.unauthorized();
    return false;
  };

  app.any('/healthz', (res, req) => {
    const ex = admit(res, req);
    if (!ex) return;
    const method = req.getMethod().toUpperCase();
    if (method !== 'GET') return ex.methodNotAllowed(method, '/healthz', READ_METHODS);
    if (!ex.onlyParams(parseQuery(req.getQuery() ?? ''), QUERY_PARAMS.healthz)) return;
    // Load balancers probe without the password: they learn the status, nothing about the node's layout.
    // A missing or wrong password here is not counted as a failed authentication.
    const gate = opts.passwordGate;
    const full = !gate.required || gate.matches(bearerToken(req.getHeader('authorization')) ?? '');
    const health = opts.health();
    ex.json(opts.isShuttingDown() ? 503 : 200, full ? health : { status: health.status });
  });

  // The slot -> group -> leader map a cluster-aware client routes by (client/cluster-map.ts), and `piccolo cluster status`'s source.
  app.any('/v1/cluster', (res, req) => {
    const ex = admit(res, req);
    if (!ex || !authorize(ex, req)) return;
    const method = req.getMethod().toUpperCase();
    if (method !== 'GET') return ex.methodNotAllowed(method, '/v1/cluster', READ_METHODS);
    if (!ex.onlyParams(parseQuery(req.getQuery() ?? ''), QUERY_PARAMS.cluster)) return;
    if (!opts.cluster) return ex.error('NOT_FOUND', 'this node is not part of a cluster');
    ex.json(200, opts.cluster());
  });

  // Operator commands on a running cluster (cluster-admin.ts): a small JSON body in, a JSON result out.
  app.any('/v1/cluster/:action', (res, req) => {
    const ex = admit(res, req);
    if (!ex || !authorize(ex, req)) return;
    const method = req.getMethod().toUpperCase();
    const action = req.getParameter(0) ?? '';
    const authorization = req.getHeader('authorization');
    if (method !== 'POST') return ex.methodNotAllowed(method, `/v1/cluster/${action.slice(0, 64)}`, 'POST, OPTIONS');
    if (!ex.onlyParams(parseQuery(req.getQuery() ?? ''), QUERY_PARAMS.cluster)) return;
    const admin = opts.clusterAdmin;
    if (!admin) return ex.error('NOT_FOUND', 'this node is not part of a cluster');
    readBody(ex, CLUSTER_ADMIN_BODY_BYTES_MAX, (body) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(Buffer.from(body).toString('utf8'));
      } catch {
        return ex.error('BAD_REQUEST', 'the body must be a JSON object');
      }
      admin(action, parsed, authorization).then(
        (result) => (result.ok ? ex.json(200, result.value) : ex.error(result.code, result.message)),
        (error: unknown) => ex.error('INTERNAL', (error as Error).message),
      );
    });
  });

  app.any('/v1/kv', (res, req) => {
    const ex = admit(res, req);
    if (!ex || !authorize(ex, req)) return;
    const method = req.getMethod().toUpperCase();
    if (method !== 'GET') return ex.methodNotAllowed(method, '/v1/kv', READ_METHODS);
    const params = parseQuery(req.getQuery() ?? '');
    if (!ex.onlyParams(params, QUERY_PARAMS.scan)) return;
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
    const ex = admit(res, req);
    if (!ex || !authorize(ex, req)) return;
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

    const known = method === 'GET' ? QUERY_PARAMS.get : method === 'PUT' ? QUERY_PARAMS.put
      : method === 'DELETE' ? QUERY_PARAMS.delete : method === 'POST' ? QUERY_PARAMS.post : null;
    if (known === null) return ex.methodNotAllowed(method, '/v1/kv/{key}', KEY_METHODS);
    if (!ex.onlyParams(params, known)) return;

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
        let op = jsonObject(body);
        if (op === null) return ex.error('BAD_REQUEST', 'POST body must be a JSON object such as {"op":"incr","delta":1}');
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
    }
  });

  // An atomic batch: {"atomic":true,"ops":[…],"watch":[…]} is one `tx` request (docs/protocol.md).
  app.any(BATCH_PATH, (res, req) => {
    const ex = admit(res, req);
    if (!ex || !authorize(ex, req)) return;
    const method = req.getMethod().toUpperCase();
    if (method !== 'POST') return ex.methodNotAllowed(method, BATCH_PATH, BATCH_METHODS);
    if (!ex.onlyParams(parseQuery(req.getQuery() ?? ''), QUERY_PARAMS.batch)) return;
    readBody(ex, limits.frameBytesMax, (body) => {
      const batch = jsonObject(body);
      if (batch === null) {
        return ex.error('BAD_REQUEST', 'POST /v1/batch body must be a JSON object such as {"atomic":true,"ops":[{"op":"incr","key":"n","delta":1}]}');
      }
      // Only atomic batches exist: a batch that need not be atomic is just requests, sent as such.
      if (batch.atomic !== true) return ex.error('BAD_REQUEST', 'a batch must say "atomic": true (independent requests are sent one by one)');
      const { atomic: _atomic, ...rest } = batch;
      const decoded = requestFromJson({ ...rest, op: 'tx' }, limits);
      if (!decoded.ok) return ex.errorReply(decoded.error);
      run(ex, decoded.request, (reply) => {
        if (!reply.ok) return ex.errorReply(reply);
        ex.json(200, replyToJson(reply));
      });
    });
  });

  // A data command: POST /v1/call/hset with {"args":["h","f","v"]} is {"op":"call","name":"hset","args":[…]} (docs/protocol.md).
  app.any(`${CALL_PREFIX}:name`, (res, req) => {
    const ex = admit(res, req);
    if (!ex || !authorize(ex, req)) return;
    const method = req.getMethod().toUpperCase();
    // Command names are case-insensitive in Redis; the path is typed by people, so HSET is hset here.
    const name = (req.getParameter(0) ?? '').toLowerCase();
    if (method !== 'POST') return ex.methodNotAllowed(method, `${CALL_PREFIX}{name}`, BATCH_METHODS);
    if (!ex.onlyParams(parseQuery(req.getQuery() ?? ''), QUERY_PARAMS.call)) return;
    readBody(ex, limits.frameBytesMax, (body) => {
      // An empty body is a call without arguments.
      const fields = body.length === 0 ? {} : jsonObject(body);
      if (fields === null) return ex.error('BAD_REQUEST', `POST ${CALL_PREFIX}{name} body must be a JSON object such as {"args":["h","f","v"]}`);
      if (fields.op !== undefined || fields.name !== undefined) {
        return ex.error('BAD_REQUEST', `the command is named by the path (${CALL_PREFIX}{name}): the body holds only "args" or "argsBase64"`);
      }
      const decoded = requestFromJson({ ...fields, op: 'call', name }, limits);
      if (!decoded.ok) return ex.errorReply(decoded.error);
      run(ex, decoded.request, (reply) => {
        if (!reply.ok) return ex.errorReply(reply);
        ex.json(200, replyToJson(reply));
      });
    });
  });

  app.any('/*', (res, req) => {
    const ex = admit(res, req);
    if (!ex || !authorize(ex, req)) return;
    ex.error('NOT_FOUND', `no route for ${req.getMethod().toUpperCase()} ${req.getUrl().slice(0, 200)}`);
  });
}

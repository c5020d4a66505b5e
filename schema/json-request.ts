// JSON requests (WebSocket text frames): the client encodes, the server
// decodes. decodeJsonRequest never throws: every input becomes a request or
// an error reply, and since a text frame's boundary survives any content,
// only an oversized frame is fatal to the connection.

import type { Limits } from '../core/limits.js';
import {
  errReply, OP_NAMES, type ErrReply, type ExpireRequest, type GetExRequest, type OpName, type Request,
} from '../core/protocol/ops.js';
import { unreachable } from '../core/assert.js';
import { TX_OPS_MAX } from '../core/protocol/transaction.js';
import { validateRequest } from '../core/protocol/validate.js';
import { base64ToBytes, bytesToBase64 } from './base64.js';
import { bigintToJson, isPlainObject, jsonToBigint, putBytes } from './json-bytes.js';
import type { JsonId } from './json-reply.js';
import { utf8DecodeExact, isWellFormedText, utf8Encode } from './utf8.js';

export type DecodedJsonRequest =
  | { ok: true; id: JsonId; request: Request }
  /** id is null when the frame is not JSON, not an object, or its id is missing or invalid. */
  | { ok: false; id: JsonId | null; error: ErrReply; fatal: boolean };

/**
 * Longest string id. The id is echoed in the reply, so an unbounded id would
 * let a client make every reply as large as its requests; 256 characters
 * holds any UUID, ULID or trace id with room to spare.
 */
export const JSON_ID_CHARS_MAX = 256;

export function decodeJsonRequest(text: string, limits: Limits): DecodedJsonRequest {
  // UTF-16 length is at most the UTF-8 byte length, so this never refuses a
  // frame within the limit; the server checks the exact byte size first.
  if (text.length > limits.frameBytesMax) {
    return {
      ok: false, id: null, fatal: true,
      error: errReply('FRAME_TOO_LARGE', `frame is over ${limits.frameBytesMax} bytes`),
    };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    return { ok: false, id: null, fatal: false, error: errReply('BAD_FRAME', `text frame is not valid JSON: ${(cause as Error).message}`) };
  }
  if (!isPlainObject(parsed)) {
    return { ok: false, id: null, fatal: false, error: errReply('BAD_REQUEST', 'a request must be a JSON object') };
  }
  const id = parsed.id;
  if (!isJsonId(id)) {
    const message = id === undefined
      ? 'id is required'
      : `id must be an integer from 0 to 2^53-1 or a string of at most ${JSON_ID_CHARS_MAX} characters`;
    return { ok: false, id: null, fatal: false, error: errReply('BAD_REQUEST', message) };
  }
  const result = requestFromJson(parsed, limits);
  return result.ok ? { ok: true, id, request: result.request } : { ok: false, id, fatal: false, error: result.error };
}

export function isJsonId(id: unknown): id is JsonId {
  if (typeof id === 'number') return Number.isSafeInteger(id) && id >= 0;
  return typeof id === 'string' && id.length <= JSON_ID_CHARS_MAX;
}

/**
 * The Request for a JSON request object (an "id" field is allowed and
 * ignored), validated against the limits. For front doors that take the
 * same JSON shape in other envelopes (HTTP bodies).
 */
export function requestFromJson(json: unknown, limits: Limits): { ok: true; request: Request } | { ok: false; error: ErrReply } {
  let request: Request;
  try {
    if (!isPlainObject(json)) reject('BAD_REQUEST', 'a request must be a JSON object');
    request = readRequest(json, limits);
  } catch (cause) {
    if (cause instanceof RequestRejected) return { ok: false, error: cause.reply };
    throw cause; // a bug in this module, not bad input
  }
  const invalid = validateRequest(request, limits);
  return invalid ? { ok: false, error: invalid } : { ok: true, request };
}

/** Thrown inside readRequest for an unacceptable request; never escapes this module. */
class RequestRejected {
  constructor(readonly reply: ErrReply) {}
}

function reject(code: 'BAD_REQUEST' | 'UNKNOWN_OP' | 'LIMIT_EXCEEDED', message: string): never {
  throw new RequestRejected(errReply(code, message));
}

const KEY = ['key', 'keyBase64'];
const VALUE = ['value', 'valueBase64'];
const TTL = ['ttlMs', 'expireAtMs'];

/** The fields each op accepts besides "id" and "op"; anything else is refused so that typos do not pass silently. */
const FIELDS: Readonly<Record<OpName, ReadonlySet<string>>> = {
  get: new Set(KEY),
  set: new Set([...KEY, ...VALUE, ...TTL, 'ifAbsent', 'ifPresent', 'expectedVersion', 'keepTtl', 'returnPrevious']),
  del: new Set([...KEY, 'expectedVersion', 'returnPrevious']),
  incr: new Set([...KEY, 'delta']),
  incrFloat: new Set([...KEY, 'delta']),
  append: new Set([...KEY, ...VALUE]),
  exists: new Set(KEY),
  ttl: new Set(KEY),
  expire: new Set([...KEY, ...TTL]),
  getRange: new Set([...KEY, 'start', 'end']),
  setRange: new Set([...KEY, 'offset', ...VALUE]),
  getEx: new Set([...KEY, ...TTL, 'persist']),
  scan: new Set(['prefix', 'prefixBase64', 'cursor', 'limit', 'withValues']),
  mget: new Set(['keys', 'keysBase64']),
  mset: new Set(['entries', 'ifNoneExist']),
  count: new Set(),
  flush: new Set(),
  tx: new Set(['ops', 'watch']),
  call: new Set(['name', 'args', 'argsBase64']),
};

const WATCH_FIELDS: ReadonlySet<string> = new Set([...KEY, 'version']);

const ENTRY_FIELDS: ReadonlySet<string> = new Set([...KEY, ...VALUE]);

function readOp(json: Record<string, unknown>): OpName {
  const op = json.op;
  if (op === undefined) reject('BAD_REQUEST', 'op is required');
  if (typeof op !== 'string') reject('BAD_REQUEST', 'op must be a string');
  if (!(OP_NAMES as readonly string[]).includes(op)) reject('UNKNOWN_OP', `unknown op ${JSON.stringify(op.slice(0, 64))}`);
  return op as OpName;
}

function readRequest(json: Record<string, unknown>, limits: Limits): Request {
  const op = readOp(json);
  const allowed = FIELDS[op];
  for (const name of Object.keys(json)) {
    if (name !== 'id' && name !== 'op' && !allowed.has(name)) {
      reject('BAD_REQUEST', `unknown field ${JSON.stringify(name.slice(0, 64))} for op "${op}"`);
    }
  }
  switch (op) {
    case 'get': case 'exists': case 'ttl':
      return { op, key: bytes(json, 'key') };
    case 'set': {
      const req: Request = { op, key: bytes(json, 'key'), value: bytes(json, 'value') };
      if (flag(json, 'ifAbsent')) req.ifAbsent = true;
      if (flag(json, 'ifPresent')) req.ifPresent = true;
      const expectedVersion = optionalNumber(json, 'expectedVersion');
      if (expectedVersion !== undefined) req.expectedVersion = expectedVersion;
      const ttlMs = optionalNumber(json, 'ttlMs');
      if (ttlMs !== undefined) req.ttlMs = ttlMs;
      const expireAtMs = optionalNumber(json, 'expireAtMs');
      if (expireAtMs !== undefined) req.expireAtMs = expireAtMs;
      if (flag(json, 'keepTtl')) req.keepTtl = true;
      if (flag(json, 'returnPrevious')) req.returnPrevious = true;
      return req;
    }
    case 'del': {
      const req: Request = { op, key: bytes(json, 'key') };
      const expectedVersion = optionalNumber(json, 'expectedVersion');
      if (expectedVersion !== undefined) req.expectedVersion = expectedVersion;
      if (flag(json, 'returnPrevious')) req.returnPrevious = true;
      return req;
    }
    case 'incr': {
      const delta = jsonToBigint(json.delta);
      if (delta === null) {
        reject('BAD_REQUEST', 'delta must be an integer: a JSON number up to 2^53-1 in size, or a decimal string for the full 64-bit range');
      }
      return { op, key: bytes(json, 'key'), delta };
    }
    case 'incrFloat':
      return { op, key: bytes(json, 'key'), delta: requiredNumber(json, 'delta') };
    case 'append':
      return { op, key: bytes(json, 'key'), value: bytes(json, 'value') };
    case 'expire': case 'getEx': {
      const req: ExpireRequest | GetExRequest = { op, key: bytes(json, 'key') };
      const ttlMs = optionalNumber(json, 'ttlMs');
      if (ttlMs !== undefined) req.ttlMs = ttlMs;
      const expireAtMs = optionalNumber(json, 'expireAtMs');
      if (expireAtMs !== undefined) req.expireAtMs = expireAtMs;
      if (req.op === 'getEx' && flag(json, 'persist')) req.persist = true;
      return req;
    }
    case 'getRange':
      return { op, key: bytes(json, 'key'), start: requiredNumber(json, 'start'), end: requiredNumber(json, 'end') };
    case 'setRange':
      return { op, key: bytes(json, 'key'), offset: requiredNumber(json, 'offset'), value: bytes(json, 'value') };
    case 'scan': {
      const req: Request = {
        op, prefix: bytes(json, 'prefix', 'optional'), cursor: cursor(json.cursor), limit: requiredNumber(json, 'limit'),
      };
      if (flag(json, 'withValues')) req.withValues = true;
      return req;
    }
    case 'mget':
      return { op, keys: keyList(json, limits) };
    case 'mset': {
      const req: Request = { op, entries: entryList(json.entries, limits) };
      if (flag(json, 'ifNoneExist')) req.ifNoneExist = true;
      return req;
    }
    case 'count': case 'flush':
      return { op };
    case 'tx':
      return { op, ops: txOpList(json.ops, limits), watch: watchList(json.watch, limits) };
    case 'call':
      return { op, name: callName(json.name), args: bytesList(json, 'args', 'optional') };
    default:
      return unreachable(op, 'op');
  }
}

/** Bytes given as UTF-8 text (`name`) or base64 (`name`Base64); exactly one of the two unless optional. */
function bytes(json: Record<string, unknown>, name: string, presence: 'required' | 'optional' = 'required'): Uint8Array {
  const base64Name = `${name}Base64`;
  const text = json[name] ?? undefined;
  const base64 = json[base64Name] ?? undefined;
  if (text !== undefined && base64 !== undefined) reject('BAD_REQUEST', `give ${name} or ${base64Name}, not both`);
  if (text !== undefined) return textBytes(text, name);
  if (base64 !== undefined) return base64Bytes(base64, base64Name);
  if (presence === 'optional') return new Uint8Array(0);
  return reject('BAD_REQUEST', `${name} (or ${base64Name}) is required`);
}

function textBytes(text: unknown, name: string): Uint8Array {
  if (typeof text !== 'string') reject('BAD_REQUEST', `${name} must be a string`);
  if (!isWellFormedText(text)) reject('BAD_REQUEST', `${name} has an unpaired UTF-16 surrogate; send bytes that are not text as ${name}Base64`);
  return utf8Encode(text);
}

function base64Bytes(base64: unknown, name: string): Uint8Array {
  const decoded = typeof base64 === 'string' ? base64ToBytes(base64) : null;
  if (decoded === null) reject('BAD_REQUEST', `${name} must be a standard base64 string`);
  return decoded;
}

function cursor(value: unknown): Uint8Array {
  if (value === undefined || value === null) return new Uint8Array(0);
  const decoded = typeof value === 'string' ? base64ToBytes(value) : null;
  if (decoded === null) reject('BAD_REQUEST', 'cursor is malformed: pass back the cursor string of the previous page');
  return decoded;
}

/** A boolean option; absent and null mean false. */
function flag(json: Record<string, unknown>, name: string): boolean {
  const value = json[name] ?? false;
  if (typeof value !== 'boolean') reject('BAD_REQUEST', `${name} must be true or false`);
  return value;
}

/** A numeric option; absent and null mean not given. Range checks are validateRequest's. */
function optionalNumber(json: Record<string, unknown>, name: string): number | undefined {
  const value = json[name] ?? undefined;
  if (value !== undefined && typeof value !== 'number') reject('BAD_REQUEST', `${name} must be a number`);
  return value;
}

function requiredNumber(json: Record<string, unknown>, name: string): number {
  const value = optionalNumber(json, name);
  if (value === undefined) reject('BAD_REQUEST', `${name} is required`);
  return value;
}

/** Checked before converting each element, so a huge array costs no more than the refusal. */
function batchArray(value: unknown, name: string, limits: Limits): unknown[] {
  if (!Array.isArray(value)) reject('BAD_REQUEST', `${name} must be an array`);
  if (value.length > limits.batchKeysMax) {
    reject('LIMIT_EXCEEDED', `${name} has ${value.length} elements; the limit is ${limits.batchKeysMax}`);
  }
  return value;
}

function keyList(json: Record<string, unknown>, limits: Limits): Uint8Array[] {
  return bytesList(json, 'keys', 'required', limits);
}

/**
 * A list of bytes: all text (`name`) or all base64 (`name`Base64). With
 * limits, its length is judged against batchKeysMax before any element is
 * converted; without (a call's arguments), validateRequest judges it.
 */
function bytesList(json: Record<string, unknown>, name: string, presence: 'required' | 'optional', limits?: Limits): Uint8Array[] {
  const base64Name = `${name}Base64`;
  const texts = json[name] ?? undefined;
  const base64s = json[base64Name] ?? undefined;
  if (texts !== undefined && base64s !== undefined) reject('BAD_REQUEST', `give ${name} or ${base64Name}, not both`);
  const list = (value: unknown, listName: string): unknown[] => {
    if (limits !== undefined) return batchArray(value, listName, limits);
    if (!Array.isArray(value)) reject('BAD_REQUEST', `${listName} must be an array`);
    return value;
  };
  if (texts !== undefined) return list(texts, name).map((k, i) => textBytes(k, `${name}[${i}]`));
  if (base64s !== undefined) return list(base64s, base64Name).map((k, i) => base64Bytes(k, `${base64Name}[${i}]`));
  if (presence === 'optional') return [];
  return reject('BAD_REQUEST', `${name} (or ${base64Name}) is required`);
}

/**
 * Longest command name the JSON door reads: Redis's longest is under 30
 * characters; the bound keeps an error message quoting it short.
 */
const CALL_NAME_CHARS_MAX = 64;

/** A data command's name: a string, passed on as given (validation knows the commands). */
function callName(value: unknown): string {
  if (value === undefined || value === null) reject('BAD_REQUEST', 'name is required: the data command, e.g. "hset"');
  if (typeof value !== 'string') reject('BAD_REQUEST', 'name must be a string');
  if (value.length > CALL_NAME_CHARS_MAX) reject('BAD_REQUEST', `name is longer than ${CALL_NAME_CHARS_MAX} characters`);
  return value;
}

function entryList(value: unknown, limits: Limits): { key: Uint8Array; value: Uint8Array }[] {
  if (value === undefined || value === null) reject('BAD_REQUEST', 'entries is required');
  return batchArray(value, 'entries', limits).map((entry, i) => {
    if (!isPlainObject(entry)) reject('BAD_REQUEST', `entries[${i}] must be an object with key and value`);
    for (const name of Object.keys(entry)) {
      if (!ENTRY_FIELDS.has(name)) reject('BAD_REQUEST', `unknown field ${JSON.stringify(name.slice(0, 64))} in entries[${i}]`);
    }
    return { key: bytes(entry, 'key'), value: bytes(entry, 'value') };
  });
}

/** A transaction's ops: request objects (no "id"), counted before any is read. */
function txOpList(value: unknown, limits: Limits): Request[] {
  if (!Array.isArray(value)) reject('BAD_REQUEST', 'ops must be an array of requests');
  if (value.length > TX_OPS_MAX) reject('LIMIT_EXCEEDED', `ops has ${value.length} requests; the limit is ${TX_OPS_MAX}`);
  return value.map((op, i) => {
    if (!isPlainObject(op)) reject('BAD_REQUEST', `ops[${i}] must be a request object`);
    if (op.id !== undefined) reject('BAD_REQUEST', `ops[${i}] must not have an id: the transaction has one`);
    return readRequest(op, limits);
  });
}

/** A transaction's watched keys: `{key, version}` (version 0: absent), as a read returned them; absent field: none. */
function watchList(value: unknown, limits: Limits): { key: Uint8Array; version: number }[] {
  if (value === undefined || value === null) return [];
  return batchArray(value, 'watch', limits).map((entry, i) => {
    if (!isPlainObject(entry)) reject('BAD_REQUEST', `watch[${i}] must be an object with key and version`);
    for (const name of Object.keys(entry)) {
      if (!WATCH_FIELDS.has(name)) reject('BAD_REQUEST', `unknown field ${JSON.stringify(name.slice(0, 64))} in watch[${i}]`);
    }
    return { key: bytes(entry, 'key'), version: requiredNumber(entry, 'version') };
  });
}

/** One list form for the whole list: `name` when every element is text, else `name`Base64. */
function putBytesList(out: Record<string, unknown>, name: string, list: readonly Uint8Array[]): void {
  const texts = list.map(utf8DecodeExact);
  if (texts.every((t) => t !== null)) out[name] = texts;
  else out[`${name}Base64`] = list.map(bytesToBase64);
}

/** One JSON request frame (the client side). */
export function encodeJsonRequest(id: JsonId, req: Request): string {
  const out: Record<string, unknown> = { id };
  writeRequest(out, req);
  return JSON.stringify(out);
}

/** The plain JSON object for a request, without an id. */
export function requestToJson(req: Request): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  writeRequest(out, req);
  return out;
}

function writeRequest(out: Record<string, unknown>, req: Request): void {
  out.op = req.op;
  switch (req.op) {
    case 'get': case 'exists': case 'ttl':
      putBytes(out, 'key', req.key);
      return;
    case 'set':
      putBytes(out, 'key', req.key);
      putBytes(out, 'value', req.value);
      if (req.ifAbsent) out.ifAbsent = true;
      if (req.ifPresent) out.ifPresent = true;
      if (req.expectedVersion !== undefined) out.expectedVersion = req.expectedVersion;
      if (req.ttlMs !== undefined) out.ttlMs = req.ttlMs;
      if (req.expireAtMs !== undefined) out.expireAtMs = req.expireAtMs;
      if (req.keepTtl) out.keepTtl = true;
      if (req.returnPrevious) out.returnPrevious = true;
      return;
    case 'del':
      putBytes(out, 'key', req.key);
      if (req.expectedVersion !== undefined) out.expectedVersion = req.expectedVersion;
      if (req.returnPrevious) out.returnPrevious = true;
      return;
    case 'incr':
      putBytes(out, 'key', req.key);
      out.delta = bigintToJson(req.delta);
      return;
    case 'incrFloat':
      putBytes(out, 'key', req.key);
      out.delta = req.delta;
      return;
    case 'append':
      putBytes(out, 'key', req.key);
      putBytes(out, 'value', req.value);
      return;
    case 'expire': case 'getEx':
      putBytes(out, 'key', req.key);
      if (req.ttlMs !== undefined) out.ttlMs = req.ttlMs;
      if (req.expireAtMs !== undefined) out.expireAtMs = req.expireAtMs;
      if (req.op === 'getEx' && req.persist) out.persist = true;
      return;
    case 'getRange':
      putBytes(out, 'key', req.key);
      out.start = req.start;
      out.end = req.end;
      return;
    case 'setRange':
      putBytes(out, 'key', req.key);
      out.offset = req.offset;
      putBytes(out, 'value', req.value);
      return;
    case 'scan':
      if (req.prefix.length > 0) putBytes(out, 'prefix', req.prefix);
      if (req.cursor.length > 0) out.cursor = bytesToBase64(req.cursor);
      out.limit = req.limit;
      if (req.withValues) out.withValues = true;
      return;
    case 'mget':
      putBytesList(out, 'keys', req.keys);
      return;
    case 'mset':
      out.entries = req.entries.map(({ key, value }) => {
        const entry: Record<string, unknown> = {};
        putBytes(entry, 'key', key);
        putBytes(entry, 'value', value);
        return entry;
      });
      if (req.ifNoneExist) out.ifNoneExist = true;
      return;
    case 'count': case 'flush':
      return;
    case 'tx':
      out.ops = req.ops.map(requestToJson);
      out.watch = req.watch.map(({ key, version }) => {
        const entry: Record<string, unknown> = { version };
        putBytes(entry, 'key', key);
        return entry;
      });
      return;
    case 'call':
      out.name = req.name;
      putBytesList(out, 'args', req.args);
      return;
    default:
      unreachable(req, 'request op');
  }
}

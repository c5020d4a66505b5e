// JSON replies (WebSocket text frames; the HTTP front door reuses
// replyToJson for its bodies). The server encodes, the client decodes.

import { ErrorCode, errorName, type ErrorName } from '../core/errors.js';
import type { ErrReply, ItemReply, OkReply, Reply, ScanItem } from '../core/protocol/ops.js';
import { base64ToBytes, bytesToBase64 } from './base64.js';
import { bigintToJson, isPlainObject, jsonToBigint, putBytes } from './json-bytes.js';
import { dataValueFromJson, dataValueToJson } from './json-data-value.js';
import { utf8Encode } from './utf8.js';
import { WireDecodeError } from './wire-errors.js';

/** A JSON request id: echoed back exactly as sent. */
export type JsonId = number | string;

export interface JsonItem { found: boolean; value?: string; valueBase64?: string; version?: number }
export interface JsonScanItem { key?: string; keyBase64?: string; value?: string; valueBase64?: string; version: number }

export interface JsonOkReply {
  ok: true;
  found?: boolean;
  value?: string;
  valueBase64?: string;
  version?: number;
  /** A JSON number while exact (|n| <= 2^53-1), else a decimal string. */
  integer?: number | string;
  previousFound?: boolean;
  previousValue?: string;
  previousValueBase64?: string;
  items?: JsonItem[];
  scanItems?: JsonScanItem[];
  /** Always base64 (cursors are opaque bytes); "" = the scan is finished. */
  cursor?: string;
  /** A transaction's: one reply per op, in order (absent when a watched key changed: found false). */
  replies?: JsonReply[];
  /** A data command's reply tree in plain JSON (schema/json-data-value.ts; null: nil). */
  data?: unknown;
}

export interface JsonErrorReply {
  ok: false;
  error: { code: ErrorName; number: number; message: string; currentVersion?: number };
}

export type JsonReply = JsonOkReply | JsonErrorReply;

/** The plain JSON object for a reply, without an id. */
export function replyToJson(reply: Reply): JsonReply {
  const out: Record<string, unknown> = {};
  writeReply(out, reply);
  return out as unknown as JsonReply;
}

/**
 * One JSON response frame. `id` is echoed: a string or finite number as is,
 * a bigint as a number (or a decimal string beyond 2^53), anything else as
 * null (a request whose id could not be read).
 */
export function encodeJsonResponse(id: unknown, reply: Reply): string {
  const out: Record<string, unknown> = { id: jsonIdOrNull(id) };
  writeReply(out, reply);
  return JSON.stringify(out);
}

function jsonIdOrNull(id: unknown): JsonId | null {
  if (typeof id === 'string') return id;
  if (typeof id === 'number') return Number.isFinite(id) ? id : null;
  if (typeof id === 'bigint') return bigintToJson(id);
  return null;
}

function writeReply(out: Record<string, unknown>, reply: Reply): void {
  out.ok = reply.ok;
  if (!reply.ok) {
    const error: JsonErrorReply['error'] = { code: reply.code, number: ErrorCode[reply.code], message: reply.message };
    if (reply.currentVersion !== undefined) error.currentVersion = reply.currentVersion;
    out.error = error;
    return;
  }
  if (reply.found !== undefined) out.found = reply.found;
  if (reply.value !== undefined) putBytes(out, 'value', reply.value);
  if (reply.version !== undefined) out.version = reply.version;
  if (reply.integer !== undefined) out.integer = bigintToJson(reply.integer);
  if (reply.previousFound !== undefined) out.previousFound = reply.previousFound;
  if (reply.previousValue !== undefined) putBytes(out, 'previousValue', reply.previousValue);
  if (reply.items !== undefined) out.items = reply.items.map(itemToJson);
  if (reply.scanItems !== undefined) out.scanItems = reply.scanItems.map(scanItemToJson);
  if (reply.cursor !== undefined) out.cursor = bytesToBase64(reply.cursor);
  if (reply.replies !== undefined) out.replies = reply.replies.map(replyToJson);
  if (reply.data !== undefined) out.data = dataValueToJson(reply.data);
}

function itemToJson(item: ItemReply): JsonItem {
  const out: Record<string, unknown> = { found: item.found };
  if (item.value !== undefined) putBytes(out, 'value', item.value);
  if (item.version !== undefined) out.version = item.version;
  return out as unknown as JsonItem;
}

function scanItemToJson(item: ScanItem): JsonScanItem {
  const out: Record<string, unknown> = {};
  putBytes(out, 'key', item.key);
  if (item.value !== undefined) putBytes(out, 'value', item.value);
  out.version = item.version;
  return out as unknown as JsonScanItem;
}

/** Reads one JSON response frame (the client side). Throws WireDecodeError for anything that is not a valid response. */
export function decodeJsonResponse(text: string): { id: JsonId | null; reply: Reply } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new WireDecodeError(`response frame is not valid JSON: ${(cause as Error).message}`, { cause });
  }
  if (!isPlainObject(value)) throw new WireDecodeError('response must be a JSON object');
  const id = value.id;
  if (id !== null && typeof id !== 'string' && !(typeof id === 'number' && Number.isFinite(id))) {
    throw new WireDecodeError('response id must be a number, a string or null');
  }
  return { id, reply: replyFromJson(value) };
}

/** The Reply for a JSON reply object (as made by replyToJson). Throws WireDecodeError when it is not one. */
export function replyFromJson(json: unknown): Reply {
  if (!isPlainObject(json)) throw new WireDecodeError('reply must be a JSON object');
  if (json.ok === false) return errorFromJson(json.error);
  if (json.ok !== true) throw new WireDecodeError('reply needs "ok": true or false');
  const reply: OkReply = { ok: true };
  const found = optionalBoolean(json, 'found');
  if (found !== undefined) reply.found = found;
  const value = optionalBytes(json, 'value');
  if (value !== undefined) reply.value = value;
  const version = optionalVersion(json, 'version');
  if (version !== undefined) reply.version = version;
  if (json.integer !== undefined) {
    const integer = jsonToBigint(json.integer);
    if (integer === null) throw new WireDecodeError('integer must be an integer number or a decimal string');
    reply.integer = integer;
  }
  const previousFound = optionalBoolean(json, 'previousFound');
  if (previousFound !== undefined) reply.previousFound = previousFound;
  const previousValue = optionalBytes(json, 'previousValue');
  if (previousValue !== undefined) reply.previousValue = previousValue;
  if (json.items !== undefined) reply.items = arrayOf(json.items, 'items').map(itemFromJson);
  if (json.scanItems !== undefined) reply.scanItems = arrayOf(json.scanItems, 'scanItems').map(scanItemFromJson);
  if (json.cursor !== undefined) reply.cursor = base64Field(json.cursor, 'cursor');
  if (json.replies !== undefined) reply.replies = arrayOf(json.replies, 'replies').map(replyFromJson);
  // "data": null is a nil reply, so only an absent field means no data.
  if (Object.hasOwn(json, 'data')) reply.data = dataValueFromJson(json.data);
  return reply;
}

function errorFromJson(error: unknown): ErrReply {
  if (!isPlainObject(error)) throw new WireDecodeError('an error reply needs an "error" object');
  if (typeof error.message !== 'string') throw new WireDecodeError('error.message must be a string');
  const byName = typeof error.code === 'string' && Object.hasOwn(ErrorCode, error.code) ? error.code as ErrorName : undefined;
  const byNumber = typeof error.number === 'number' ? errorName(error.number) : undefined;
  const code = byName ?? byNumber;
  const reply: ErrReply = code !== undefined
    ? { ok: false, code, message: error.message }
    // A newer server's code this client does not know: keep the detail visible.
    : { ok: false, code: 'INTERNAL', message: `unknown error ${String(error.number)} (${String(error.code)}): ${error.message}` };
  const currentVersion = optionalVersion(error, 'currentVersion');
  if (currentVersion !== undefined) reply.currentVersion = currentVersion;
  return reply;
}

function itemFromJson(json: unknown): ItemReply {
  if (!isPlainObject(json) || typeof json.found !== 'boolean') throw new WireDecodeError('items[] entries need "found"');
  const item: ItemReply = { found: json.found };
  const value = optionalBytes(json, 'value');
  if (value !== undefined) item.value = value;
  const version = optionalVersion(json, 'version');
  if (version !== undefined) item.version = version;
  return item;
}

function scanItemFromJson(json: unknown): ScanItem {
  if (!isPlainObject(json)) throw new WireDecodeError('scanItems[] entries must be objects');
  const key = optionalBytes(json, 'key');
  const version = optionalVersion(json, 'version');
  if (key === undefined || version === undefined) throw new WireDecodeError('scanItems[] entries need a key and a version');
  const item: ScanItem = { key, version };
  const value = optionalBytes(json, 'value');
  if (value !== undefined) item.value = value;
  return item;
}

function optionalBoolean(json: Record<string, unknown>, name: string): boolean | undefined {
  const v = json[name];
  if (v === undefined || typeof v === 'boolean') return v;
  throw new WireDecodeError(`${name} must be a boolean`);
}

function optionalVersion(json: Record<string, unknown>, name: string): number | undefined {
  const v = json[name];
  if (v === undefined) return undefined;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  throw new WireDecodeError(`${name} must be a non-negative integer`);
}

function optionalBytes(json: Record<string, unknown>, name: string): Uint8Array | undefined {
  const text = json[name];
  const base64 = json[`${name}Base64`];
  if (text !== undefined && base64 !== undefined) throw new WireDecodeError(`${name} and ${name}Base64 exclude each other`);
  if (text !== undefined) {
    if (typeof text !== 'string') throw new WireDecodeError(`${name} must be a string`);
    return utf8Encode(text);
  }
  if (base64 !== undefined) return base64Field(base64, `${name}Base64`);
  return undefined;
}

function base64Field(value: unknown, name: string): Uint8Array {
  const bytes = typeof value === 'string' ? base64ToBytes(value) : null;
  if (bytes === null) throw new WireDecodeError(`${name} must be a base64 string`);
  return bytes;
}

function arrayOf(value: unknown, name: string): unknown[] {
  if (!Array.isArray(value)) throw new WireDecodeError(`${name} must be an array`);
  return value;
}

// A watch's frames as the typed client writes and reads them, in either wire
// format (docs/protocol.md, "Watches"): JSON text frames, or Cap'n Proto
// binary frames (schema/binary-watch.ts). Both give the same change objects,
// and the same resume token strings, so a token saved from one format
// resumes a watch in the other.

import { base64ToBytes, bytesToBase64 } from '../schema/base64.js';
import { decodeWatchResponse, encodeWatchRequest, type WatchTarget } from '../schema/binary-watch.js';
import { decodeJsonResponse } from '../schema/json-reply.js';
import { errorFromReply, ProtocolError, type PiccoloError } from './errors.js';
import { asBytes, type FormatName, type Frame } from './wire-format.js';

export interface WatchChange {
  key: Uint8Array;
  kind: 'set' | 'delete' | 'expire';
  /** The value after a 'set'; null for 'delete' and 'expire', and for a write to a collection (hset, lpush, ...). */
  value: Uint8Array | null;
  /** The key's version after the change (the log index that made it). */
  version: number;
  /** Pass as `after` to resume right after this change. */
  resume: string;
}

/** What one frame says about the watch. */
export type WatchEvent =
  | { kind: 'live'; resume: string }
  | { kind: 'change'; change: WatchChange }
  /** The watch ended (or was refused): the node's error. */
  | { kind: 'end'; error: PiccoloError };

export interface WatchWire {
  readonly format: FormatName;
  /** The frame that opens watch `id`. */
  watchFrame(id: number, target: WatchTarget): Frame;
  /** The frame `data` if it belongs to watch `id`, else null. Throws ProtocolError for a frame it cannot read. */
  read(data: unknown, id: number): WatchEvent | null;
}

const textDecoder = new TextDecoder();

export const JSON_WATCH_WIRE: WatchWire = {
  format: 'json',
  watchFrame(id, target) {
    const frame: Record<string, unknown> = { id, op: 'watch', [target.match === 'key' ? 'keyBase64' : 'prefixBase64']: bytesToBase64(target.bytes) };
    if (target.after !== null) frame.after = target.after;
    if (target.groups !== undefined) frame.groups = target.groups;
    return JSON.stringify(frame);
  },
  read(data, id) {
    const bytes = asBytes(data);
    const text = bytes === null ? String(data) : textDecoder.decode(bytes);
    let json: { id?: unknown; ok?: unknown; resume?: unknown; change?: Record<string, unknown> };
    try {
      json = JSON.parse(text) as typeof json;
    } catch (cause) {
      throw new ProtocolError('a watch frame that is not JSON', cause);
    }
    if (json.id !== id) return null;
    if (json.change !== undefined) {
      const change = changeOf(json.change);
      if (change === null) throw new ProtocolError('a watch change frame without its fields');
      return { kind: 'change', change };
    }
    if (json.ok === true && typeof json.resume === 'string') return { kind: 'live', resume: json.resume };
    const { reply } = decodeJsonResponse(text);
    if (reply.ok) throw new ProtocolError('a watch frame the client does not know');
    return { kind: 'end', error: errorFromReply(reply) };
  },
};

export const BINARY_WATCH_WIRE: WatchWire = {
  format: 'binary',
  watchFrame: (id, target) => encodeWatchRequest(BigInt(id), target),
  read(data, id) {
    // The node answers a binary watch in binary; a text frame (a proxy's, an older node's error) is still read.
    const bytes = asBytes(data);
    if (bytes === null) return JSON_WATCH_WIRE.read(data, id);
    let frame: ReturnType<typeof decodeWatchResponse>;
    try {
      frame = decodeWatchResponse(bytes);
    } catch (cause) {
      throw new ProtocolError(`unreadable binary watch frame: ${(cause as Error).message}`, cause);
    }
    if (frame.id !== BigInt(id)) return null;
    switch (frame.kind) {
      case 'live': return { kind: 'live', resume: frame.resume };
      case 'change': return { kind: 'change', change: { ...frame.change, resume: frame.resume } };
      case 'reply':
        if (frame.reply.ok) throw new ProtocolError('a watch frame the client does not know');
        return { kind: 'end', error: errorFromReply(frame.reply) };
    }
  },
};

export function watchWire(format: FormatName): WatchWire {
  return format === 'binary' ? BINARY_WATCH_WIRE : JSON_WATCH_WIRE;
}

function changeOf(json: Record<string, unknown>): WatchChange | null {
  const key = bytesField(json, 'key');
  const kind = json.kind;
  if (key === null || (kind !== 'set' && kind !== 'delete' && kind !== 'expire')) return null;
  if (typeof json.version !== 'number' || typeof json.resume !== 'string') return null;
  // A set without a value is a collection's write (the frame leaves it out, as the binary one does).
  const value = kind === 'set' ? bytesField(json, 'value') : null;
  return { key, kind, value, version: json.version, resume: json.resume };
}

function bytesField(json: Record<string, unknown>, name: string): Uint8Array | null {
  if (typeof json[name] === 'string') return new TextEncoder().encode(json[name]);
  const b64 = json[`${name}Base64`];
  return typeof b64 === 'string' ? base64ToBytes(b64) : null;
}

// The JSON text frames of a watch on the WebSocket door (docs/watch.md):
//   → {"id":1,"op":"watch","prefix":"user:"}          (or "key", "prefixBase64", "keyBase64"; optional "after": a resume token;
//                                                      a prefix's optional "groups": [0, 3], only those groups, for a merging gateway)
//   ← {"id":1,"ok":true,"resume":"<token>"}           the watch is live from that point
//   ← {"id":1,"change":{"key":"user:7","kind":"set","value":"Ada","version":12,"resume":"<token>"}}
//   ← {"id":1,"ok":false,"error":{...}}               the watch ended (COMPACTED, LIMIT_EXCEEDED, ...)
//   → {"id":1,"op":"unwatch"}  ← {"id":1,"ok":true}   no change of watch 1 follows
// A watch's frames go out of band of the connection's ordered replies,
// tagged with the watch's id.

import { errReply } from '../../core/protocol/ops.js';
import type { Limits } from '../../core/limits.js';
import type { ErrorName } from '../../core/errors.js';
import { base64ToBytes } from '../../schema/base64.js';
import { isPlainObject, putBytes } from '../../schema/json-bytes.js';
import { isJsonId } from '../../schema/json-request.js';
import { encodeJsonResponse, type JsonId } from '../../schema/json-reply.js';
import { isWellFormedText, utf8Encode } from '../../schema/utf8.js';
import { TOKEN_CHARS_MAX } from '../../core/watch/resume-token.js';
import { watchGroupsRefusal } from '../../schema/watch-groups.js';
import type { WatchedChange, WatchFrames } from './watch-session.js';

export type WatchFrame =
  | { op: 'watch'; id: JsonId; match: 'prefix' | 'key'; bytes: Uint8Array; after: string | null; groups: readonly number[] | null }
  | { op: 'unwatch'; id: JsonId }
  /** A watch frame that is wrong: answer the error under `id`. */
  | { op: 'bad'; id: JsonId | null; code: ErrorName; message: string };

const WATCH_FIELDS = new Set(['id', 'op', 'prefix', 'prefixBase64', 'key', 'keyBase64', 'after', 'groups']);
const UNWATCH_FIELDS = new Set(['id', 'op']);

/** The watch or unwatch frame in `text`, or null when it is neither (another op, or not JSON). */
export function parseWatchFrame(text: string, limits: Limits): WatchFrame | null {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isPlainObject(json) || (json.op !== 'watch' && json.op !== 'unwatch')) return null;
  const id = json.id;
  if (!isJsonId(id)) return { op: 'bad', id: null, code: 'BAD_REQUEST', message: 'a watch needs an id: an integer from 0 to 2^53-1 or a short string' };
  const bad = (message: string, code: ErrorName = 'BAD_REQUEST'): WatchFrame => ({ op: 'bad', id, code, message });
  const allowed = json.op === 'watch' ? WATCH_FIELDS : UNWATCH_FIELDS;
  const unknown = Object.keys(json).find((k) => !allowed.has(k));
  if (unknown !== undefined) return bad(`${json.op} has no field ${unknown}`);
  if (json.op === 'unwatch') return { op: 'unwatch', id };
  const given = ['prefix', 'prefixBase64', 'key', 'keyBase64'].filter((k) => json[k] !== undefined && json[k] !== null);
  if (given.length > 1) return bad(`give one of prefix, prefixBase64, key or keyBase64, not ${given.join(' and ')}`);
  const field = given[0] ?? 'prefix';
  const match = field.startsWith('key') ? 'key' : 'prefix';
  const raw = json[field] ?? '';
  let bytes: Uint8Array | null;
  if (field.endsWith('Base64')) bytes = typeof raw === 'string' ? base64ToBytes(raw) : null;
  else bytes = typeof raw === 'string' && isWellFormedText(raw) ? utf8Encode(raw) : null;
  if (bytes === null) return bad(`${field} must be ${field.endsWith('Base64') ? 'a standard base64 string' : 'a string of text'}`);
  if (bytes.length > limits.keyBytesMax) return bad(`${field} is ${bytes.length} bytes; keys are at most ${limits.keyBytesMax}`, 'KEY_TOO_LONG');
  const after = json.after ?? null;
  if (after !== null && (typeof after !== 'string' || after.length > TOKEN_CHARS_MAX)) return bad('after must be a resume token (a string a change carried)');
  const groups = (json.groups ?? null) as readonly number[] | null;
  const groupsRefusal = groups === null ? null : watchGroupsRefusal(match, groups);
  if (groupsRefusal !== null) return bad(groupsRefusal);
  return { op: 'watch', id, match, bytes, after, groups };
}

/** The frame that says the watch is live. */
export function watchReadyFrame(id: JsonId, resume: string): string {
  return `{"id":${JSON.stringify(id)},"ok":true,"resume":${JSON.stringify(resume)}}`;
}

/** One change, for the watch `id`. */
export function watchChangeFrame(id: JsonId, change: WatchedChange, resume: string): string {
  const out: Record<string, unknown> = {};
  putBytes(out, 'key', change.key);
  out.kind = change.kind;
  if (change.value !== null) putBytes(out, 'value', change.value);
  out.version = change.version;
  out.resume = resume;
  return `{"id":${JSON.stringify(id)},"change":${JSON.stringify(out)}}`;
}

/** The watch ended (or a watch frame was refused). */
export function watchErrorFrame(id: JsonId | null, code: ErrorName, message: string): string {
  return encodeJsonResponse(id, errReply(code, message));
}

/** The unwatch is done. */
export function unwatchedFrame(id: JsonId): string {
  return encodeJsonResponse(id, { ok: true });
}

/** A watch's frames as JSON text (watch-session.ts). */
export const JSON_WATCH_FRAMES: WatchFrames = {
  ready: (id, resume) => ({ bytes: watchReadyFrame(id as JsonId, resume), binary: false }),
  change: (id, change, resume) => ({ bytes: watchChangeFrame(id as JsonId, change, resume), binary: false }),
  error: (id, code, message) => ({ bytes: watchErrorFrame(id as JsonId | null, code, message), binary: false }),
  unwatched: (id) => ({ bytes: unwatchedFrame(id as JsonId), binary: false }),
};

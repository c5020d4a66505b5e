// The opaque resume token a watcher gets with every change: for each group
// the watch covers, the position of the last change it has seen of that
// group, and the id of the history those positions belong to (a node's
// process: its history starts empty at every start, so a token from before
// a restart must be refused, never misread). Text, so it travels in JSON
// and in Cap'n Proto Text alike: lower-case hex of
//   version u8 | historyId u32 | groups varint | (group, index, seq varint)*
// Hex rather than base64: a token is a few dozen bytes and core/ has no
// base64 of its own.

import { assert } from '../assert.js';
import { SEQ_END, type ChangePosition } from './change.js';

const TOKEN_VERSION = 1;
/** Groups one token may name: a node's shards, or a cluster's groups (core/routing/: 16384 slots at most). */
export const TOKEN_GROUPS_MAX = 16_384;
/** Characters a token may have: every group at its largest varints (9 bytes each for index and seq, 3 for the group) and the header. */
export const TOKEN_CHARS_MAX = 2 * (1 + 4 + 3 + TOKEN_GROUPS_MAX * (3 + 8 + 5));

export interface ResumeToken {
  readonly historyId: number;
  /** Each group's last position seen, by group. */
  readonly positions: ReadonlyMap<number, ChangePosition>;
}

export function encodeResumeToken(token: ResumeToken): string {
  assert(token.positions.size <= TOKEN_GROUPS_MAX, 'a token names at most TOKEN_GROUPS_MAX groups');
  const bytes: number[] = [TOKEN_VERSION];
  const id = token.historyId >>> 0;
  bytes.push(id & 0xff, (id >>> 8) & 0xff, (id >>> 16) & 0xff, id >>> 24);
  pushVarint(bytes, token.positions.size);
  for (const [group, { index, seq }] of token.positions) {
    pushVarint(bytes, group);
    pushVarint(bytes, index);
    pushVarint(bytes, seq);
  }
  let text = '';
  for (const b of bytes) text += HEX[b]!;
  return text;
}

/** The token `text` encodes, or null when it is not one this build wrote. */
export function decodeResumeToken(text: string): ResumeToken | null {
  if (text.length > TOKEN_CHARS_MAX || text.length % 2 !== 0 || !/^[0-9a-f]+$/.test(text)) return null;
  const bytes = new Uint8Array(text.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(text.slice(2 * i, 2 * i + 2), 16);
  if (bytes.length < 6 || bytes[0] !== TOKEN_VERSION) return null;
  const historyId = (bytes[1]! | (bytes[2]! << 8) | (bytes[3]! << 16) | (bytes[4]! << 24)) >>> 0;
  const at = { pos: 5 };
  const count = readVarint(bytes, at);
  if (count === null || count > TOKEN_GROUPS_MAX) return null;
  const positions = new Map<number, ChangePosition>();
  for (let i = 0; i < count; i++) {
    const group = readVarint(bytes, at);
    const index = readVarint(bytes, at);
    const seq = readVarint(bytes, at);
    if (group === null || index === null || seq === null || seq > SEQ_END || positions.has(group)) return null;
    positions.set(group, { index, seq });
  }
  return at.pos === bytes.length ? { historyId, positions } : null;
}

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/** LEB128 of a safe non-negative integer, by arithmetic (bit operators stop at 32 bits). */
function pushVarint(out: number[], value: number): void {
  assert(Number.isSafeInteger(value) && value >= 0, 'a varint is a non-negative safe integer');
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}

/** At most 8 bytes (56 bits, past 2^53): longer is malformed. */
function readVarint(bytes: Uint8Array, at: { pos: number }): number | null {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 8; i++) {
    if (at.pos >= bytes.length) return null;
    const b = bytes[at.pos++]!;
    value += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) return Number.isSafeInteger(value) ? value : null;
    scale *= 0x80;
  }
  return null;
}

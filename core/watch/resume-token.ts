// The opaque resume token a watcher gets with every change: for each group
// the watch covers, the position of the last change it has seen of that
// group, and the identity of the group's log those positions belong to (its
// logId, core/replica/log-id.ts). Every replica of a group applies the same
// log, so makes the same changes at the same positions: a position is good
// on any replica whose log has the same logId, and on no other (a new log,
// after an in-memory restart, counts its indexes from 1 again). Each group's
// part stands alone, so a token may be split by group and put together
// again (a gateway merging several nodes' watches does).
// Text, so it travels in JSON and in Cap'n Proto Text alike: lower-case hex of
//   version u8 | groups varint | (group, logId, index, seq varint)*
// Hex rather than base64: a token is a few dozen bytes and core/ has no
// base64 of its own.

import { assert } from '../assert.js';
import { SEQ_END, type ChangePosition } from './change.js';

/**
 * 2: a logId per group (portable across replicas). 1 named a node's per-run
 * history instead; such a token decodes to nothing, and a watch given one
 * ends COMPACTED (it belonged to one run of one node anyway).
 */
const TOKEN_VERSION = 2;
/** The version before per-group logIds: recognised only to answer COMPACTED. */
const TOKEN_VERSION_PER_RUN = 1;
/** Groups one token may name: a node's shards, or a cluster's groups (core/routing/: 16384 slots at most). */
export const TOKEN_GROUPS_MAX = 16_384;
/** Characters a token may have: every group at its largest varints (3 bytes for the group, 8 each for logId and index, 5 for seq) and the header. */
export const TOKEN_CHARS_MAX = 2 * (1 + 3 + TOKEN_GROUPS_MAX * (3 + 8 + 8 + 5));

/** A group's position in a token: in which log (logId), and where in it. */
export interface TokenPosition extends ChangePosition {
  readonly logId: number;
}

export interface ResumeToken {
  /** Each group's last position seen, by group. */
  readonly positions: ReadonlyMap<number, TokenPosition>;
}

export function encodeResumeToken(token: ResumeToken): string {
  assert(token.positions.size <= TOKEN_GROUPS_MAX, 'a token names at most TOKEN_GROUPS_MAX groups');
  const bytes: number[] = [TOKEN_VERSION];
  pushVarint(bytes, token.positions.size);
  for (const [group, { logId, index, seq }] of token.positions) {
    pushVarint(bytes, group);
    pushVarint(bytes, logId);
    pushVarint(bytes, index);
    pushVarint(bytes, seq);
  }
  let text = '';
  for (const b of bytes) text += HEX[b]!;
  return text;
}

/** The token `text` encodes; 'old' for a token of the per-run format (version 1); null when it is not a token. */
export function decodeResumeToken(text: string): ResumeToken | 'old' | null {
  if (text.length > TOKEN_CHARS_MAX || text.length % 2 !== 0 || !/^[0-9a-f]+$/.test(text)) return null;
  const bytes = new Uint8Array(text.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(text.slice(2 * i, 2 * i + 2), 16);
  if (bytes[0] === TOKEN_VERSION_PER_RUN && bytes.length >= 6) return 'old';
  if (bytes.length < 2 || bytes[0] !== TOKEN_VERSION) return null;
  const at = { pos: 1 };
  const count = readVarint(bytes, at);
  if (count === null || count > TOKEN_GROUPS_MAX) return null;
  const positions = new Map<number, TokenPosition>();
  for (let i = 0; i < count; i++) {
    const group = readVarint(bytes, at);
    const logId = readVarint(bytes, at);
    const index = readVarint(bytes, at);
    const seq = readVarint(bytes, at);
    if (group === null || logId === null || index === null || seq === null || seq > SEQ_END || positions.has(group)) return null;
    positions.set(group, { logId, index, seq });
  }
  return at.pos === bytes.length ? { positions } : null;
}

/** The part of `token` about `groups` (those it names), as a token of its own: what one node of several is asked to resume. */
export function tokenForGroups(token: ResumeToken, groups: Iterable<number>): ResumeToken {
  const positions = new Map<number, TokenPosition>();
  for (const g of groups) {
    const at = token.positions.get(g);
    if (at !== undefined) positions.set(g, at);
  }
  return { positions };
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

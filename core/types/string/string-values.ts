// Reading and writing a key as a string for the string data commands (bit
// operations, LCS): absent reads as empty, a collection is WRONGTYPE, and a
// write that leaves nothing removes the key (as Redis's BITOP does).

import type { Bytes, ErrReply } from '../../protocol/ops.js';
import { ValueType } from '../../store/value-type.js';
import { ABSENT, type KeyAccess } from '../key-access.js';
import { wrongKind } from '../wrong-kind.js';

const EMPTY = new Uint8Array(0);

/** The key's string (a view: copy it before writing), empty when absent; WRONGTYPE for a collection. */
export function readString(keys: KeyAccess, key: Bytes): { h: number; value: Uint8Array } | ErrReply {
  const h = keys.find(key);
  if (h === ABSENT) return { h, value: EMPTY };
  if (keys.typeOf(h) !== ValueType.STRING) return wrongKind();
  return { h, value: keys.bytesOf(h) };
}

export function isErr(r: object): r is ErrReply {
  return 'ok' in r && (r as ErrReply).ok === false;
}

/** Redis's words when a command would grow a string past the value limit. */
export function tooLongMessage(bytesMax: number): string {
  return `string exceeds maximum allowed size (${bytesMax} bytes)`;
}

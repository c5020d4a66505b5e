// OBJECT ENCODING | REFCOUNT | IDLETIME | FREQ key: how a key is held.
// ENCODING names Redis 7's encodings: a string is "int" (an integer's text),
// "embstr" (up to 44 bytes) or "raw"; a collection is its type's compact or
// large encoding (each type's module names them). Piccolo shares no values
// (REFCOUNT 1) and keeps no access times (IDLETIME 0; FREQ answers as Redis
// does without an LFU policy). OBJECT HELP is answered by the RESP door.

import { intValue } from '../../protocol/data-value.js';
import { errReply } from '../../protocol/ops.js';
import { isOption } from '../../resp/command-args.js';
import { parseInt64 } from '../../int64.js';
import { ValueType } from '../../store/value-type.js';
import { encodingName as setEncodingName } from '../set/set-codec.js';
import type { DataCommand } from '../data-command.js';
import { ABSENT, type KeyAccess } from '../key-access.js';

/** Redis keeps strings up to this many bytes in one allocation with their header ("embstr"). */
const EMBSTR_BYTES_MAX = 44;
/** Redis stores an integer's text as an integer ("int") when it has at most this many characters. */
const INT_TEXT_BYTES_MAX = 20;

/** Each collection type's encoding names: compact, large. */
const COLLECTION_ENCODINGS: Readonly<Record<Exclude<ValueType, 0>, readonly [string, string]>> = {
  [ValueType.HASH]: ['listpack', 'hashtable'],
  [ValueType.LIST]: ['listpack', 'quicklist'],
  [ValueType.SET]: ['listpack', 'hashtable'],
  [ValueType.ZSET]: ['listpack', 'skiplist'],
};

export function encodingOf(keys: KeyAccess, h: number): string {
  const type = keys.typeOf(h);
  if (type === ValueType.STRING) {
    const value = keys.bytesOf(h);
    if (value.length <= INT_TEXT_BYTES_MAX && parseInt64(value) !== null) return 'int';
    return value.length <= EMBSTR_BYTES_MAX ? 'embstr' : 'raw';
  }
  if (type === ValueType.SET) return setEncodingName(keys, h);
  return COLLECTION_ENCODINGS[type][keys.collectionOf(h) === null ? 0 : 1];
}

const LFU_OFF = 'An LFU maxmemory policy is not selected, access frequency not tracked. '
  + 'Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.';

export const objectCommand: DataCommand = {
  name: 'object', arity: -2, write: false,
  keys: (args) => (args.length === 2 ? [args[1]!] : "unknown subcommand or wrong number of arguments for 'object'. Try OBJECT HELP."),
  run(keys, args) {
    const h = keys.find(args[1]!);
    if (h === ABSENT) return { ok: true, data: { t: 'nil' } };
    const sub = args[0]!;
    if (isOption(sub, 'ENCODING')) return { ok: true, data: { t: 'bytes', v: new TextEncoder().encode(encodingOf(keys, h)) } };
    if (isOption(sub, 'REFCOUNT')) return { ok: true, data: intValue(1) };
    if (isOption(sub, 'IDLETIME')) return { ok: true, data: intValue(0) };
    if (isOption(sub, 'FREQ')) return errReply('BAD_REQUEST', LFU_OFF);
    return errReply('BAD_REQUEST', `unknown subcommand '${new TextDecoder().decode(sub)}'. Try OBJECT HELP.`);
  },
};

// DUMP and RESTORE: a key's value, whatever its type, as opaque bytes and
// back. Piccolo's own payload (not Redis's RDB): a version byte, the type,
// the value (a string's bytes, a compact collection's encoding, or a large
// collection's image: core/store/collection.ts) and a CRC32C of all of it,
// so a damaged or foreign payload is refused rather than stored. RENAME,
// RENAMENX, COPY and MOVE are built on the pair, so they carry every type
// (runtime-node/io/resp-keyspace-commands.ts).

import { bytesValue, NIL, OK_STATUS } from '../../protocol/data-value.js';
import { errReply, type Bytes } from '../../protocol/ops.js';
import { TTL_MS_MAX } from '../../protocol/validate.js';
import { isOption } from '../../resp/command-args.js';
import { parseInt64Number } from '../../resp/resp-numbers.js';
import { crc32c } from '../../storage/crc32c.js';
import { isCollection, type Collection } from '../../store/collection.js';
import { isValueType, type ValueType } from '../../store/value-type.js';
import { restoreValue } from '../collection-codecs.js';
import { FIRST_KEY, type DataCommand } from '../data-command.js';
import { ABSENT, type KeyAccess } from '../key-access.js';

/** Bumped when the payload's layout changes; RESTORE refuses others. */
const DUMP_FORMAT = 1;
/** Format byte, type byte, then the value, then the CRC32C (u32 little-endian). */
const DUMP_HEADER_BYTES = 2;
const DUMP_TRAILER_BYTES = 4;
const BAD_PAYLOAD = 'DUMP payload version or checksum are wrong';

/** The key's value as a DUMP payload. */
export function dumpPayload(keys: KeyAccess, h: number): Uint8Array {
  const collection = keys.collectionOf(h);
  const value = collection !== null ? collection.encode() : keys.bytesOf(h);
  const out = new Uint8Array(DUMP_HEADER_BYTES + value.length + DUMP_TRAILER_BYTES);
  out[0] = DUMP_FORMAT;
  out[1] = keys.typeOf(h);
  out.set(value, DUMP_HEADER_BYTES);
  const crc = crc32c(out, 0, 0, out.length - DUMP_TRAILER_BYTES);
  new DataView(out.buffer).setUint32(out.length - DUMP_TRAILER_BYTES, crc, true);
  return out;
}

const dump: DataCommand = {
  name: 'dump', arity: 2, write: false, keys: FIRST_KEY,
  run(keys, args) {
    const h = keys.find(args[0]!);
    // The version rides along, so RENAME can delete the source only if it is still what was dumped.
    return h === ABSENT ? { ok: true, data: NIL } : { ok: true, data: bytesValue(dumpPayload(keys, h)), version: keys.versionOf(h) };
  },
};

/**
 * RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME s] [FREQ n]: store the
 * payload's value under key (ttl ms from the entry's time, or with ABSTTL a
 * unix time in ms; 0 = none; already past: nothing is stored, as Redis).
 * IDLETIME and FREQ are accepted and ignored (Piccolo keeps no access stats).
 */
const restore: DataCommand = {
  name: 'restore', arity: -4, write: true, keys: FIRST_KEY,
  run(keys, args) {
    let replace = false;
    let absolute = false;
    for (let j = 3; j < args.length; j++) {
      const word = args[j]!;
      if (isOption(word, 'REPLACE')) replace = true;
      else if (isOption(word, 'ABSTTL')) absolute = true;
      else if ((isOption(word, 'IDLETIME') || isOption(word, 'FREQ')) && j + 1 < args.length) {
        const n = parseInt64Number(args[++j]!);
        if (n === null || n < 0) return errReply('BAD_REQUEST', isOption(word, 'FREQ') ? 'Invalid FREQ value' : 'Invalid IDLETIME value');
      } else return errReply('BAD_REQUEST', 'syntax error');
    }
    const ttl = parseInt64Number(args[1]!);
    if (ttl === null || ttl < 0) return errReply('BAD_REQUEST', 'Invalid TTL value, must be >= 0');
    const expireAtMs = ttl === 0 ? 0 : absolute ? ttl : keys.atMs + ttl;
    if (expireAtMs > TTL_MS_MAX) return errReply('BAD_REQUEST', "invalid expire time in 'restore' command");
    const value = parsePayload(args[2]!, keys);
    if (typeof value === 'string') return errReply('BAD_REQUEST', value);
    const key = args[0]!;
    const h = keys.find(key);
    // RESP answers KEY_EXISTS from a data command with Redis's BUSYKEY.
    if (h !== ABSENT && !replace) return errReply('KEY_EXISTS', 'Target key name already exists.');
    if (expireAtMs !== 0 && expireAtMs <= keys.atMs) {
      if (h !== ABSENT) keys.remove(key, h);
      return { ok: true, data: OK_STATUS, version: keys.version };
    }
    if (isCollection(value.stored)) keys.putCollection(key, h, value.stored, expireAtMs);
    else keys.putBytes(key, h, value.type, value.stored, expireAtMs);
    return { ok: true, data: OK_STATUS, version: keys.version };
  },
};

/** The payload's type and value as the store keeps it, or RESTORE's error text. */
function parsePayload(payload: Bytes, keys: KeyAccess): { type: ValueType; stored: Uint8Array | Collection } | string {
  if (payload.length < DUMP_HEADER_BYTES + DUMP_TRAILER_BYTES || payload[0] !== DUMP_FORMAT) return BAD_PAYLOAD;
  const crc = new DataView(payload.buffer, payload.byteOffset, payload.length).getUint32(payload.length - DUMP_TRAILER_BYTES, true);
  if (crc32c(payload, 0, 0, payload.length - DUMP_TRAILER_BYTES) !== crc) return BAD_PAYLOAD;
  const type = payload[1]!;
  if (!isValueType(type)) return 'Bad data format';
  const bytes = payload.slice(DUMP_HEADER_BYTES, payload.length - DUMP_TRAILER_BYTES);
  const stored = restoreValue(type, bytes);
  if (typeof stored === 'string') return 'Bad data format';
  if (!isCollection(stored) && stored.length > keys.limits.valueBytesMax) {
    return `string exceeds maximum allowed size (${keys.limits.valueBytesMax} bytes)`;
  }
  return { type, stored };
}

export const DUMP_COMMANDS: readonly DataCommand[] = [dump, restore];

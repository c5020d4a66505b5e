// EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT with Redis 7's NX / XX / GT / LT, and
// EXPIRETIME / PEXPIRETIME, on a key of any type. Run in the shard at the
// log entry's time (keys.atMs), so the condition is read and the expiry
// written in one step, and every replica judges "already past" alike: a time
// at or before the entry's deletes the key, as Redis does.
// (TTL, PTTL and PERSIST are the `ttl` and `expire` ops: core/resp/expiry-commands.ts.)

import { errReply, type Bytes, type Reply } from '../../protocol/ops.js';
import { intValue } from '../../protocol/data-value.js';
import { TTL_MS_MAX } from '../../protocol/validate.js';
import { isOption } from '../../resp/command-args.js';
import { parseInt64Number } from '../../resp/resp-numbers.js';
import { FIRST_KEY, type DataCommand } from '../data-command.js';
import { ABSENT, type KeyAccess } from '../key-access.js';

const NOT_INTEGER = 'value is not an integer or out of range';
const utf8Decoder = new TextDecoder('utf-8', { fatal: false });

type Condition = 'nx' | 'xx' | 'gt' | 'lt';

/** The conditions named after the time, or Redis's error text. */
function parseConditions(args: readonly Bytes[]): { nx: boolean; xx: boolean; gt: boolean; lt: boolean } | string {
  const seen = { nx: false, xx: false, gt: false, lt: false };
  for (const arg of args) {
    const flag = (['nx', 'xx', 'gt', 'lt'] as const).find((word: Condition) => isOption(arg, word.toUpperCase()));
    if (flag === undefined) return `Unsupported option ${utf8Decoder.decode(arg)}`;
    seen[flag] = true;
  }
  if (seen.nx && (seen.xx || seen.gt || seen.lt)) return 'NX and XX, GT or LT options at the same time are not compatible';
  if (seen.gt && seen.lt) return 'GT and LT options at the same time are not compatible';
  return seen;
}

function expireCommand(name: string, unitMs: 1 | 1000, absolute: boolean): DataCommand {
  return {
    name,
    arity: -3,
    write: true,
    keys: FIRST_KEY,
    run(keys: KeyAccess, args: readonly Bytes[]): Reply {
      // Redis reads the flags before the time, so flag errors come first.
      const conditions = parseConditions(args.slice(2));
      if (typeof conditions === 'string') return errReply('BAD_REQUEST', conditions);
      const amount = parseInt64Number(args[1]!);
      if (amount === null) return errReply('BAD_REQUEST', NOT_INTEGER);
      const ms = amount * unitMs;
      const expireAtMs = absolute ? ms : keys.atMs + ms;
      if (!Number.isFinite(ms) && ms > 0) return errReply('BAD_REQUEST', `invalid expire time in '${name}' command`);
      if (expireAtMs > TTL_MS_MAX) return errReply('BAD_REQUEST', `invalid expire time in '${name}' command`);
      const key = args[0]!;
      const h = keys.find(key);
      if (h === ABSENT) return { ok: true, data: intValue(0) };
      // A key without a TTL counts as expiring never: GT never sets it, LT always may.
      const current = keys.expireAtOf(h);
      if (conditions.nx && current !== 0) return { ok: true, data: intValue(0) };
      if (conditions.xx && current === 0) return { ok: true, data: intValue(0) };
      if (conditions.gt && (current === 0 || expireAtMs <= current)) return { ok: true, data: intValue(0) };
      if (conditions.lt && current !== 0 && expireAtMs >= current) return { ok: true, data: intValue(0) };
      if (expireAtMs <= keys.atMs) keys.remove(key, h);
      else keys.setExpiry(key, h, expireAtMs);
      return { ok: true, data: intValue(1), version: keys.version };
    },
  };
}

/** EXPIRETIME / PEXPIRETIME: the absolute expiry (-1 none, -2 no key). */
function expireTimeCommand(name: string, unitMs: 1 | 1000): DataCommand {
  return {
    name,
    arity: 2,
    write: false,
    keys: FIRST_KEY,
    run(keys, args) {
      const h = keys.find(args[0]!);
      if (h === ABSENT) return { ok: true, data: intValue(-2) };
      const at = keys.expireAtOf(h);
      return { ok: true, data: intValue(at === 0 ? -1 : Math.floor(at / unitMs)) };
    },
  };
}

export const EXPIRE_COMMANDS: readonly DataCommand[] = [
  expireCommand('expire', 1000, false),
  expireCommand('pexpire', 1, false),
  expireCommand('expireat', 1000, true),
  expireCommand('pexpireat', 1, true),
  expireTimeCommand('expiretime', 1000),
  expireTimeCommand('pexpiretime', 1),
];

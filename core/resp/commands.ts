// Redis commands -> Piccolo plans. translate(args, ctx) reads one command's
// arguments (from request-parser.ts) and returns a Plan (plan.ts): an
// immediate reply, core requests to run on shards plus how to turn their
// replies into the RESP reply, or a connection-level command for the server.
// Pure: no clock (ctx.nowMs is passed in), no I/O, no state between calls.
//
// Atomicity across shards. Every single-key command is one request on one
// shard and is atomic, as in Redis. Multi-key commands are NOT atomic across
// shards; a shard applies its part atomically, but shards act independently:
// - MSET: the server splits the one mset request by shard; each shard sets its
//   keys atomically. Another client can observe some shards' keys set and not
//   others', and a failure on one shard leaves the others' writes in place.
// - MSETNX: check-then-set. An EXISTS on every key, then (if none exists) an
//   mset with ifNoneExist, rechecked by each shard for its own keys. A key
//   created by someone else between the two steps makes its shard refuse
//   while the others write: the reply is 0 though some keys were set.
//   Atomic only when all keys live on one shard.
// - DEL / UNLINK / EXISTS: one request per key, each atomic by itself; the
//   count is the sum of independent results, not a snapshot.
// - MGET: split by shard; each shard reads its keys at one instant, but
//   different shards' values are from different instants.
// - DBSIZE / FLUSHDB / FLUSHALL: sent to every shard; the count is a sum of
//   per-shard counts taken at different instants, and writes racing a flush
//   may survive it on some shards.
//
// Differences from Redis, by design:
// - keys must not be empty and are limited to keyBytesMax; values to
//   valueBytesMax; a multi-key command names at most batchKeysMax keys;
// - database 0 only;
// - SET with both NX and GET is a syntax error (as in Redis 6.2);
// - expiry beyond TTL_MS_MAX ms from the epoch is an invalid expire time.

import { assert } from '../assert.js';
import { dataCommands } from '../types/data-commands.js';
import { arityFits } from '../types/call-request.js';
import { translateDataCommand } from './data-commands.js';
import { EXPIRY_COMMANDS } from './expiry-commands.js';
import { KEYSPACE_COMMANDS } from './keyspace-commands.js';
import { PUBSUB_COMMAND_ARITIES } from './pubsub-commands.js';
import {
  errorPlan, OK_PLAN, replyPlan, type CommandSpec, type CommandTable, type Plan, type TranslateContext,
} from './plan.js';
import {
  arityError, DB_INDEX_INVALID_ERROR, DB_INDEX_RANGE_ERROR, unknownCommandError,
} from './resp-errors.js';
import { parseInt64Number } from './resp-numbers.js';
import { STRING_COMMANDS } from './string-commands.js';

export type { ConnectionPlan, Plan, ReplyPlan, RequestsPlan, TranslateContext } from './plan.js';

/** Longer names are certainly unknown, so they are not lower-cased into a string to look up. */
const COMMAND_NAME_BYTES_MAX = 16;

const PONG_PLAN = replyPlan({ type: 'simple', text: 'PONG' });

/** Commands answered without a shard. */
const IMMEDIATE_COMMANDS: CommandTable = {
  ping: {
    arity: -1,
    translate: (args) => {
      if (args.length > 2) return errorPlan(arityError('ping'));
      return args.length === 2 ? replyPlan({ type: 'bulk', value: args[1]! }) : PONG_PLAN;
    },
  },
  echo: { arity: 2, translate: (args) => replyPlan({ type: 'bulk', value: args[1]! }) },
  // Piccolo has one database, so SELECT can only confirm it.
  select: {
    arity: 2,
    translate: (args) => {
      const index = parseInt64Number(args[1]!);
      if (index === null || index < -(2 ** 31) || index >= 2 ** 31) return errorPlan(DB_INDEX_INVALID_ERROR);
      return index === 0 ? OK_PLAN : errorPlan(DB_INDEX_RANGE_ERROR);
    },
  },
};

/** Commands the server handles itself (connection state, node-wide views), with Redis's arities. */
const CONNECTION_COMMAND_ARITIES: Readonly<Record<string, number>> = {
  hello: -1,
  auth: -2,
  quit: -1,
  client: -2,
  command: -1,
  // redis-benchmark asks CONFIG GET for save/appendonly at start.
  config: -2,
  info: -1,
  keys: 2,
  scan: -2,
  randomkey: 1,
  rename: 3,
  renamenx: 3,
  copy: -3,
  // Scripting, answered as a server without scripts (runtime-node/io/resp-scripting-commands.ts).
  eval: -3,
  evalsha: -3,
  eval_ro: -3,
  evalsha_ro: -3,
  fcall: -3,
  fcall_ro: -3,
  script: -2,
  function: -2,
  // Redis Cluster (runtime-node/io/resp-cluster-commands.ts).
  cluster: -2,
  readonly: 1,
  readwrite: 1,
  asking: 1,
  // Transactions (core/resp/transaction.ts answers them before they reach the server).
  multi: 1,
  exec: 1,
  discard: 1,
  watch: -2,
  unwatch: 1,
  // Pub/sub (core/resp/pubsub-commands.ts; the connection runs them, runtime-node/io/resp-pubsub.ts).
  ...PUBSUB_COMMAND_ARITIES,
};

function connectionSpec(name: string, arity: number): CommandSpec {
  return { arity, translate: (args) => ({ kind: 'connection', name, args: args.slice(1) }) };
}

const COMMANDS: ReadonlyMap<string, CommandSpec> = new Map<string, CommandSpec>([
  ...Object.entries(IMMEDIATE_COMMANDS),
  ...Object.entries(STRING_COMMANDS),
  ...Object.entries(EXPIRY_COMMANDS),
  ...Object.entries(KEYSPACE_COMMANDS),
  ...Object.entries(CONNECTION_COMMAND_ARITIES).map(([name, arity]): [string, CommandSpec] => [name, connectionSpec(name, arity)]),
]);

/** Every command name translate() knows, lower case. */
export const COMMAND_NAMES: readonly string[] = [...COMMANDS.keys(), ...dataCommands().keys()];

/** The lower-case ASCII name, or null if it cannot be a known command. */
function commandName(bytes: Uint8Array): string | null {
  if (bytes.length === 0 || bytes.length > COMMAND_NAME_BYTES_MAX) return null;
  let name = '';
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    name += String.fromCharCode(c >= 0x41 && c <= 0x5a ? c + 0x20 : c);
  }
  return name;
}

/** The plan for one command: `args` is the command name and its arguments, as parsed. */
export function translate(args: Uint8Array[], ctx: TranslateContext): Plan {
  assert(args.length > 0, 'a command has at least its name');
  const name = commandName(args[0]!);
  const spec = name === null ? undefined : COMMANDS.get(name);
  if (spec === undefined) return (name === null ? undefined : translateDataCommand(name, args, ctx)) ?? errorPlan(unknownCommandError(args));
  if (!arityFits(spec.arity, args.length)) return errorPlan(arityError(name!));
  return spec.translate(args, ctx);
}

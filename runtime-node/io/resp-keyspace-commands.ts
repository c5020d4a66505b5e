// Commands over the whole keyspace that the RESP door builds from core
// requests: KEYS, SCAN, RANDOMKEY (from the node-wide `scan` op, which walks
// the shards in turn, each over its store's SCAN cursor), and RENAME,
// RENAMENX and COPY (DUMP + RESTORE + conditional delete, for every type).
//
// RENAME is not atomic, even when both keys are on one shard (see
// docs/protocol.md, "RESP"): it reads the source (DUMP: value of any type,
// version; and its TTL), writes the destination with that value and TTL,
// then deletes the source only if its version is still the one read. In between, a reader can see both keys
// holding the value; it never sees neither. If a writer changes the source
// in between, the delete is refused: the destination has the value RENAME
// read, the source keeps the writer's, and RENAME replies an error saying so.

import { assert } from '../../core/assert.js';
import { bytesEqual, bytesToBinaryString } from '../../core/bytes.js';
import type { ReplyCallback } from '../../core/node/shard-channel.js';
import type { OkReply, Reply, Request } from '../../core/protocol/ops.js';
import { Glob, GLOB_PATTERN_BYTES_MAX } from '../../core/resp/glob.js';
import type { RespValue } from '../../core/resp/reply-encoder.js';
import { errorText, NOT_INTEGER_ERROR, SYNTAX_ERROR } from '../../core/resp/resp-errors.js';
import { parseInt64Number } from '../../core/resp/resp-numbers.js';
import { nodeCursorOf, respCursorOf } from '../../core/resp/scan-cursor.js';
import { encodeScanCursor } from '../../core/routing/split.js';
import { bulk, fail, OK, reply, word, type CommandCall } from './resp-command-context.js';

const EMPTY = new Uint8Array(0);
/** SCAN's page size when COUNT is not given, as Redis's. */
export const SCAN_COUNT_DEFAULT = 10;
export const NO_SUCH_KEY_ERROR = 'ERR no such key';
export const INVALID_CURSOR_ERROR = 'ERR invalid cursor';
export const RENAME_RACE_ERROR = 'ERR source key changed during RENAME; the destination holds the value RENAME read and the source keeps the new one';

function patternError(pattern: Uint8Array): string | null {
  return pattern.length > GLOB_PATTERN_BYTES_MAX ? `ERR pattern is longer than ${GLOB_PATTERN_BYTES_MAX} bytes` : null;
}

const keyArray = (keys: readonly Uint8Array[]): RespValue => ({ type: 'array', items: keys.map((k) => bulk(k)) });

/**
 * KEYS pattern: every key of every shard whose bytes match, found by a whole
 * scan in pages of scanLimitMax (each page O(page) on its shard, so no shard
 * is sorted or copied at once); the pattern's literal prefix is applied on
 * the shard, so only keys that may match are copied out. A key may come
 * twice if the keyspace shrinks meanwhile (SCAN's guarantee); KEYS reports it
 * once. The reply is bounded by clientOutputBytesMax; past it KEYS fails and
 * points to SCAN, where Redis would build the reply however big.
 */
export function runKeys(call: CommandCall): void {
  const { node } = call;
  const pattern = call.args[0]!;
  const tooLong = patternError(pattern);
  if (tooLong !== null) return call.done(fail(tooLong));
  const glob = new Glob(pattern);
  // No key is longer than keyBytesMax, so no key has a longer prefix.
  if (glob.literalPrefix.length > node.limits.keyBytesMax) return call.done(reply(keyArray([])));
  const found: Uint8Array[] = [];
  const seen = new Set<string>();
  let replyBytes = 0;
  const page = (cursor: Uint8Array): void => {
    node.execute({ op: 'scan', prefix: glob.literalPrefix, cursor, limit: node.limits.scanLimitMax }, (r) => {
      if (!r.ok) return call.done(fail(errorText(r)));
      for (const item of r.scanItems ?? []) {
        if (!glob.matches(item.key)) continue;
        const id = bytesToBinaryString(item.key);
        if (seen.has(id)) continue;
        seen.add(id);
        found.push(item.key);
        replyBytes += item.key.length + 16; // `$<len>\r\n...\r\n`
      }
      if (replyBytes > node.limits.clientOutputBytesMax) {
        return call.done(fail(`ERR KEYS reply would exceed ${node.limits.clientOutputBytesMax} bytes; use SCAN`));
      }
      const next = r.cursor ?? EMPTY;
      if (next.length === 0) return call.done(reply(keyArray(found)));
      page(next);
    });
  };
  page(EMPTY);
}

/** SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]. Cursors: core/resp/scan-cursor.ts (stateless integers). */
export function runScan(call: CommandCall): void {
  const { node, args } = call;
  const given = parseInt64Number(args[0]!);
  const cursor = given === null ? null : nodeCursorOf(given, node.shardCount);
  if (cursor === null) return call.done(fail(INVALID_CURSOR_ERROR));
  let glob: Glob | null = null;
  let count = SCAN_COUNT_DEFAULT;
  let type: string | null = null;
  for (let i = 1; i < args.length; i += 2) {
    if (i + 1 >= args.length) return call.done(fail(SYNTAX_ERROR));
    const option = word(args[i]!);
    const value = args[i + 1]!;
    if (option === 'MATCH') {
      const tooLong = patternError(value);
      if (tooLong !== null) return call.done(fail(tooLong));
      glob = new Glob(value);
    } else if (option === 'COUNT') {
      const n = parseInt64Number(value);
      if (n === null) return call.done(fail(NOT_INTEGER_ERROR));
      if (n < 1) return call.done(fail(SYNTAX_ERROR));
      count = n;
    } else if (option === 'TYPE') {
      type = word(value);
    } else {
      return call.done(fail(SYNTAX_ERROR));
    }
  }
  const done = (next: Uint8Array, keys: Uint8Array[]): void => {
    const nextCursor = respCursorOf(next, node.shardCount);
    assert(nextCursor !== null, 'the node handed out a scan cursor RESP cannot carry');
    call.done(reply({ type: 'array', items: [bulk(String(nextCursor)), keyArray(keys)] }));
  };
  // Every Piccolo value is a string: any other TYPE matches nothing, and the iteration is complete.
  if (type !== null && type !== 'STRING') return done(EMPTY, []);
  const prefix = glob?.literalPrefix ?? EMPTY;
  if (prefix.length > node.limits.keyBytesMax) return done(EMPTY, []);
  // COUNT is a hint in Redis too; a page is at most scanLimitMax keys here.
  const limit = Math.min(count, node.limits.scanLimitMax);
  node.execute({ op: 'scan', prefix, cursor, limit }, (r) => {
    if (!r.ok) return call.done(fail(errorText(r)));
    const keys: Uint8Array[] = [];
    for (const item of r.scanItems ?? []) if (glob === null || glob.matches(item.key)) keys.push(item.key);
    done(r.cursor ?? EMPTY, keys);
  });
}

/** u32 seeds and shard picks for RANDOMKEY: the door's randomness, handed to core as plain numbers. */
const U32_SPAN = 0x1_0000_0000;

/**
 * RANDOMKEY: a key drawn by a shard store (ShardStore.randomKey, with a PRNG
 * seeded from a u32 this door picks): the node-wide scan starts on a random
 * shard with `randomSeed`, so each shard asked answers at most one random
 * live key and an empty shard passes on to the next; if the shards from the
 * random one to the last are all empty, it asks again from shard 0. Keys are
 * nearly uniform within a shard (see core/store/hash-index.ts randomAddr);
 * shards are picked uniformly, not by size.
 */
export function runRandomKey(call: CommandCall): void {
  const { node } = call;
  const randomU32 = (): number => Math.floor(Math.random() * U32_SPAN);
  const shard = randomU32() % node.shardCount;
  const ask = (from: number, onEmpty: () => void): void => {
    node.execute({ op: 'scan', prefix: EMPTY, cursor: encodeScanCursor(from, EMPTY), limit: 1, randomSeed: randomU32() }, (r) => {
      if (!r.ok) return call.done(fail(errorText(r)));
      const items = r.scanItems ?? [];
      if (items.length === 0) return onEmpty();
      call.done(reply(bulk(items[0]!.key)));
    });
  };
  const none = (): void => call.done(reply({ type: 'null' }));
  ask(shard, shard === 0 ? none : () => ask(0, none));
}

/** Run requests back to back; `onReplies` gets their replies in order once all are in. */
function runAll(execute: (request: Request, onReply: ReplyCallback) => void, requests: Request[], onReplies: (replies: Reply[]) => void): void {
  const replies: Reply[] = new Array(requests.length);
  let remaining = requests.length;
  requests.forEach((request, i) => execute(request, (r) => {
    replies[i] = r;
    if (--remaining === 0) onReplies(replies);
  }));
}

/** How RENAME, RENAMENX and COPY differ (runKeyCopy). */
interface KeyCopyMode {
  name: 'rename' | 'renamenx' | 'copy';
  /** RESTORE over an existing destination. */
  replace: boolean;
  /** Delete the source after (RENAME, RENAMENX). */
  moves: boolean;
}

const textEncoder = new TextEncoder();
const call = (name: string, args: Uint8Array[]): Request => ({ op: 'call', name, args });

export const runRename = (c: CommandCall): void => runKeyCopy(c, { name: 'rename', replace: true, moves: true });
export const runRenameNx = (c: CommandCall): void => runKeyCopy(c, { name: 'renamenx', replace: false, moves: true });

/** COPY source destination [DB 0] [REPLACE] (one database: DB must be 0). */
export function runCopy(c: CommandCall): void {
  let replace = false;
  for (let j = 2; j < c.args.length; j++) {
    const word = bytesToBinaryString(c.args[j]!).toUpperCase();
    if (word === 'REPLACE') replace = true;
    else if (word === 'DB' && j + 1 < c.args.length) {
      const db = parseInt64Number(c.args[++j]!);
      if (db === null) return c.done(fail(NOT_INTEGER_ERROR));
      if (db !== 0) return c.done(fail('ERR DB index is out of range'));
    } else return c.done(fail(SYNTAX_ERROR));
  }
  runKeyCopy(c, { name: 'copy', replace, moves: false });
}

/**
 * RENAME, RENAMENX, COPY for a key of any type: DUMP and PTTL the source
 * (next to each other on its shard), RESTORE the destination with that TTL,
 * then (RENAME, RENAMENX) delete the source only if its version is still the
 * one dumped.
 */
function runKeyCopy(c: CommandCall, mode: KeyCopyMode): void {
  const { node } = c;
  const [source, destination] = [c.args[0]!, c.args[1]!];
  // Each step names one key; routed with both, a cluster node forwards the steps when the keys are in two groups.
  const execute = (request: Request, onReply: (reply: Reply) => void): void => node.executeParts([request], (_i, r) => onReply(r), [source, destination]);
  const done = (moved: boolean): void => c.done(reply(mode.name === 'rename' ? OK : { type: 'integer', value: moved ? 1 : 0 }));
  if (bytesEqual(source, destination)) {
    if (mode.name === 'copy') return c.done(fail('ERR source and destination objects are the same'));
    // Redis: renaming a key to itself is OK (RENAMENX: 0) when it exists.
    return execute({ op: 'exists', key: source }, (r) => {
      if (!r.ok) return c.done(fail(errorText(r)));
      if (!r.found) return c.done(fail(NO_SUCH_KEY_ERROR));
      done(false);
    });
  }
  runAll(execute, [call('dump', [source]), { op: 'ttl', key: source }], ([dumped, ttl]) => {
    if (!dumped!.ok) return c.done(fail(errorText(dumped!)));
    if (!ttl!.ok) return c.done(fail(errorText(ttl!)));
    const payload = (dumped as OkReply).data;
    const ttlMs = Number((ttl as OkReply).integer ?? -2n);
    if (payload?.t !== 'bytes' || ttlMs === -2) return mode.name === 'copy' ? done(false) : c.done(fail(NO_SUCH_KEY_ERROR));
    const restoreArgs = [destination, textEncoder.encode(String(Math.max(ttlMs, 0))), payload.v];
    if (mode.replace) restoreArgs.push(textEncoder.encode('REPLACE'));
    execute(call('restore', restoreArgs), (written) => {
      if (!written.ok && written.code === 'KEY_EXISTS') return done(false);
      if (!written.ok) return c.done(fail(errorText(written)));
      if (!mode.moves) return done(true);
      execute({ op: 'del', key: source, expectedVersion: (dumped as OkReply).version ?? 0 }, (deleted) => {
        if (deleted.ok) return done(true);
        // Deleted or expired meanwhile: the end state is a rename followed by that delete.
        if (deleted.code === 'VERSION_MISMATCH' && (deleted.currentVersion ?? 0) === 0) return done(true);
        if (deleted.code === 'VERSION_MISMATCH') return c.done(fail(RENAME_RACE_ERROR));
        c.done(fail(errorText(deleted)));
      });
    });
  });
}

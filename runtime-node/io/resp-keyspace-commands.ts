// Commands over the whole keyspace that the RESP door builds from core
// requests: KEYS, SCAN, RANDOMKEY (from the node-wide `scan` op, which walks
// the shards in turn) and RENAME (get + set + conditional delete).
//
// RENAME is not atomic, even when both keys are on one shard (see
// docs/protocol.md, "RESP"): it reads the source (value, version, TTL), writes
// the destination with that value and TTL, then deletes the source only if its
// version is still the one read. In between, a reader can see both keys
// holding the value; it never sees neither. If a writer changes the source
// in between, the delete is refused: the destination has the value RENAME
// read, the source keeps the writer's, and RENAME replies an error saying so.

import { bytesEqual } from '../../core/bytes.js';
import type { ReplyCallback } from '../../core/node/shard-channel.js';
import type { OkReply, Reply, Request } from '../../core/protocol/ops.js';
import { Glob, GLOB_PATTERN_BYTES_MAX } from '../../core/resp/glob.js';
import type { RespValue } from '../../core/resp/reply-encoder.js';
import { errorText, NOT_INTEGER_ERROR, SYNTAX_ERROR } from '../../core/resp/resp-errors.js';
import { parseInt64Number } from '../../core/resp/resp-numbers.js';
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
 * KEYS pattern: every key of every shard whose bytes match, found by scanning
 * with the pattern's literal prefix (so `user:*` reads only `user:` keys).
 * The reply is bounded by clientOutputBytesMax; past it KEYS fails and points
 * to SCAN, where Redis would build the reply however big.
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
  let replyBytes = 0;
  const page = (cursor: Uint8Array): void => {
    node.execute({ op: 'scan', prefix: glob.literalPrefix, cursor, limit: node.limits.scanLimitMax }, (r) => {
      if (!r.ok) return call.done(fail(errorText(r)));
      for (const item of r.scanItems ?? []) {
        if (!glob.matches(item.key)) continue;
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

/** SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]. Cursors: see resp-scan-cursors.ts. */
export function runScan(call: CommandCall): void {
  const { node, args } = call;
  const handle = parseInt64Number(args[0]!);
  if (handle === null || handle < 0) return call.done(fail(INVALID_CURSOR_ERROR));
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
  const cursor = handle === 0 ? EMPTY : node.scanCursors.lookup(handle);
  if (cursor === undefined) return call.done(fail(INVALID_CURSOR_ERROR));
  const done = (next: Uint8Array, keys: Uint8Array[]): void => {
    const nextHandle = next.length === 0 ? 0 : node.scanCursors.store(next);
    call.done(reply({ type: 'array', items: [bulk(String(nextHandle)), keyArray(keys)] }));
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

/** Keys RANDOMKEY draws from: a few, so one call costs one small page. */
const RANDOMKEY_SAMPLE = 16;
/** Bytes of the random starting point: enough to land between any two real keys. */
const RANDOMKEY_CURSOR_BYTES = 8;

/**
 * RANDOMKEY: a key near a random point. Piccolo has no random-entry op, so
 * this starts the node-wide scan on a random shard just after random
 * printable bytes (most keys are text), takes a small page and picks one key
 * of it; if nothing follows that point, it starts from the beginning. Every
 * key can be returned, but not with equal probability (keys after large gaps
 * in key order come up more often).
 */
export function runRandomKey(call: CommandCall): void {
  const { node } = call;
  const start = new Uint8Array(RANDOMKEY_CURSOR_BYTES);
  for (let i = 0; i < start.length; i++) start[i] = 0x20 + Math.floor(Math.random() * 95);
  const shard = Math.floor(Math.random() * node.shardCount);
  const pick = (r: Reply, onEmpty: () => void): void => {
    if (!r.ok) return call.done(fail(errorText(r)));
    const items = r.scanItems ?? [];
    if (items.length === 0) return onEmpty();
    call.done(reply(bulk(items[Math.floor(Math.random() * items.length)]!.key)));
  };
  node.execute({ op: 'scan', prefix: EMPTY, cursor: encodeScanCursor(shard, start), limit: RANDOMKEY_SAMPLE }, (first) => {
    pick(first, () => node.execute({ op: 'scan', prefix: EMPTY, cursor: EMPTY, limit: RANDOMKEY_SAMPLE }, (second) => {
      pick(second, () => call.done(reply({ type: 'null' })));
    }));
  });
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

export function runRename(call: CommandCall): void {
  const { node } = call;
  const [source, destination] = [call.args[0]!, call.args[1]!];
  const execute = node.execute.bind(node);
  if (bytesEqual(source, destination)) {
    // Redis: renaming a key to itself is OK when it exists.
    return execute({ op: 'exists', key: source }, (r) => {
      if (!r.ok) return call.done(fail(errorText(r)));
      call.done(r.found ? reply(OK) : fail(NO_SUCH_KEY_ERROR));
    });
  }
  // Sent together, the get and ttl are next to each other on the source's
  // shard; the version check on the delete is what makes the result safe.
  runAll(execute, [{ op: 'get', key: source }, { op: 'ttl', key: source }], ([got, ttl]) => {
    if (!got!.ok) return call.done(fail(errorText(got!)));
    if (!ttl!.ok) return call.done(fail(errorText(ttl!)));
    const read = got as OkReply;
    const ttlMs = Number((ttl as OkReply).integer ?? -2n);
    if (!read.found || read.value === undefined || ttlMs === -2) return call.done(fail(NO_SUCH_KEY_ERROR));
    const set: Request = ttlMs > 0
      ? { op: 'set', key: destination, value: read.value, ttlMs }
      : { op: 'set', key: destination, value: read.value };
    execute(set, (written) => {
      if (!written.ok) return call.done(fail(errorText(written)));
      execute({ op: 'del', key: source, expectedVersion: read.version ?? 0 }, (deleted) => {
        if (deleted.ok) return call.done(reply(OK));
        // Deleted or expired meanwhile: the end state is a rename followed by that delete.
        if (deleted.code === 'VERSION_MISMATCH' && (deleted.currentVersion ?? 0) === 0) return call.done(reply(OK));
        if (deleted.code === 'VERSION_MISMATCH') return call.done(fail(RENAME_RACE_ERROR));
        call.done(fail(errorText(deleted)));
      });
    });
  });
}

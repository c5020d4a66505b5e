// SSCAN key cursor [MATCH pattern] [COUNT count]: a compact set comes back
// whole with cursor 0 (as Redis answers its listpacks and intsets); a large
// one a few buckets at a time by Redis's reverse-binary cursor over its
// table (large-set.ts), so a member there for the whole scan is returned at
// least once across resizes. COUNT is a hint of members per page (buckets
// visited are capped at ten times it, as Redis does); MATCH filters a page
// after it is gathered. A page stops early rather than pass half a frame.

import { parseInt64 } from '../../int64.js';
import { bytesValue } from '../../protocol/data-value.js';
import { errReply, type Bytes, type Reply } from '../../protocol/ops.js';
import { isOption } from '../../resp/command-args.js';
import { Glob, GLOB_PATTERN_BYTES_MAX } from '../../resp/glob.js';
import { FIRST_KEY, type DataCommand } from '../data-command.js';
import { isErrReply, readSet } from './set-forms.js';
import { memberArray, ReplyBudget, replyTooLarge } from './set-reply.js';

/** Redis's default COUNT. */
const SCAN_COUNT_DEFAULT = 10;
/** Buckets a page may visit per member asked for (Redis: maxiterations = count * 10), so sparse tables still end a page. */
const SCAN_BUCKETS_PER_COUNT = 10;
const CURSOR_TEXT = /^[0-9]{1,20}$/;
const TWO_POW_32 = 2n ** 32n;

interface ScanOptions { cursor: number; glob: Glob | null; count: number }

function parseScan(args: readonly Bytes[]): ScanOptions | string {
  const cursorText = new TextDecoder().decode(args[1]!);
  if (!CURSOR_TEXT.test(cursorText) || BigInt(cursorText) >= 2n ** 64n) return 'invalid cursor';
  // Tables have at most 2^31 slots: the low 32 bits are the whole cursor.
  const cursor = Number(BigInt(cursorText) % TWO_POW_32);
  let glob: Glob | null = null;
  let count = SCAN_COUNT_DEFAULT;
  for (let i = 2; i < args.length; i++) {
    const more = i + 1 < args.length;
    if (isOption(args[i]!, 'COUNT') && more) {
      const n = parseInt64(args[++i]!);
      if (n === null) return 'value is not an integer or out of range';
      if (n < 1n) return 'syntax error';
      count = n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(n);
    } else if (isOption(args[i]!, 'MATCH') && more) {
      const pattern = args[++i]!;
      if (pattern.length > GLOB_PATTERN_BYTES_MAX) return `pattern is longer than ${GLOB_PATTERN_BYTES_MAX} bytes`;
      glob = new Glob(pattern);
    } else return 'syntax error';
  }
  return { cursor, glob, count };
}

export const sscanCommand: DataCommand = {
  name: 'sscan', arity: -3, write: false, keys: FIRST_KEY,
  run(keys, args): Reply {
    const options = parseScan(args);
    if (typeof options === 'string') return errReply('BAD_REQUEST', options);
    const stored = readSet(keys, args[0]!);
    if (isErrReply(stored)) return stored;
    const page: Uint8Array[] = [];
    let next = 0;
    // Half a frame, as a keyspace SCAN page: the rest of the frame is the door's.
    const budget = new ReplyBudget(Math.floor(keys.limits.frameBytesMax / 2));
    if (stored !== null && stored.large === null) {
      let fits = true;
      stored.set.forEach((m) => void (fits &&= budget.take(m)));
      if (!fits) return replyTooLarge('sscan', budget.bytesMax);
      stored.set.forEach((m) => void page.push(m.slice()));
    } else if (stored !== null) {
      const large = stored.large!;
      let cursor = options.cursor;
      let buckets = 0;
      do {
        const bucket: Uint8Array[] = [];
        const after = large.scanStep(cursor, (m) => void bucket.push(m.slice()));
        if (!budget.takeAll(bucket)) {
          if (page.length === 0) return replyTooLarge('sscan', budget.bytesMax);
          break;
        }
        page.push(...bucket);
        cursor = after;
        buckets++;
      } while (cursor !== 0 && page.length < options.count && buckets < options.count * SCAN_BUCKETS_PER_COUNT);
      next = cursor;
    }
    const matched = options.glob === null ? page : page.filter((m) => options.glob!.matches(m));
    return { ok: true, data: { t: 'array', v: [bytesValue(new TextEncoder().encode(String(next))), memberArray(matched)] } };
  },
};

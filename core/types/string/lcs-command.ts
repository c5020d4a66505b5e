// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN n] [WITHMATCHLEN]: the longest
// common subsequence of two strings, as Redis 7 computes it (the dynamic
// programming table, then a walk back from the end that reports the matched
// ranges last to first).

import { arrayValue, bytesValue, intValue, type DataValue } from '../../protocol/data-value.js';
import { errReply } from '../../protocol/ops.js';
import { isOption } from '../../resp/command-args.js';
import { parseInt64Number } from '../../resp/resp-numbers.js';
import { keysAt, type DataCommand } from '../data-command.js';
import { isErr, readString } from './string-values.js';

/**
 * Cells of the table LCS may fill: (len1 + 1) * (len2 + 1). It is held
 * while the command runs (4 bytes a cell), on the worker that applies it,
 * so two 4 KiB strings pass and two megabyte strings are refused rather than
 * stall the shard and take a gigabyte.
 */
export const LCS_CELLS_MAX = 16 * 1024 * 1024;

const textEncoder = new TextEncoder();

export const lcsCommand: DataCommand = {
  name: 'lcs', arity: -3, write: false, keys: keysAt(0, 1, 1),
  run(keys, args) {
    let wantLen = false;
    let wantIdx = false;
    let withMatchLen = false;
    let minMatchLen = 0;
    for (let j = 2; j < args.length; j++) {
      const word = args[j]!;
      if (isOption(word, 'LEN')) wantLen = true;
      else if (isOption(word, 'IDX')) wantIdx = true;
      else if (isOption(word, 'WITHMATCHLEN')) withMatchLen = true;
      else if (isOption(word, 'MINMATCHLEN') && j + 1 < args.length) {
        const n = parseInt64Number(args[++j]!);
        if (n === null) return errReply('BAD_REQUEST', 'value is not an integer or out of range');
        minMatchLen = Math.max(0, n);
      } else return errReply('BAD_REQUEST', 'syntax error');
    }
    if (wantLen && wantIdx) return errReply('BAD_REQUEST', 'If you want both the length and indexes, please just use IDX.');
    const a = readString(keys, args[0]!);
    const b = readString(keys, args[1]!);
    if (isErr(a) || isErr(b)) return errReply('BAD_REQUEST', 'The specified keys must contain string values');
    const x = a.value;
    const y = b.value;
    const cells = (x.length + 1) * (y.length + 1);
    if (cells > LCS_CELLS_MAX) {
      return errReply('LIMIT_EXCEEDED', `LCS of ${x.length} and ${y.length} bytes needs ${cells} table cells; the limit is ${LCS_CELLS_MAX}`);
    }
    const table = lcsTable(x, y);
    const width = y.length + 1;
    const length = table[x.length * width + y.length]!;
    if (wantLen) return { ok: true, data: intValue(length) };
    const common = new Uint8Array(length);
    const matches: DataValue[] = [];
    walkBack(x, y, table, common, (aStart, aEnd, bStart, bEnd) => {
      const matchLength = aEnd - aStart + 1;
      if (minMatchLen !== 0 && matchLength < minMatchLen) return;
      const item = [arrayValue([intValue(aStart), intValue(aEnd)]), arrayValue([intValue(bStart), intValue(bEnd)])];
      if (withMatchLen) item.push(intValue(matchLength));
      matches.push(arrayValue(item));
    });
    if (!wantIdx) return { ok: true, data: bytesValue(common) };
    return {
      ok: true,
      data: { t: 'map', v: [bytesValue(textEncoder.encode('matches')), arrayValue(matches), bytesValue(textEncoder.encode('len')), intValue(length)] },
    };
  },
};

/** table[i * (y.length + 1) + j] = LCS length of x[0, i) and y[0, j). */
function lcsTable(x: Uint8Array, y: Uint8Array): Uint32Array {
  const width = y.length + 1;
  const table = new Uint32Array((x.length + 1) * width);
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      table[i * width + j] = x[i - 1] === y[j - 1]
        ? table[(i - 1) * width + j - 1]! + 1
        : Math.max(table[(i - 1) * width + j]!, table[i * width + j - 1]!);
    }
  }
  return table;
}

/** Fill `common` with the subsequence and report each matched range, last first (Redis's order and tie-breaks). */
function walkBack(x: Uint8Array, y: Uint8Array, table: Uint32Array, common: Uint8Array,
  emit: (aStart: number, aEnd: number, bStart: number, bEnd: number) => void): void {
  const width = y.length + 1;
  const none = x.length;
  let i = x.length;
  let j = y.length;
  let idx = common.length;
  let aStart = none;
  let aEnd = 0;
  let bStart = 0;
  let bEnd = 0;
  while (i > 0 && j > 0) {
    let emitRange = false;
    if (x[i - 1] === y[j - 1]) {
      common[idx - 1] = x[i - 1]!;
      if (aStart === none) {
        aStart = aEnd = i - 1;
        bStart = bEnd = j - 1;
      } else if (aStart === i && bStart === j) {
        aStart--;
        bStart--;
      } else {
        emitRange = true;
      }
      if (aStart === 0 || bStart === 0) emitRange = true;
      idx--;
      i--;
      j--;
    } else {
      if (table[(i - 1) * width + j]! > table[i * width + j - 1]!) i--;
      else j--;
      if (aStart !== none) emitRange = true;
    }
    if (emitRange) {
      emit(aStart, aEnd, bStart, bEnd);
      aStart = none;
    }
  }
}

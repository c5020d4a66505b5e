// Building a sorted-set command's reply within one frame: members (and
// scores) are added one by one and the reply's size is counted as it grows,
// so a range over a huge set answers LIMIT_EXCEEDED with a clear message
// instead of building a reply no door could send.
//
// WITHSCORES replies are `pairs` (core/protocol/data-value.ts): a flat
// (member, score, ...) array in RESP2 with each score a bulk string, and in
// RESP3 an array of [member, double] pairs, as Redis 7 answers.

import { bytesValue, dataValueBytes, doubleValue, type DataValue } from '../../protocol/data-value.js';
import { errReply, type Bytes, type Reply } from '../../protocol/ops.js';
import type { KeyAccess } from '../key-access.js';
import type { Written } from './zset-keys.js';

export class ZReply {
  readonly items: DataValue[] = [];
  private bytes = 0;
  over = false;

  constructor(private readonly bytesMax: number, private readonly withScores: boolean) {}

  /** Add a member (and its score WITHSCORES); false once the reply is over its budget (stop adding). */
  add(member: Bytes, score: number): boolean {
    return this.push(bytesValue(member)) && (!this.withScores || this.push(doubleValue(score)));
  }

  push(value: DataValue): boolean {
    this.bytes += dataValueBytes(value);
    if (this.bytes > this.bytesMax) {
      this.over = true;
      return false;
    }
    this.items.push(value);
    return true;
  }

  /** The reply (members, or pairs WITHSCORES), or LIMIT_EXCEEDED when it outgrew its budget. */
  reply(): Reply {
    return this.over ? tooLarge(this.bytesMax) : { ok: true, data: this.data() };
  }

  data(): DataValue {
    return { t: this.withScores ? 'pairs' : 'array', v: this.items };
  }
}

export function tooLarge(bytesMax: number): Reply {
  return errReply('LIMIT_EXCEEDED', `the reply would exceed ${bytesMax} bytes (one frame); ask for a smaller range (LIMIT, COUNT)`);
}

/** The reply of a write: carries the entry's index as version when it changed the key. */
export function writeReply(keys: KeyAccess, w: Written<unknown>, data: DataValue): Reply {
  return w.wrote ? { ok: true, data, version: keys.version } : { ok: true, data };
}

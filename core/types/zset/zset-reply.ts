// Building a sorted-set command's reply within one frame: members (and
// scores) are added one by one and the reply's size is counted as it grows,
// so a range over a huge set answers LIMIT_EXCEEDED with a clear message
// instead of building a reply no door could send.
//
// WITHSCORES replies are the flat (member, score, member, score ...) array
// with each score a double: RESP2's shape exactly (a double is a bulk
// string there); RESP3 sees the same flat array with `,` doubles, where
// Redis 7 nests each pair in an array of two (DataValue has no shape that
// is flat in RESP2 and nested in RESP3; see docs/data-structures.md).

import { bytesValue, dataValueBytes, doubleValue, type DataValue } from '../../protocol/data-value.js';
import { errReply, type Bytes, type Reply } from '../../protocol/ops.js';

export class ZReply {
  readonly items: DataValue[] = [];
  private bytes = 0;
  over = false;

  constructor(private readonly bytesMax: number) {}

  /** Add a member (and its score when `withScore`); false once the reply is over its budget (stop adding). */
  add(member: Bytes, score: number, withScore: boolean): boolean {
    return this.push(bytesValue(member)) && (!withScore || this.push(doubleValue(score)));
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

  /** The array reply, or LIMIT_EXCEEDED when it outgrew its budget. */
  reply(): Reply {
    return this.over ? tooLarge(this.bytesMax) : { ok: true, data: { t: 'array', v: this.items } };
  }
}

export function tooLarge(bytesMax: number): Reply {
  return errReply('LIMIT_EXCEEDED', `the reply would exceed ${bytesMax} bytes (one frame); ask for a smaller range (LIMIT, COUNT)`);
}

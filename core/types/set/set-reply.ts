// Replies of set commands that list members (SMEMBERS, SINTER, SRANDMEMBER,
// SPOP with a count, SSCAN): they must fit one frame (limits.frameBytesMax),
// so a reply that would not is refused with LIMIT_EXCEEDED before anything
// is changed, rather than built and failed later in a door.

import { bytesValue, type DataValue } from '../../protocol/data-value.js';
import { errReply, type ErrReply } from '../../protocol/ops.js';

/** Bytes a reply item costs beyond its payload on any wire: a tag and a length (data-value.ts's bound). */
const REPLY_ITEM_OVERHEAD_BYTES = 16;

/** Counts a reply's bytes as it is built, against a frame's worth. */
export class ReplyBudget {
  private bytes = REPLY_ITEM_OVERHEAD_BYTES;

  constructor(readonly bytesMax: number) {}

  /** Count one member; false once the reply would be over the limit. */
  take(member: Uint8Array): boolean {
    this.bytes += REPLY_ITEM_OVERHEAD_BYTES + member.length;
    return this.bytes <= this.bytesMax;
  }

  /** Whether all of `members` fit (counting them). */
  takeAll(members: readonly Uint8Array[]): boolean {
    for (const m of members) if (!this.take(m)) return false;
    return true;
  }
}

export function replyTooLarge(command: string, bytesMax: number): ErrReply {
  return errReply('LIMIT_EXCEEDED',
    `the ${command.toUpperCase()} reply would be over ${bytesMax} bytes (one frame); read a large set with SSCAN`);
}

/** Members as a RESP3 set (SMEMBERS, SINTER, SPOP with a count). */
export function memberSet(members: readonly Uint8Array[]): DataValue {
  return { t: 'set', v: members.map(bytesValue) };
}

/** Members as an array (SRANDMEMBER with a count, SSCAN's page). */
export function memberArray(members: readonly Uint8Array[]): DataValue {
  return { t: 'array', v: members.map(bytesValue) };
}

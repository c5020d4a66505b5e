// Bounds on what a hash command's reply may carry: a whole-hash reply
// (HGETALL, HKEYS, HVALS, HRANDFIELD) that would not fit answers
// LIMIT_EXCEEDED with a clear message instead (HSCAN cuts its page), so a
// huge hash never builds a reply no frame can carry.

import { errReply, type ErrReply } from '../../protocol/ops.js';
import { scanPageBytesMax } from '../../protocol/reply-size.js';
import type { Limits } from '../../limits.js';

/**
 * Bytes an element costs on any wire beyond its own: a tag and a length
 * (as core/protocol/data-value.ts counts), so that many tiny elements are
 * bounded too.
 */
export const REPLY_ELEMENT_OVERHEAD_BYTES = 16;

/** Counts a reply's bytes against half a frame (the SCAN page bound: room for escaping and framing in every codec). */
export class ReplyBudget {
  private bytes = 0;
  readonly bytesMax: number;

  constructor(limits: Limits) {
    this.bytesMax = scanPageBytesMax(limits);
  }

  /** Count an element of `length` bytes; false once the reply is over its bound. */
  add(length: number): boolean {
    this.bytes += length + REPLY_ELEMENT_OVERHEAD_BYTES;
    return this.bytes <= this.bytesMax;
  }

  /** Count `bytes` (overheads included by the caller); false once the reply is over its bound. */
  addBytes(bytes: number): boolean {
    this.bytes += bytes;
    return this.bytes <= this.bytesMax;
  }

  get full(): boolean {
    return this.bytes > this.bytesMax;
  }

  /** The error for a reply that outgrew the bound. */
  tooLarge(command: string, hint: string): ErrReply {
    return errReply('LIMIT_EXCEEDED', `${command}'s reply would be over ${this.bytesMax} bytes (one frame); ${hint}`);
  }
}

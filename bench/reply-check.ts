// Checks the load generator's replies without making the generator the
// bottleneck: cheap checks on every reply, a full decode on a sample.
//
// - Piccolo, JSON: every reply must contain "ok":true; every SAMPLE_EVERY-th
//   is parsed and its id and content checked.
// - Piccolo, binary: every SAMPLE_EVERY-th reply is decoded (Cap'n Proto
//   decoding costs microseconds in JS) and its id and content checked.
// - Echo: every reply must be as long as its request (the echo server's one job).
//
// Content: after preloading, a GET must find a value of valueBytes; a SET must
// return a version.

import { decodeResponse } from '../schema/binary-codec.js';
import { decodeJsonResponse } from '../schema/json-codec.js';
import type { Reply } from '../core/protocol/ops.js';
import { OP_GET, type LoadFormat, type LoadOp } from './request-writer.js';

/** One reply in this many is fully decoded and checked. */
export const SAMPLE_EVERY = 16;

export type LoadTarget = 'piccolo' | 'echo';

const OK_TRUE = Buffer.from('"ok":true');
const textDecoder = new TextDecoder();

export interface ReplyCheckCounts {
  /** Replies fully decoded and checked. */
  checked: number;
  /** Problems by kind (error code, or a short description), for the report. */
  problems: Record<string, number>;
}

export class ReplyChecker {
  counts: ReplyCheckCounts = { checked: 0, problems: {} };

  /** The counts so far, and start counting afresh (the preload's apart from the measured run's). */
  takeCounts(): ReplyCheckCounts {
    const counts = this.counts;
    this.counts = { checked: 0, problems: {} };
    return counts;
  }

  constructor(
    private readonly target: LoadTarget,
    private readonly format: LoadFormat,
    private readonly valueBytes: number,
    /** Whether every key was written before: then a GET must find its value. */
    private readonly expectFound: boolean,
  ) {}

  /** Check reply `seq` (1-based on its connection; it is also the request id). */
  check(payload: Uint8Array, isBinary: boolean, seq: number, op: LoadOp, requestBytes: number): void {
    if (isBinary !== (this.format === 'binary')) return this.problem('reply in the wrong frame type');
    if (this.target === 'echo') {
      this.counts.checked++;
      if (payload.length !== requestBytes) this.problem('echo of a different length');
      return;
    }
    if (this.format === 'json') {
      const buf = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
      if (buf.indexOf(OK_TRUE) < 0) return this.checkJson(payload, seq, op);
      if (seq % SAMPLE_EVERY === 0) this.checkJson(payload, seq, op);
      return;
    }
    if (seq % SAMPLE_EVERY !== 0) return;
    this.counts.checked++;
    let decoded: { id: bigint; reply: Reply };
    try {
      decoded = decodeResponse(payload);
    } catch (error) {
      return this.problem(`undecodable reply: ${(error as Error).message.slice(0, 60)}`);
    }
    this.checkReply(decoded.id === BigInt(seq), decoded.reply, op);
  }

  private checkJson(payload: Uint8Array, seq: number, op: LoadOp): void {
    this.counts.checked++;
    let decoded: ReturnType<typeof decodeJsonResponse>;
    try {
      decoded = decodeJsonResponse(textDecoder.decode(payload));
    } catch (error) {
      return this.problem(`undecodable reply: ${(error as Error).message.slice(0, 60)}`);
    }
    this.checkReply(decoded.id === seq, decoded.reply, op);
  }

  private checkReply(idMatches: boolean, reply: Reply, op: LoadOp): void {
    if (!idMatches) return this.problem('reply id out of order');
    if (!reply.ok) return this.problem(reply.code);
    if (op === OP_GET) {
      if (this.expectFound && (reply.found !== true || reply.value?.length !== this.valueBytes)) this.problem('GET did not find the preloaded value');
    } else if (reply.version === undefined) {
      this.problem('SET reply without a version');
    }
  }

  private problem(kind: string): void {
    this.counts.problems[kind] = (this.counts.problems[kind] ?? 0) + 1;
  }
}

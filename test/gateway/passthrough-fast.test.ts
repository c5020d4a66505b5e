// The gateway's pass-through of binary frames (schema/binary-passthrough.ts,
// runtime-node/gateway/passthrough-format.ts) against the decode/encode path
// it replaces: a passed-on request frame is byte for byte the encoding of its
// decoded request under the new id; a passed-back ok reply is the encoding of
// its decoded reply under the client's id, and reads back as the same reply;
// error replies and unreadable frames take the old path, with its errors.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { binaryFormat } from '../../client/wire-format.js';
import { DEFAULT_LIMITS } from '../../core/limits.js';
import type { Reply } from '../../core/protocol/ops.js';
import { decodeRequest, decodeResponse, encodeRequest, encodeResponse } from '../../schema/binary-codec.js';
import {
  attachFrame, decodedReply, frameWithId, passedFrameOf, passedResponse, peekOkResponse,
} from '../../schema/binary-passthrough.js';
import { passThroughFormat } from '../../runtime-node/gateway/passthrough-format.js';
import { arbBinaryId, arbWireReply, arbWireRequest } from '../schema/arbitraries.js';

/** The ids a gateway's connection gives its requests (safe integers). */
const arbConnectionId = fc.oneof(fc.nat({ max: 1000 }), fc.maxSafeNat());

/** What a decode did: its value, or that it threw. */
function outcome<T>(run: () => T): { value: T } | { threw: string } {
  try {
    return { value: run() };
  } catch (error) {
    return { threw: (error as Error).message };
  }
}

describe('requests passed on as their frames', () => {
  test('the frame with a new id equals encoding the decoded request under that id', () => {
    fc.assert(fc.property(arbBinaryId, arbConnectionId, arbWireRequest, (clientId, nodeId, request) => {
      const frame = encodeRequest(clientId, request);
      const decoded = decodeRequest(frame, DEFAULT_LIMITS);
      if (!decoded.ok) throw new Error(`arbitrary request did not decode: ${decoded.error.message}`);
      const kept = attachFrame(decoded.request, frame);
      frame.fill(0xee); // the door's buffer is reused once its callback returns: the kept copy must not change
      const passed = passedFrameOf(kept);
      expect(passed).toBeDefined();
      expect(passThroughFormat.encode(nodeId, kept)).toStrictEqual(encodeRequest(BigInt(nodeId), request));
      // Sent again (a retry) under another id: still the request's encoding.
      expect(frameWithId(passed!, nodeId + 1)).toStrictEqual(encodeRequest(BigInt(nodeId + 1), request));
      // A bigint id, the full u64 range.
      expect(frameWithId(passed!, clientId)).toStrictEqual(encodeRequest(clientId, request));
    }), { numRuns: 400 });
  });

  test('a request without a kept frame is encoded as before', () => {
    fc.assert(fc.property(arbConnectionId, arbWireRequest, (id, request) => {
      expect(passedFrameOf(request)).toBeUndefined();
      expect(passThroughFormat.encode(id, request)).toStrictEqual(binaryFormat.encode(id, request));
    }), { numRuns: 100 });
  });

  test('a frame whose root has no id word is not kept (its request is encoded instead)', () => {
    // Segment table (1 segment of 1 word), then a root pointer to a struct of 0 data words and 0 pointers.
    const frame = new Uint8Array([0, 0, 0, 0, 1, 0, 0, 0, 0xfc, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
    const request = { op: 'get' as const, key: new Uint8Array([1]) };
    expect(passedFrameOf(attachFrame(request, frame))).toBeUndefined();
    expect(passedFrameOf(attachFrame({ ...request }, new Uint8Array([1, 2, 3])))).toBeUndefined();
  });
});

describe('replies passed back as their frames', () => {
  test('an ok reply with the client\'s id equals encoding its decoded form; it reads back as that reply', () => {
    fc.assert(fc.property(arbConnectionId, arbBinaryId, arbWireReply, (nodeId, clientId, reply) => {
      const frame = encodeResponse(BigInt(nodeId), reply);
      const before = binaryFormat.decode(frame.slice());
      const after = passThroughFormat.decode(frame.slice());
      expect(after.id).toBe(before.id);
      expect(decodedReply(after.reply)).toStrictEqual(before.reply);
      expect(after.reply.ok).toBe(reply.ok);
      const passed = passedResponse(clientId, after.reply);
      if (reply.ok) expect(passed).toStrictEqual(encodeResponse(clientId, before.reply));
      // An error reply is decoded in full, as before, and encoded again for the client.
      else expect(passed).toBeNull();
    }), { numRuns: 400 });
  });

  test('a reply that was never a frame is encoded as before', () => {
    fc.assert(fc.property(arbBinaryId, arbWireReply, (id, reply: Reply) => {
      expect(passedResponse(id, reply)).toBeNull();
      expect(decodedReply(reply)).toBe(reply);
    }), { numRuns: 100 });
  });

  test('a damaged reply frame fails as before: at the peek, or when decoded in full (the router then fails the connection\'s call)', () => {
    const arbDamaged = fc.tuple(arbConnectionId, arbWireReply).chain(([id, reply]) => {
      const frame = encodeResponse(BigInt(id), reply);
      return fc.oneof(
        fc.nat({ max: frame.length }).map((n) => frame.slice(0, n)),
        fc.array(fc.tuple(fc.nat({ max: frame.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 })
          .map((edits) => { const copy = frame.slice(); for (const [at, byte] of edits) copy[at] = byte; return copy; }),
      );
    });
    fc.assert(fc.property(fc.oneof(arbDamaged, fc.uint8Array({ maxLength: 64 })), (bytes) => {
      const before = outcome(() => binaryFormat.decode(bytes.slice()));
      const after = outcome(() => {
        const d = passThroughFormat.decode(bytes.slice());
        return { id: d.id, reply: decodedReply(d.reply) };
      });
      if ('threw' in before) {
        expect(after).toHaveProperty('threw');
        expect(before.threw).toContain((after as { threw: string }).threw.replace(/^unreadable binary reply: /, ''));
      } else {
        expect(after).toStrictEqual(before);
      }
    }), { numRuns: 1000 });
  });

  test('peekOkResponse reads an ok reply\'s id; an error reply is not peeked', () => {
    const ok = peekOkResponse(encodeResponse(2n ** 64n - 1n, { ok: true, found: true, value: new Uint8Array([7]) }));
    expect(ok?.id).toBe(2n ** 64n - 1n);
    expect(decodedReply(ok!.reply)).toStrictEqual(decodeResponse(encodeResponse(1n, { ok: true, found: true, value: new Uint8Array([7]) })).reply);
    expect(peekOkResponse(encodeResponse(3n, { ok: false, code: 'NOT_LEADER', message: 'no' }))).toBeNull();
  });
});

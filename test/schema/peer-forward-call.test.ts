// Forwarding between cluster nodes relays client frames as they are
// (schema/peer-forward.capnp): a data command and its reply tree must come
// out of a PeerForward exactly as they went in, so a follower can hand a
// `call` to its group's leader like any other request.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { DEFAULT_LIMITS } from '../../core/limits.js';
import { decodeRequest, decodeResponse, encodeRequest, encodeResponse } from '../../schema/binary-codec.js';
import { decodePeerForward, encodePeerForward, isPeerForward } from '../../schema/peer-forward-codec.js';
import { arbBinaryId, arbCallRequest, arbDataReplyOf, arbDataValue } from './arbitraries.js';

function relay(frame: Uint8Array, isReply: boolean): Uint8Array {
  const wrapped = encodePeerForward({ id: 77n, group: 3, leaderHint: 0, isReply, frame });
  expect(isPeerForward(wrapped)).toBe(true);
  const forward = decodePeerForward(wrapped);
  if (typeof forward === 'string') throw new Error(forward);
  expect(forward).toMatchObject({ id: 77n, group: 3, isReply });
  return forward.frame;
}

describe('a forwarded call', () => {
  test('its request frame reaches the leader unchanged and decodes to the same call', () => {
    fc.assert(fc.property(arbBinaryId, arbCallRequest, (id, request) => {
      const frame = encodeRequest(id, request);
      const relayed = relay(frame, false);
      expect(relayed).toStrictEqual(frame);
      expect(decodeRequest(relayed, DEFAULT_LIMITS)).toStrictEqual({ ok: true, id, request });
    }), { numRuns: 200 });
  });

  test('its reply, data tree included, comes back unchanged', () => {
    fc.assert(fc.property(arbBinaryId, arbDataReplyOf(arbDataValue), (id, reply) => {
      const frame = encodeResponse(id, reply);
      expect(decodeResponse(relay(frame, true))).toStrictEqual({ id, reply });
    }), { numRuns: 200 });
  });
});

// The wire format of the gateway's connections to the nodes: the typed
// client's binary format, except that a request a binary client sent is
// passed on as its own frame with the id rewritten, and an ok reply comes
// back as its frame, read only as far as its id and kind
// (schema/binary-passthrough.ts). The router decodes such a reply in full
// for a request that was not passed through (gateway-router.ts).

import { binaryFormat, type WireFormat } from '../../client/wire-format.js';
import { frameWithId, passedFrameOf, peekOkResponse } from '../../schema/binary-passthrough.js';

const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);

export const passThroughFormat: WireFormat = {
  ...binaryFormat,
  encode(id, req) {
    const passed = passedFrameOf(req);
    return passed === undefined ? binaryFormat.encode(id, req) : frameWithId(passed, id);
  },
  decode(data) {
    const peeked = data instanceof Uint8Array ? peekOkResponse(data) : null;
    if (peeked === null) return binaryFormat.decode(data);
    return { id: peeked.id <= SAFE_MAX ? Number(peeked.id) : null, reply: peeked.reply };
  },
};

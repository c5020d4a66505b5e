// The WebSocket binary wire format: one Cap'n Proto message per frame, schema
// in schema/piccolo.capnp, described in docs/protocol.md ("Wire formats").

export { decodeRequest, encodeRequest, type DecodedRequest } from './binary-request.js';
export { decodeResponse, encodeResponse } from './binary-response.js';
export { WireDecodeError, WireEncodeError } from './wire-errors.js';

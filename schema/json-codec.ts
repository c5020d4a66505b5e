// The WebSocket text-frame wire format: one JSON object per frame, described
// in docs/protocol.md ("Wire formats"). The HTTP front door reuses the
// object-level helpers (requestFromJson, replyToJson).

export {
  decodeJsonRequest, encodeJsonRequest, JSON_ID_CHARS_MAX, requestFromJson, requestToJson, type DecodedJsonRequest,
} from './json-request.js';
export {
  decodeJsonResponse, encodeJsonResponse, replyFromJson, replyToJson,
  type JsonErrorReply, type JsonId, type JsonItem, type JsonOkReply, type JsonReply, type JsonScanItem,
} from './json-reply.js';
export { WireDecodeError } from './wire-errors.js';

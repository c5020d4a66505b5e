// Errors the client-side halves of the codecs throw. The server-side halves
// (decodeRequest, decodeJsonRequest) never throw: they return an error reply.

/** A response frame that is not a well-formed Piccolo response (a server or transport bug). */
export class WireDecodeError extends Error {
  override name = 'WireDecodeError';
}

/** A request or reply that the binary format cannot represent (e.g. a fractional ttlMs). */
export class WireEncodeError extends Error {
  override name = 'WireEncodeError';
}

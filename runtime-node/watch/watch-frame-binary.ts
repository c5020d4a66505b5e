// A watch's Cap'n Proto frames on the WebSocket door (schema/binary-watch.ts
// has the codec, docs/protocol.md "Watches" the frames): what a watch opened
// by a binary frame sends, the binary twin of watch-frame.ts's
// JSON_WATCH_FRAMES. A watch speaks the format of the frame that opened it,
// as a reply does its request's.

import { encodeUnwatched, encodeWatchChange, encodeWatchError, encodeWatchLive } from '../../schema/binary-watch.js';
import type { WatchFrames } from './watch-session.js';

/** A binary watch's id is the request's UInt64; a frame refused before its id was read answers under 0, as a request would. */
function binaryId(id: unknown): bigint {
  return typeof id === 'bigint' ? id : 0n;
}

export const BINARY_WATCH_FRAMES: WatchFrames = {
  ready: (id, resume) => ({ bytes: encodeWatchLive(binaryId(id), resume), binary: true }),
  change: (id, change, resume) => ({ bytes: encodeWatchChange(binaryId(id), change, resume), binary: true }),
  error: (id, code, message) => ({ bytes: encodeWatchError(binaryId(id), code, message), binary: true }),
  unwatched: (id) => ({ bytes: encodeUnwatched(binaryId(id)), binary: true }),
};

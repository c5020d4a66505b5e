// uWebSockets.js reads its HTTP header limit from the environment once, when
// the addon loads. Its default (4 KiB) is smaller than a URL carrying a
// maximal key (16 KiB, up to 48 KiB percent-encoded), which would then be
// refused with 431 before our KEY_TOO_LONG check could answer. This module
// must be imported before 'uWebSockets.js' (ESM evaluates imports in order).

/** Request line + headers uWS accepts: room for a fully percent-encoded max key. */
export const HTTP_HEADER_BYTES_MAX = 64 * 1024;

process.env.UWS_HTTP_MAX_HEADERS_SIZE ??= String(HTTP_HEADER_BYTES_MAX);

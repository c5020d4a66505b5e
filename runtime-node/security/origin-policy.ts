// Which web pages may talk to the node. A browser attaches `Origin` to
// cross-origin requests and to every WebSocket upgrade, and will send them
// to any address a page names, including 127.0.0.1 and private networks. So
// a request that carries an Origin is served only when that origin is listed
// (ServerOptions.allowOrigins); requests without one (curl, Node, redis-cli,
// other servers) are not browsers' and are unaffected.
//
// The Origin is never compared with the Host header to allow "same origin":
// under DNS rebinding an attacker's page reaches the node under the
// attacker's own host name, so Host and Origin would agree.

/** Methods a browser may use cross-origin: the REST API's. */
export const CORS_ALLOW_METHODS = 'GET, PUT, DELETE, POST, OPTIONS';
/** Request headers a browser may send cross-origin: what the REST API reads. */
export const CORS_ALLOW_HEADERS = 'Authorization, Content-Type, Accept, If-Match, If-None-Match';
/** Response headers a page may read: the version of what it read or wrote. */
export const CORS_EXPOSE_HEADERS = 'etag, x-piccolo-version';
/** How long a browser may cache a preflight: ten minutes, so a changed allow list takes effect soon. */
export const CORS_PREFLIGHT_MAX_AGE_S = 600;
/** The allow-list entry that allows every origin (unsafe: any web page may then use the node). */
export const ANY_ORIGIN = '*';

export type OriginVerdict = 'none' | 'allowed' | 'forbidden';

/** The FORBIDDEN_ORIGIN message of both HTTP doors. */
export function forbiddenOriginMessage(origin: string): string {
  return `web pages from ${JSON.stringify(origin.slice(0, 200))} may not use this node; allow the origin with --allow-origin`;
}

/**
 * An origin as the browser serializes it: lower-case scheme and host, the
 * port only when not the scheme's default. null when `text` is not an
 * origin (a path, a query, `null` from a sandboxed page or file://).
 */
export function normalizeOrigin(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return null;
  }
  if (url.origin === 'null' || url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') return null;
  if (url.pathname !== '/' && url.pathname !== '') return null;
  return url.origin;
}

export class OriginPolicy {
  private readonly allowed: ReadonlySet<string>;
  private readonly allowAny: boolean;

  /** Throws TypeError for an entry that is not an origin (`https://app.example.com[:port]`) or `*`. */
  constructor(allowOrigins: readonly string[]) {
    const allowed = new Set<string>();
    let allowAny = false;
    for (const entry of allowOrigins) {
      if (entry.trim() === ANY_ORIGIN) { allowAny = true; continue; }
      const origin = normalizeOrigin(entry);
      if (origin === null) {
        throw new TypeError(`allowed origin ${JSON.stringify(entry)} is not an origin such as https://app.example.com or http://localhost:3000 (scheme, host and port only), nor '*'`);
      }
      allowed.add(origin);
    }
    this.allowed = allowed;
    this.allowAny = allowAny;
  }

  /** `origin` is the request's Origin header ('' when it has none). */
  judge(origin: string): OriginVerdict {
    if (origin === '') return 'none';
    if (this.allowAny) return 'allowed';
    const normalized = normalizeOrigin(origin);
    return normalized !== null && this.allowed.has(normalized) ? 'allowed' : 'forbidden';
  }

  /** Headers for a response to an allowed origin (the origin is echoed: never '*', so caches keep pages apart). */
  static responseHeaders(origin: string): [string, string][] {
    return [
      ['access-control-allow-origin', origin],
      ['vary', 'Origin'],
      ['access-control-expose-headers', CORS_EXPOSE_HEADERS],
    ];
  }

  /** Headers for the answer to an allowed origin's preflight (OPTIONS). */
  static preflightHeaders(origin: string): [string, string][] {
    return [
      ...OriginPolicy.responseHeaders(origin),
      ['access-control-allow-methods', CORS_ALLOW_METHODS],
      ['access-control-allow-headers', CORS_ALLOW_HEADERS],
      ['access-control-max-age', String(CORS_PREFLIGHT_MAX_AGE_S)],
    ];
  }
}

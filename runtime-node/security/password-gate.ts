// The node's one password, checked the same way by every front door (HTTP
// bearer header, WebSocket header or auth frame, RESP AUTH/HELLO). It keeps
// only a digest of the password and compares digests in constant time, so
// neither the comparison's timing nor the password's length leaks. It can be
// changed while the node runs (Redis's CONFIG SET requirepass): the new
// password applies to every authentication from then on, while connections
// already authenticated stay so, as in Redis.

import { createHash, timingSafeEqual } from 'node:crypto';

/** The doors a failed authentication is counted under. */
export type AuthDoor = 'http' | 'ws' | 'resp';

/** What authorizeHttp needs of a request: uWS's HttpRequest fits. */
export interface HeaderSource {
  getHeader(lowerCaseName: string): string;
}

/** What a 401 asks for (RFC 6750). */
export const WWW_AUTHENTICATE = 'Bearer realm="piccolo"';

/** SHA-256 makes every secret 32 bytes, so timingSafeEqual can compare any two. */
const digestOf = (secret: string | Uint8Array): Buffer => createHash('sha256').update(secret).digest();

/** `Authorization: Bearer <token>`: the token, or null when the header is absent or another scheme. */
export function bearerToken(authorization: string): string | null {
  const match = /^\s*bearer\s+(\S+)\s*$/i.exec(authorization);
  return match ? match[1]! : null;
}

export class PasswordGate {
  private digest: Buffer | null = null;

  /**
   * @param password null or '' for none (every client is let in).
   * @param onFailure called once per refused authentication, for metrics.
   */
  constructor(password: string | null, public onFailure: (door: AuthDoor) => void = () => {}) {
    this.set(password);
  }

  /** Whether clients must authenticate. */
  get required(): boolean {
    return this.digest !== null;
  }

  /** Change the password; null or '' removes it (as Redis's `CONFIG SET requirepass ""`). */
  set(password: string | null): void {
    this.digest = password === null || password === '' ? null : digestOf(password);
  }

  /** Whether `password` is the node's password (always true when none is set). Counts nothing. */
  matches(password: string | Uint8Array): boolean {
    if (this.digest === null) return true;
    return timingSafeEqual(digestOf(password), this.digest);
  }

  /** matches(), counting a refusal under `door`. */
  check(password: string | Uint8Array, door: AuthDoor): boolean {
    if (this.matches(password)) return true;
    this.onFailure(door);
    return false;
  }

  /**
   * Whether an HTTP request (or WebSocket upgrade) may pass: no password is
   * set, or it carries `Authorization: Bearer <password>`. A refusal is
   * counted under `door`; answer it with 401 and `WWW-Authenticate: Bearer`.
   */
  authorizeHttp(req: HeaderSource, door: AuthDoor = 'http'): boolean {
    if (this.digest === null) return true;
    const token = bearerToken(req.getHeader('authorization'));
    if (token !== null && this.matches(token)) return true;
    this.onFailure(door);
    return false;
  }
}

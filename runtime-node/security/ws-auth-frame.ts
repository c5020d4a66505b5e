// The WebSocket auth frame, for clients that cannot set an Authorization
// header on the upgrade (browsers): a JSON text frame
// `{"id":..,"op":"auth","password":".."}`, answered `{"id":..,"ok":true}`.
// A Cap'n Proto client sends the same text frame first, then binary frames.

/** What a text frame is, seen as a possible auth frame. */
export type AuthFrame =
  | { kind: 'auth'; id: unknown; password: string }
  | { kind: 'bad'; message: string }
  | { kind: 'other' };

/** Frames longer than this are not auth frames (a password is short); parsing them would be wasted work. */
export const AUTH_FRAME_CHARS_MAX = 4096;

export function parseAuthFrame(text: string): AuthFrame {
  if (text.length > AUTH_FRAME_CHARS_MAX) return { kind: 'other' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'other' };
  }
  if (typeof value !== 'object' || value === null || (value as { op?: unknown }).op !== 'auth') return { kind: 'other' };
  const { id, password } = value as { id?: unknown; password?: unknown };
  if (typeof password !== 'string') return { kind: 'bad', message: 'auth frame needs a string "password"' };
  return { kind: 'auth', id: id ?? null, password };
}

/** The answer to a successful auth frame. */
export function authOkFrame(id: unknown): string {
  const safeId = typeof id === 'number' || typeof id === 'string' ? id : null;
  return JSON.stringify({ id: safeId, ok: true });
}

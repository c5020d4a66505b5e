// The WebSocket status subscription's frames: a JSON text frame
// `{"id":..,"op":"status"}` subscribes the connection to the dashboard's
// status feed (status-feed.ts); the node then pushes
// `{"id":..,"ok":true,"status":{...}}` with the same id now and every
// DASHBOARD_SAMPLE_MS until the connection closes. Only an authenticated
// connection gets this far (ws-front.ts), so the feed shows nothing to a
// client without the password.

/** Frames longer than this are not status frames (the frame is an op and an id); parsing them would be wasted work. */
export const STATUS_FRAME_CHARS_MAX = 256;

/** The subscription id of a status frame, or null when `text` is not one. */
export function parseStatusFrame(text: string): { id: number | string | null } | null {
  if (text.length > STATUS_FRAME_CHARS_MAX) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || (value as { op?: unknown }).op !== 'status') return null;
  const { id } = value as { id?: unknown };
  return { id: typeof id === 'number' || typeof id === 'string' ? id : null };
}

/** Each status as JSON, made once however many connections it is pushed to. */
const statusJson = new WeakMap<object, string>();

/** One pushed status. */
export function statusPushFrame(id: number | string | null, status: object): string {
  let json = statusJson.get(status);
  if (json === undefined) {
    json = JSON.stringify(status);
    statusJson.set(status, json);
  }
  return `{"id":${JSON.stringify(id)},"ok":true,"status":${json}}`;
}

/** What the WebSocket door needs of the feed. */
export interface StatusSubscriptions {
  subscribe(listener: (status: object) => void): () => void;
}

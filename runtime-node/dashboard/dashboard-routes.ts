// The dashboard's HTTP routes, mounted beside the REST door on every node:
//   GET /dashboard (and its two files)  the page; public: it holds no data
//   GET /v1/dashboard/status           the whole status the page shows (also pushed over WS)
//   GET /v1/dashboard/node             this node's own numbers (the node serving a page asks every other;
//                                      a gateway has none: NOT_FOUND)
// Every route refuses a page of a foreign Origin (403, the REST door's
// policy plus the node's own origin: self-origin-policy.ts). The two JSON
// routes need the password like every other route; the page itself is
// served without one because a browser cannot send a bearer header when it
// navigates — the page asks for the password and sends it as the
// WebSocket's first frame ({"op":"auth"}), never in a URL.

import '../uws-env.js'; // must precede the uWebSockets.js import
import type uWS from 'uWebSockets.js';
import { ErrorCode, HTTP_STATUS, type ErrorName } from '../../core/errors.js';
import { respondUnauthorized } from '../io/http-front.js';
import { forbiddenOriginMessage, type OriginPolicy } from '../security/origin-policy.js';
import type { PasswordGate } from '../security/password-gate.js';
import type { NodeView } from './node-view.js';
import { loadPageFiles, type PageFile } from './page-files.js';
import { DASHBOARD_NODE_PATH, DASHBOARD_STATUS_PATH, type DashboardStatus } from './status-build.js';

export const DASHBOARD_PATH = '/dashboard';

/**
 * Headers of every page file. The CSP lets the page load only its own files
 * and talk only to its own node, and no other site may frame it (clickjacking);
 * no CORS header is ever sent, so other origins cannot read it.
 */
const PAGE_HEADERS: readonly [string, string][] = [
  ['content-security-policy', "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"],
  ['x-content-type-options', 'nosniff'],
  ['x-frame-options', 'DENY'],
  ['referrer-policy', 'no-referrer'],
  ['cross-origin-resource-policy', 'same-origin'],
  // Revalidate on every load (cheap: ETag and 304), so a node upgraded in place serves its new page at once.
  ['cache-control', 'no-cache'],
];
/** The JSON routes are live numbers: never cached. */
const JSON_HEADERS: readonly [string, string][] = [['cache-control', 'no-store'], ['x-content-type-options', 'nosniff']];

const STATUS_LINE: Record<number, string> = {
  200: '200 OK', 304: '304 Not Modified', 403: '403 Forbidden', 404: '404 Not Found', 405: '405 Method Not Allowed', 500: '500 Internal Server Error',
};

export interface DashboardRouteOptions {
  originPolicy: OriginPolicy;
  passwordGate: PasswordGate;
  /** This node's own numbers; absent on a gateway. */
  ownView?: () => NodeView;
  status: () => Promise<DashboardStatus>;
}

function send(res: uWS.HttpResponse, status: number, contentType: string | null, body: string | Buffer, headers: readonly [string, string][]): void {
  res.cork(() => {
    res.writeStatus(STATUS_LINE[status] ?? String(status));
    if (contentType !== null) res.writeHeader('content-type', contentType);
    for (const [name, value] of headers) res.writeHeader(name, value);
    res.end(body);
  });
}

function sendError(res: uWS.HttpResponse, code: ErrorName, message: string, headers: readonly [string, string][] = []): void {
  send(res, HTTP_STATUS[code], 'application/json', JSON.stringify({ error: { code, number: ErrorCode[code], message } }), [...JSON_HEADERS, ...headers]);
}

export function mountDashboard(app: uWS.TemplatedApp, opts: DashboardRouteOptions): void {
  // A copy without the page files (a partial install) still runs: the page answers what is missing instead.
  let files = new Map<string, PageFile>();
  let missing: string | null = null;
  try {
    files = loadPageFiles();
  } catch (error) {
    missing = error instanceof Error ? error.message : String(error);
  }

  /** Origin and method checks every route shares; false when it answered. */
  const admit = (res: uWS.HttpResponse, req: uWS.HttpRequest, route: string): boolean => {
    const origin = req.getHeader('origin');
    if (opts.originPolicy.judge(origin) === 'forbidden') {
      sendError(res, 'FORBIDDEN_ORIGIN', forbiddenOriginMessage(origin));
      return false;
    }
    const method = req.getMethod().toUpperCase();
    if (method !== 'GET' && method !== 'HEAD') {
      sendError(res, 'METHOD_NOT_ALLOWED', `method ${method} is not allowed on ${route}`, [['allow', 'GET, HEAD']]);
      return false;
    }
    return true;
  };

  const servePage = (res: uWS.HttpResponse, req: uWS.HttpRequest, file: PageFile | undefined, route: string): void => {
    if (!admit(res, req, route)) return;
    if (missing !== null) return sendError(res, 'NOT_FOUND', `the dashboard is not installed: ${missing}`);
    if (!file) return sendError(res, 'NOT_FOUND', `no dashboard file ${route.slice(0, 200)}`);
    if (req.getHeader('if-none-match') === file.etag) return send(res, 304, null, '', [...PAGE_HEADERS, ['etag', file.etag]]);
    send(res, 200, file.contentType, file.body, [...PAGE_HEADERS, ['etag', file.etag]]);
  };

  app.any(DASHBOARD_PATH, (res, req) => servePage(res, req, files.get(''), DASHBOARD_PATH));
  app.any(`${DASHBOARD_PATH}/*`, (res, req) => {
    const url = req.getUrl();
    servePage(res, req, files.get(url.slice(DASHBOARD_PATH.length + 1)), url);
  });

  app.any(DASHBOARD_NODE_PATH, (res, req) => {
    if (!admit(res, req, DASHBOARD_NODE_PATH)) return;
    if (!opts.passwordGate.authorizeHttp(req)) return respondUnauthorized(res);
    if (!opts.ownView) return sendError(res, 'NOT_FOUND', 'a gateway has no node numbers of its own; ask a node');
    send(res, 200, 'application/json', JSON.stringify(opts.ownView()), JSON_HEADERS);
  });

  app.any(DASHBOARD_STATUS_PATH, (res, req) => {
    if (!admit(res, req, DASHBOARD_STATUS_PATH)) return;
    if (!opts.passwordGate.authorizeHttp(req)) return respondUnauthorized(res);
    let aborted = false;
    res.onAborted(() => { aborted = true; });
    opts.status().then(
      (status) => { if (!aborted) send(res, 200, 'application/json', JSON.stringify(status), JSON_HEADERS); },
      (error: unknown) => { if (!aborted) sendError(res, 'INTERNAL', `dashboard status: ${error instanceof Error ? error.message : String(error)}`); },
    );
  });
}

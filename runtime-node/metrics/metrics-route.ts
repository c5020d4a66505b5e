// GET /metrics: the node's metrics in the Prometheus text format, on the
// HTTP port. `authorize` (the node's bearer-token check, the same as every
// other route's) sees the request first; without it the route is open.

import '../uws-env.js'; // must precede the uWebSockets.js import
import type uWS from 'uWebSockets.js';
import { ErrorCode } from '../../core/errors.js';
import { respondUnauthorized } from '../io/http-front.js';
import type { NodeMetrics } from './node-metrics.js';

export const METRICS_PATH = '/metrics';

export interface MetricsRouteOptions {
  metrics: NodeMetrics;
  /** False answers 401; called synchronously with the request (uWS requests die when the handler returns). */
  authorize?: (req: uWS.HttpRequest) => boolean;
}

export function mountMetricsRoute(app: uWS.TemplatedApp, opts: MetricsRouteOptions): void {
  app.get(METRICS_PATH, (res, req) => {
    if (opts.authorize && !opts.authorize(req)) return respondUnauthorized(res);
    let aborted = false;
    res.onAborted(() => { aborted = true; });
    opts.metrics.scrape().then(
      (text) => {
        if (aborted) return;
        res.cork(() => { res.writeStatus('200 OK').writeHeader('content-type', opts.metrics.contentType).end(text); });
      },
      (error: unknown) => {
        if (aborted) return;
        const message = error instanceof Error ? error.message : String(error);
        res.cork(() => {
          res.writeStatus('500 Internal Server Error').writeHeader('content-type', 'application/json')
            .end(JSON.stringify({ error: { code: 'INTERNAL', number: ErrorCode.INTERNAL, message: `metrics: ${message}` } }));
        });
      },
    );
  });
}

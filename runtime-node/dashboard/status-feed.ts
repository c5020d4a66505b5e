// The dashboard's live feed: pages subscribe over the WebSocket
// ({"op":"status"}, status-frame.ts); while at least one does, the status is
// rebuilt every DASHBOARD_SAMPLE_MS from its source (a node: status-build.ts;
// a gateway: a node's GET /v1/dashboard/status) and pushed to all of them,
// so ten open pages cost the other nodes no more than one.

import { DASHBOARD_SAMPLE_MS } from './node-sampler.js';
import type { DashboardStatus } from './status-build.js';

export class StatusFeed {
  private readonly listeners = new Set<(status: DashboardStatus) => void>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private building: Promise<DashboardStatus> | null = null;
  private last: DashboardStatus | null = null;

  constructor(private readonly source: () => Promise<DashboardStatus>) {}

  /** Receive the status now and every DASHBOARD_SAMPLE_MS until the returned function is called. */
  subscribe(listener: (status: DashboardStatus) => void): () => void {
    this.listeners.add(listener);
    if (this.last && Date.now() - this.last.atMs < DASHBOARD_SAMPLE_MS) listener(this.last);
    else void this.current().then((s) => { if (this.listeners.has(listener)) listener(s); }, () => {});
    if (this.timer === null) {
      this.timer = setInterval(() => this.push(), DASHBOARD_SAMPLE_MS);
      this.timer.unref();
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
  }

  /** The status as of now (concurrent callers share one build). */
  current(): Promise<DashboardStatus> {
    this.building ??= this.source().then((status) => { this.last = status; return status; }).finally(() => { this.building = null; });
    return this.building;
  }

  close(): void {
    this.listeners.clear();
    this.stop();
  }

  private stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private push(): void {
    void this.current().then((status) => { for (const l of this.listeners) l(status); }, () => {});
  }
}

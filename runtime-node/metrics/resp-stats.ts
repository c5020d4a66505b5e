// INFO's counters (RespStats) read from the node's metrics, so INFO and
// /metrics count the same events once.

import type { RespStats } from '../io/resp-command-context.js';
import type { NodeMetrics } from './node-metrics.js';

export class MetricsRespStats implements RespStats {
  constructor(private readonly metrics: NodeMetrics) {}

  get connectionsReceived(): number {
    return this.metrics.infoCounters().connectionsReceived;
  }

  get connectionsRejected(): number {
    return this.metrics.infoCounters().connectionsRejected;
  }

  get commandsProcessed(): number {
    return this.metrics.infoCounters().commandsProcessed;
  }

  get opsPerSecond(): number {
    return this.metrics.infoCounters().opsPerSecond;
  }

  get authFailures(): number {
    return this.metrics.infoCounters().authFailures;
  }

  get expiringKeys(): number {
    return this.metrics.workerSnapshots().reduce((n, w) => n + w.expiringKeys, 0);
  }

  get storeBytes(): number {
    return this.metrics.workerSnapshots().reduce((n, w) => n + w.dataBytes, 0);
  }

  get expiredKeys(): number {
    return this.metrics.workerSnapshots().reduce((n, w) => n + w.expiredKeys, 0);
  }

  commandProcessed(): void {
    this.metrics.respCommandProcessed();
  }

  reset(): void {
    this.metrics.resetInfoCounters();
  }
}

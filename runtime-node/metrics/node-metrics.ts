// One node's metrics: the counters the doors and workers feed, and the
// Prometheus registry that reads them when scraped. Each node has its own
// prom-client Registry (never the library's global one), so several nodes in
// one process keep apart.
//
// The request path writes plain numbers (RequestMeter, the per-door arrays
// here); prom-client objects are filled from them in their collect() at
// scrape time. Gauges about workers (keys, store bytes, ring depth, busy
// time) are read from shared memory at scrape time too.

import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { RequestExecutor } from '../../core/node/dispatcher.js';
import { OP_NAMES } from '../../core/protocol/ops.js';
import type { ConnectionBudget, ConnectionObserver } from '../io/connection-budget.js';
import type { WorkerSnapshot } from '../io/worker-pool.js';
import { doorIndex, DOORS, type Door } from './doors.js';
import { OpsRate, ResettableCount } from './info-stats.js';
import { MeteredExecutor } from './metered-executor.js';
import { OP_COUNT } from './op-index.js';
import { CELL_COUNT, ERROR_SLOTS, errorNameOfSlot, RequestMeter } from './request-meter.js';
import { TableHistogram } from './table-histogram.js';

/** How often the commands-per-second rate for INFO is sampled. */
export const OPS_RATE_SAMPLE_MS = 1_000;

/** Where the node's worker-side numbers come from (the WorkerPool). */
export interface WorkerSource {
  workerSnapshots(): WorkerSnapshot[];
}

/** What INFO shows from the counters: RESP connections and commands since start or CONFIG RESETSTAT. */
export interface InfoCounters {
  connectionsReceived: number;
  connectionsRejected: number;
  commandsProcessed: number;
  opsPerSecond: number;
  authFailures: number;
}

/** Per-door connection numbers. */
class DoorConnections implements ConnectionObserver {
  open = 0;
  readonly accepted = new ResettableCount();
  readonly rejected = new ResettableCount();

  onAccepted(): void {
    this.open++;
    this.accepted.add(1);
  }

  onRejected(): void {
    this.rejected.add(1);
  }

  onClosed(): void {
    this.open--;
  }
}

export class NodeMetrics {
  readonly registry = new Registry();
  readonly requests = new RequestMeter();
  private readonly connections = DOORS.map(() => new DoorConnections());
  private readonly authFailures = DOORS.map(() => new ResettableCount());
  private readonly respCommands = new ResettableCount();
  private readonly opsRate: OpsRate;
  private readonly sampler: ReturnType<typeof setInterval>;

  constructor(private readonly workers: WorkerSource) {
    collectDefaultMetrics({ register: this.registry });
    this.opsRate = new OpsRate(performance.now());
    this.sampler = setInterval(() => this.opsRate.sample(this.respCommands.sinceStart, performance.now()), OPS_RATE_SAMPLE_MS);
    this.sampler.unref();
    this.registerRequestMetrics();
    this.registerConnectionMetrics();
    this.registerWorkerMetrics();
  }

  /** `inner` as `door` should use it: every request counted and timed. */
  executorFor(door: Door, inner: RequestExecutor): RequestExecutor {
    return new MeteredExecutor(inner, this.requests, door);
  }

  /** The node's connection budget as `door` should use it: its connections counted. */
  budgetFor(door: Door, budget: ConnectionBudget): ConnectionBudget {
    return budget.forDoor(this.connections[doorIndex(door)]!);
  }

  /** A client of `door` failed to authenticate (the doors' onAuthFailure). */
  authFailed(door: Door): void {
    this.authFailures[doorIndex(door)]!.add(1);
  }

  /** One RESP command was received (INFO's total_commands_processed). */
  respCommandProcessed(): void {
    this.respCommands.add(1);
  }

  infoCounters(): InfoCounters {
    const resp = this.connections[doorIndex('resp')]!;
    return {
      connectionsReceived: resp.accepted.sinceReset + resp.rejected.sinceReset,
      connectionsRejected: resp.rejected.sinceReset,
      commandsProcessed: this.respCommands.sinceReset,
      opsPerSecond: this.opsRate.perSecond,
      authFailures: this.authFailures[doorIndex('resp')]!.sinceReset,
    };
  }

  /** CONFIG RESETSTAT: INFO's counters start again from zero; Prometheus's go on. */
  resetInfoCounters(): void {
    for (const c of this.connections) {
      c.accepted.reset();
      c.rejected.reset();
    }
    for (const c of this.authFailures) c.reset();
    this.respCommands.reset();
  }

  /** Open connections of one door. */
  openConnections(door: Door): number {
    return this.connections[doorIndex(door)]!.open;
  }

  workerSnapshots(): WorkerSnapshot[] {
    return this.workers.workerSnapshots();
  }

  /** The Prometheus text exposition of every metric. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  close(): void {
    clearInterval(this.sampler);
  }

  private registerRequestMetrics(): void {
    const { requests } = this;
    const cellLabels = Array.from({ length: CELL_COUNT }, (_, cell) => ({
      door: DOORS[Math.floor(cell / OP_COUNT)]!,
      op: OP_NAMES[cell % OP_COUNT]!,
    }));
    new Counter({
      name: 'piccolo_requests_total',
      help: 'Requests answered, by front door and op (a RESP command may run several requests).',
      labelNames: ['door', 'op'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (let cell = 0; cell < CELL_COUNT; cell++) {
          if (requests.requests[cell]! > 0) this.inc(cellLabels[cell]!, requests.requests[cell]!);
        }
      },
    });
    new Counter({
      name: 'piccolo_request_errors_total',
      help: 'Requests answered with an error, by front door, op and error code (docs/protocol.md).',
      labelNames: ['door', 'op', 'code'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (let i = 0; i < requests.errors.length; i++) {
          const n = requests.errors[i]!;
          if (n === 0) continue;
          const code = errorNameOfSlot(i % ERROR_SLOTS) ?? 'INTERNAL';
          this.inc({ ...cellLabels[Math.floor(i / ERROR_SLOTS)]!, code }, n);
        }
      },
    });
    this.registry.registerMetric(new TableHistogram({
      name: 'piccolo_request_duration_seconds',
      help: 'Time from dispatch to reply on the IO thread, by front door and op.',
      meter: requests,
    }));
    const respCommands = this.respCommands;
    new Counter({
      name: 'piccolo_resp_commands_total',
      help: 'RESP commands received (INFO total_commands_processed counts the same, from CONFIG RESETSTAT on).',
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(respCommands.sinceStart);
      },
    });
  }

  private registerConnectionMetrics(): void {
    const { connections, authFailures } = this;
    const perDoor = (name: string, help: string, read: (door: number) => number, type: 'counter' | 'gauge'): void => {
      const config = {
        name, help, labelNames: ['door'] as const, registers: [this.registry],
      };
      if (type === 'gauge') {
        new Gauge({ ...config, collect() { DOORS.forEach((door, i) => this.set({ door }, read(i))); } });
      } else {
        new Counter({ ...config, collect() { this.reset(); DOORS.forEach((door, i) => this.inc({ door }, read(i))); } });
      }
    };
    perDoor('piccolo_connections', 'Client connections open, by front door (HTTP requests hold none).', (d) => connections[d]!.open, 'gauge');
    perDoor('piccolo_connections_accepted_total', 'Client connections accepted, by front door.', (d) => connections[d]!.accepted.sinceStart, 'counter');
    perDoor('piccolo_connections_rejected_total', 'Client connections refused (node full or shutting down), by front door.',
      (d) => connections[d]!.rejected.sinceStart, 'counter');
    perDoor('piccolo_auth_failures_total', 'Failed authentication attempts, by front door.', (d) => authFailures[d]!.sinceStart, 'counter');
  }

  private registerWorkerMetrics(): void {
    // One snapshot per scrape, shared by the gauges below (each collect() would otherwise read shared memory again).
    let snapshot: WorkerSnapshot[] = [];
    let snapshotAt = -1;
    const read = (): WorkerSnapshot[] => {
      const now = performance.now();
      if (now - snapshotAt > 10) {
        snapshot = this.workers.workerSnapshots();
        snapshotAt = now;
      }
      return snapshot;
    };
    const sum = (pick: (w: WorkerSnapshot) => number): number => read().reduce((n, w) => n + pick(w), 0);
    const nodeGauge = (name: string, help: string, pick: (w: WorkerSnapshot) => number): void => {
      new Gauge({ name, help, registers: [this.registry], collect() { this.set(sum(pick)); } });
    };
    nodeGauge('piccolo_keys', 'Keys stored on this node (expired keys not yet swept count; refreshed every 100 ms).', (w) => w.keys);
    nodeGauge('piccolo_keys_with_ttl', 'Keys with a time to live on this node.', (w) => w.expiringKeys);
    nodeGauge('piccolo_store_bytes', 'Bytes the shard stores hold: hash index, slab pages (used or not), large values, expiry index (what --maxmemory is judged by).', (w) => w.dataBytes);
    new Gauge({
      name: 'piccolo_ring_waiting_bytes',
      help: "Bytes waiting in a worker's ring: requests not yet taken by the worker, replies not yet read by the IO thread.",
      labelNames: ['worker', 'ring'],
      registers: [this.registry],
      collect() {
        read().forEach((w, i) => {
          this.set({ worker: String(i), ring: 'request' }, w.requestRingBytes);
          this.set({ worker: String(i), ring: 'reply' }, w.replyRingBytes);
        });
      },
    });
    const nodeCounter = (name: string, help: string, pick: (w: WorkerSnapshot) => number): void => {
      new Counter({ name, help, registers: [this.registry], collect() { this.reset(); this.inc(sum(pick)); } });
    };
    nodeCounter('piccolo_requests_held_for_leader_total',
      'Requests a replica held because their group had no leader (an election, a leadership transfer), served or redirected once one was known.',
      (w) => w.heldForLeader);
    nodeCounter('piccolo_requests_refused_after_leader_wait_total',
      'Held requests refused (TRYAGAIN / NOT_LEADER) because no leader came within the wait (1 s), or the group held its most.',
      (w) => w.refusedAfterLeaderWait);
    new Counter({
      name: 'piccolo_worker_busy_seconds_total',
      help: 'Seconds each worker spent working rather than waiting for requests (busy / elapsed = utilisation).',
      labelNames: ['worker'],
      registers: [this.registry],
      collect() {
        this.reset();
        read().forEach((w, i) => this.inc({ worker: String(i) }, w.busySeconds));
      },
    });
  }
}

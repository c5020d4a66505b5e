// Event kinds, as small integers for the trace hash. Never renumber: trace
// hashes printed by earlier runs would no longer match their replays.

export const Kind = {
  // Simulated network.
  STREAM_TO_NODE: 1,
  STREAM_TO_CLIENT: 2,
  STREAM_RESET_NOTICE: 3,
  DATAGRAM: 4,
  // A node's threads.
  WORKER_DRAIN: 10,
  WORKER_WAKE: 11,
  WORKER_IDLE_WAKE: 12,
  IO_DRAIN: 13,
  IO_WAKE: 14,
  /** A worker steps peer messages into its replicas. */
  PEER_STEP: 15,
  /** A worker's Raft tick timer. */
  RAFT_TICK: 16,
  /** A worker's slow fsync completes: the replies and peer messages of its turn may leave. */
  SLOW_SYNC_DONE: 17,
  /** A disk finishes a background sync (core/storage/background-sync.ts). */
  BACKGROUND_SYNC_DONE: 18,
  // Clients.
  CLIENT_NEXT_OP: 20,
  CLIENT_TIMEOUT: 21,
  CLIENT_CONNECT: 22,
  CLIENT_CONNECT_TIMEOUT: 23,
  CLIENT_KEEPALIVE: 24,
  CLIENT_RESUME: 25,
  TTL_NEXT: 26,
  /** The watcher's connect timeout, keepalive and reconnect (watch-client.ts). */
  WATCH_CLIENT: 27,
  // Faults and phases.
  PARTITION_START: 30,
  PARTITION_HEAL: 31,
  PAUSE: 32,
  RESET: 33,
  CRASH: 34,
  RESTART: 35,
  CLOCK_JUMP: 36,
  QUIESCE: 37,
  FINAL_CHECK: 38,
  /** A fault aimed at a group's leader acts (leader-strikes.ts), and ends. */
  LEADER_STRIKE: 39,
  LEADER_STRIKE_END: 40,
  /** Added to a kind when the event was deferred because its thread was busy or frozen. */
  DEFERRED: 1000,
} as const;
